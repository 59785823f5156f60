/**
 * The guard rails of a user's manual switch command (E26), pure. Unlike the engine, a manual
 * command is not gated by auto_switch_enabled (CONTRACT T-39): a user in manual mode must still be
 * able to switch by hand.
 * @module
 */

/** The agent as the manual-command guard rails see it. */
export interface ManualTargetAgent {
  enabled: boolean;
  deleted: boolean;
  currentMode: string;
  currentPoolId: string | null;
  instanceType: string | null;
}

/** A refused manual command: HTTP status, stable code, message. */
export interface ManualRefusal {
  status: 400 | 409;
  code: "agent_disabled" | "pool_required" | "pool_type_mismatch" | "already_in_target";
  message: string;
}

/**
 * The guard rails of a manual switch (E26): the agent must be enabled and not deleted, a spot
 * target needs a `<instance_type>.<az>` pool of the agent's own type (T-05, T-07), and the instance
 * must not already be there. auto_switch_enabled is deliberately not checked (T-39).
 */
export function checkManualTarget(
  target: { mode: "spot" | "ondemand"; poolId: string | null | undefined },
  agent: ManualTargetAgent,
): { ok: true; poolId: string | null } | ({ ok: false } & ManualRefusal) {
  if (agent.deleted || !agent.enabled) {
    return {
      ok: false,
      status: 409,
      code: "agent_disabled",
      message: agent.deleted
        ? "Agent is deleted: it takes no commands"
        : "Agent is disabled: enable it before switching (it does not poll for commands)",
    };
  }
  const pool = target.mode === "spot" ? target.poolId?.trim() || null : null;
  if (target.mode === "spot" && pool === null) {
    return {
      ok: false,
      status: 400,
      code: "pool_required",
      message: "A switch to spot needs target_pool_id: choose a pool '<instance_type>.<az>', " +
        "e.g. t3.medium.us-east-1a (without one the agent would launch on-demand)",
    };
  }
  if (
    pool !== null && agent.instanceType &&
    pool.slice(0, pool.lastIndexOf(".")) !== agent.instanceType
  ) {
    return {
      ok: false,
      status: 400,
      code: "pool_type_mismatch",
      message: `target_pool_id must be a pool of the agent's instance type ${agent.instanceType} ` +
        `('${agent.instanceType}.<az>'); the agent never changes instance type`,
    };
  }
  const here = agent.currentMode === target.mode &&
    (target.mode === "ondemand" || agent.currentPoolId === pool);
  if (here) {
    return {
      ok: false,
      status: 409,
      code: "already_in_target",
      message: target.mode === "spot"
        ? `Agent is already on spot in pool ${pool}`
        : "Agent is already on on-demand",
    };
  }
  return { ok: true, poolId: pool };
}
