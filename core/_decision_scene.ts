/**
 * Test support for the decision engine's tests (not imported by production code): builds a
 * DecisionInput from a compact scene description around a fixed `NOW`.
 * @module
 */
import { type AgentConfig, type DecisionPolicy, DEFAULT_AGENT_CONFIG } from "./decision_policy.ts";
import type { DecisionInput, InstanceState, PoolQuote } from "./decision_types.ts";
import type { SwitchRecord } from "./switch_limits.ts";

/** The fixed clock of every scene. */
export const NOW = new Date("2025-01-10T12:00:00Z");
/** The instance type of every scene. */
export const T = "m5.xlarge";
/** One hour in ms. */
export const H = 3_600_000;
/** `ms` before NOW. */
export function ago(ms: number): Date {
  return new Date(NOW.getTime() - ms);
}
/** The pool id of an AZ letter in us-east-1. */
export function id(az: string): string {
  return `${T}.us-east-1${az}`;
}

/** Risk costs nothing, so boundaries are plain price ratios (the risk term has its own case). */
export const FLAT: Partial<DecisionPolicy> = {
  interruptionDowntimeSeconds: 0,
  interruptionRelaunchCost: 0,
};

/** A compact description of a decision input. */
export interface Scene {
  mode?: "spot" | "ondemand";
  pool?: string; // az letter of the current pool
  sinceHours?: number | null; // hours in the current pool; null = unknown
  od?: number | null;
  odAgeMin?: number;
  pools?: [az: string, price: number, risk: number | null, ageMin?: number][];
  switchesHoursAgo?: number[];
  downtimes?: (number | null)[];
  config?: Partial<AgentConfig>;
  weight?: number;
}

/** Builds the DecisionInput of a scene. */
export function input(s: Scene): DecisionInput {
  const mode = s.mode ?? "ondemand";
  const instance: InstanceState = {
    mode,
    poolId: mode === "spot" ? id(s.pool ?? "a") : null,
    instanceType: T,
    region: "us-east-1",
    az: `us-east-1${s.pool ?? "a"}`,
    poolSince: s.sinceHours === null ? null : ago((s.sinceHours ?? 100) * H),
  };
  const pools: PoolQuote[] = (s.pools ?? []).map(([az, price, risk, ageMin]) => ({
    poolId: id(az),
    instanceType: T,
    az: `us-east-1${az}`,
    price,
    at: ago((ageMin ?? 0) * 60_000),
    risk,
  }));
  const switches: SwitchRecord[] = (s.switchesHoursAgo ?? []).map((h, i) => ({
    at: ago(h * H),
    fromMode: "ondemand",
    toMode: "spot",
    fromPool: null,
    toPool: id("a"),
    downtimeSeconds: s.downtimes?.[i] ?? null,
  }));
  return {
    instance,
    onDemand: s.od === null ? null : { price: s.od ?? 0.2, at: ago((s.odAgeMin ?? 0) * 60_000) },
    pools,
    config: { ...DEFAULT_AGENT_CONFIG, ...s.config },
    recentSwitches: switches,
    downtimeWeightPerHour: s.weight,
    now: NOW,
  };
}
