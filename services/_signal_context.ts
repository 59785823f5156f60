/**
 * What the interruption routes share: the reported instance's placement, the instance id when the
 * body has none, and the idempotency key of a signal (termination notice: the IMDS termination
 * time; otherwise the event of the same instance signalled in the last 10 minutes, else the
 * detection minute).
 */
import type { AppDeps, ClientPrincipal } from "./types.ts";
import { InvalidInput, NotFound } from "../core/errors.ts";
import { loadInterruptionContext } from "../db/termination.ts";
import type { InterruptionContext, SignalType } from "../db/termination.ts";
import { splitPoolId } from "./_pool_context.ts";

/** A signal without a termination time joins the instance's event signalled this recently. */
export const SIGNAL_WINDOW_GAP_MS = 10 * 60_000;

/** Where the noticed instance runs, as far as the server knows. */
export interface Placement {
  poolId: string | null;
  instanceType: string | null;
  region: string | null;
  isPrimary: boolean;
}

/** The reported instance's pool, type and region, and whether it is the agent's primary. */
export function placementOf(ctx: InterruptionContext, instanceId: string): Placement {
  const a = ctx.agent;
  const i = ctx.instance;
  const isCurrent = a.instanceId === instanceId;
  const type = i?.instanceType ?? (isCurrent ? a.instanceType : null);
  const az = i?.az ?? (isCurrent ? a.az : null);
  const known = (v: string | null) => v && v !== "unknown" ? v : null;
  let poolId = i?.poolId ?? (isCurrent ? a.poolId : null);
  const mode = i?.mode ?? (isCurrent ? a.mode : null);
  if (!poolId && mode === "spot" && known(type) && known(az)) poolId = `${type}.${az}`;
  const retired = i !== null &&
    (!i.isPrimary || i.status === "zombie" || i.status === "terminated");
  return {
    poolId,
    instanceType: known(type) ?? (poolId ? splitPoolId(poolId)?.instanceType ?? null : null),
    region: i?.region ?? a.region,
    isPrimary: isCurrent && !retired,
  };
}

/** The reported instance id, or the agent's current one when the body has none. */
export async function resolveInstanceId(
  deps: AppDeps,
  p: ClientPrincipal,
  agentId: string,
  bodyInstanceId: string | undefined,
): Promise<string> {
  if (bodyInstanceId) return bodyInstanceId;
  const ctx = await loadInterruptionContext(deps.db, {
    clientId: p.clientId,
    agentId,
    instanceId: "",
    eventType: "termination_notice",
    noticeKey: "",
    recentSince: null,
  });
  if (!ctx) throw new NotFound("Agent not found", "agent_not_found");
  if (!ctx.agent.instanceId) {
    throw new InvalidInput("instance_id is required", "instance_id_required");
  }
  return ctx.agent.instanceId;
}

/** The idempotency key of a signal (see the module documentation). */
export function signalKey(type: SignalType, termTime: Date | null, now: Date): string {
  if (type === "termination_notice" && termTime) return `t:${termTime.toISOString()}`;
  return `${type === "termination_notice" ? "d" : "r"}:${now.toISOString().slice(0, 16)}`;
}
