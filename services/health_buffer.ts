/**
 * Server-side agent health metrics without a round trip on the heartbeat: the heartbeat handler
 * calls `recordHeartbeat` (memory only); every HEALTH_METRICS_FLUSH_SECONDS the aggregates of the
 * agents that beat are written as multi-row INSERTs (source 'server'). Agents that stay quiet
 * cost nothing but a map entry, which is dropped after an hour of silence.
 */
import type { AppDeps } from "./types.ts";
import type { Queryable } from "../db/client.ts";
import { mergeServerMetrics } from "../db/health_metrics.ts";
import type { ServerMetricInput } from "../db/health_metrics.ts";

/** Per-process heartbeat aggregates, flushed to agent_health_metrics. */
export interface HealthBuffer {
  /** Notes one heartbeat of an agent and how long the request took (no I/O). */
  recordHeartbeat(agentId: string, clientId: string, latencyMs: number, now: Date): void;
  /** Writes the aggregates gathered since the last flush; returns the number of rows. */
  flush(db: Queryable, now: Date): Promise<number>;
  /** Agents currently tracked (for tests and the bench). */
  size(): number;
}

interface Entry {
  clientId: string;
  beats: number;
  latencySum: number;
  latencyMax: number;
  gapMax: number | null;
  lastBeatAt: number | null;
}

const FORGET_AFTER_MS = 3600_000;

/** Creates an empty buffer; rows are labelled with the flush time floored to `flushSeconds`. */
export function createHealthBuffer(
  opts: { flushSeconds: number; maxAgents?: number },
): HealthBuffer {
  const entries = new Map<string, Entry>();
  const maxAgents = opts.maxAgents ?? 500_000;
  const bucketMs = Math.max(1, opts.flushSeconds) * 1000;
  let flushing: Promise<unknown> = Promise.resolve();

  function restore(rows: ServerMetricInput[]): void {
    for (const r of rows) {
      const e = entries.get(r.agentId);
      if (!e) continue;
      e.latencySum += r.avgLatencyMs * r.beats;
      e.beats += r.beats;
      e.latencyMax = Math.max(e.latencyMax, r.maxLatencyMs);
      e.gapMax = r.maxGapMs === null ? e.gapMax : Math.max(e.gapMax ?? 0, r.maxGapMs);
    }
  }

  async function flushNow(db: Queryable, now: Date): Promise<number> {
    const rows: ServerMetricInput[] = [];
    for (const [agentId, e] of entries) {
      if (e.beats === 0) {
        if (e.lastBeatAt === null || now.getTime() - e.lastBeatAt > FORGET_AFTER_MS) {
          entries.delete(agentId);
        }
        continue;
      }
      rows.push({
        agentId,
        clientId: e.clientId,
        beats: e.beats,
        avgLatencyMs: e.latencySum / e.beats,
        maxLatencyMs: e.latencyMax,
        maxGapMs: e.gapMax,
      });
      e.beats = 0;
      e.latencySum = 0;
      e.latencyMax = 0;
      e.gapMax = null;
    }
    if (rows.length === 0) return 0;
    const label = new Date(Math.floor(now.getTime() / bucketMs) * bucketMs);
    try {
      await mergeServerMetrics(db, label, rows);
    } catch (err) {
      restore(rows); // keep them for the next flush
      throw err;
    }
    return rows.length;
  }

  return {
    recordHeartbeat(agentId, clientId, latencyMs, now) {
      const t = now.getTime();
      let e = entries.get(agentId);
      if (!e) {
        if (entries.size >= maxAgents) return;
        e = { clientId, beats: 0, latencySum: 0, latencyMax: 0, gapMax: null, lastBeatAt: null };
        entries.set(agentId, e);
      }
      const latency = Number.isFinite(latencyMs) && latencyMs >= 0 ? latencyMs : 0;
      if (e.lastBeatAt !== null && t >= e.lastBeatAt) {
        e.gapMax = Math.max(e.gapMax ?? 0, t - e.lastBeatAt);
      }
      e.lastBeatAt = Math.max(t, e.lastBeatAt ?? t);
      e.clientId = clientId;
      e.beats++;
      e.latencySum += latency;
      e.latencyMax = Math.max(e.latencyMax, latency);
    },
    flush(db, now) {
      // One flush at a time: a timer tick and a shutdown flush must not write the same window.
      const run = flushing.then(() => flushNow(db, now));
      flushing = run.catch(() => {});
      return run;
    },
    size: () => entries.size,
  };
}

/**
 * Flushes the app's health buffer every HEALTH_METRICS_FLUSH_SECONDS until `signal` aborts, then
 * once more (through the background runner, so shutdown's drain waits for it). For main.ts.
 */
export function startHealthFlusher(deps: AppDeps, signal: AbortSignal): void {
  if (signal.aborted) return;
  const { services } = deps;
  const flush = (name: string) =>
    services.background.run(name, async () => {
      const rows = await services.healthBuffer.flush(deps.db, deps.clock());
      if (rows > 0) deps.log.debug("health metrics flushed", { rows });
    });
  const timer = setInterval(
    () => flush("health-metrics-flush"),
    deps.config.HEALTH_METRICS_FLUSH_SECONDS * 1000,
  );
  signal.addEventListener("abort", () => {
    clearInterval(timer);
    flush("health-metrics-final-flush");
  }, { once: true });
}
