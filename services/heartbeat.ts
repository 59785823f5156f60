/**
 * E02 heartbeat flows: the database path of one beat (`recordBeat`) and the write-behind memo
 * (`createHeartbeatMemo`) that answers the common beat without a statement.
 *
 * The database path: the common beat is one UPDATE of the agent's own row (never the shared
 * clients row). Anything else (status or mode change, a beat from the switched-away instance, the
 * shutdown beat, a deleted agent) takes the slow path (T-09, T-14, T-15): one transaction, one
 * notification per status change.
 *
 * The memo (HEARTBEAT_WRITE_BEHIND_SECONDS, default 5; 0 turns it off):
 * - When the one-UPDATE path matched a beat that names its instance, mode, type and AZ (agent
 *   v4.0.0's beats do), the memo keeps that beat's fields (client, status, instance, mode, type,
 *   AZ) as verified for the agent. A later beat of the agent with exactly
 *   the same fields from the same client is answered at once and its time is queued.
 * - Every HEARTBEAT_WRITE_BEHIND_SECONDS the queued beats are written as the same guarded UPDATE
 *   over many rows (db/agent_writes.ts heartbeatFastBatch: the guard of the one-beat UPDATE per
 *   row, and a time never moves back). When fewer rows matched than beats were queued, one SELECT
 *   finds the beats that were not written (the row changed meanwhile: switched, marked offline,
 *   disabled, deleted, by this process or another one); their agents lose the verified fields and
 *   each such beat is recorded again through the database path, so its status change, takeover
 *   or 404 rule applies as if it had arrived then. A beat superseded by a later beat of the same
 *   agent is not replayed (the later one decides).
 * - So what the memo changes: the row's last_heartbeat_at lags the beat by at most the window
 *   (the offline rule allows AGENT_HEARTBEAT_TIMEOUT, 300 s by default), and for at most one window
 *   after an agent's row changed a beat can get 200 where the database path would have decided
 *   differently; it is then decided at the flush. Nothing else: a beat that differs from the
 *   verified one in any field, or comes from another client, takes the database path at once.
 * - The memo only absorbs beats while its flusher runs (`startHeartbeatFlusher`: main.ts and the
 *   bench). Stopping the flusher stops absorbing and writes what is queued.
 * @module
 */
import type { AppDeps } from "./types.ts";
import { NotFound } from "../core/errors.ts";
import { poolOf } from "../core/pool_id.ts";
import { agentName, findAgentForClient } from "../db/agents.ts";
import type { HeartbeatFields } from "../db/agent_writes.ts";
import {
  batchableBeat,
  heartbeatFast,
  heartbeatFastBatch,
  recordStatusChange,
  unwrittenBeats,
  updateAgentHeartbeat,
} from "../db/agent_writes.ts";
import { touchInstanceHeartbeat, updateInstancePlacement } from "../db/instances.ts";
import { closeOpenSegment, moveSegment } from "../db/segments.ts";

/** One normalised heartbeat. */
export type Beat = HeartbeatFields & { requestId: string };

/**
 * Records one beat through the database; true when it was the beat of the agent's current
 * instance (false: switched-away instance, ignored shutdown beat, deleted agent). NotFound when
 * the agent is not the client's.
 */
export async function recordBeat(deps: AppDeps, beat: Beat): Promise<boolean> {
  const memo = deps.services.heartbeats;
  const token = memo.bypass(beat);
  if (await heartbeatFast(deps.db, beat)) {
    memo.verified(beat, token);
    return true;
  }
  return await slowPath(deps, beat);
}

async function slowPath(deps: AppDeps, beat: Beat): Promise<boolean> {
  const { clientId, agentId, now } = beat;
  return await deps.db.transaction(async (tx) => {
    const agent = await findAgentForClient(tx, { clientId, agentId, forUpdate: true });
    if (!agent) throw new NotFound("Agent not found", "agent_not_found");
    if (agent.status === "deleted") return false; // stays deleted (T-15)

    if (beat.instanceId && agent.instanceId && beat.instanceId !== agent.instanceId) {
      // The switched-away instance: its liveness is its own, never the agent row's (T-09).
      const mine = await touchInstanceHeartbeat(tx, {
        clientId,
        agentId,
        instanceId: beat.instanceId,
        at: now,
      });
      if (mine && beat.status === "offline") {
        await closeOpenSegment(tx, {
          instanceId: beat.instanceId,
          at: now,
          reason: "offline",
          clientId,
        });
      }
      return false;
    }
    if (!beat.instanceId && beat.status === "offline" && agent.lastSwitchAt) {
      // The shutdown beat carries no instance id: right after a takeover it is the old one's.
      const sinceSwitch = now.getTime() - Date.parse(agent.lastSwitchAt);
      if (sinceSwitch < deps.config.COMMAND_DELIVERY_TIMEOUT * 1000) return false;
    }

    const mode = beat.mode ?? agent.mode;
    const instanceType = beat.instanceType ?? agent.instanceType;
    const az = beat.az ?? agent.az;
    const poolId = beat.mode ? poolOf(mode, instanceType, az) : agent.poolId;
    const placementChanged = mode !== agent.mode || poolId !== agent.poolId;
    const typeChanged = instanceType !== agent.instanceType || az !== agent.az;
    await updateAgentHeartbeat(tx, {
      agentId,
      status: beat.status,
      instanceType,
      az,
      mode,
      poolId,
      poolChanged: placementChanged,
      now,
    });

    const instanceId = agent.instanceId;
    if (instanceId && mode !== "unknown") {
      if (placementChanged || typeChanged) {
        await updateInstancePlacement(tx, { clientId, instanceId, instanceType, az, mode, poolId });
      }
      if (beat.status === "offline") {
        if (agent.status !== "offline") {
          await closeOpenSegment(tx, { instanceId, at: now, reason: "offline", clientId });
        }
      } else if (placementChanged || agent.status === "offline") {
        await moveSegment(tx, {
          clientId,
          agentId,
          instanceId,
          mode,
          poolId,
          instanceType: instanceType ?? "unknown",
          region: agent.region ?? "us-east-1",
          at: now,
          reason: "mode_change",
        });
      }
    }
    if (agent.status !== beat.status) {
      await recordStatusChange(tx, {
        clientId,
        agentId,
        name: agentName(agent),
        instanceId,
        from: agent.status,
        to: beat.status,
        reason: "heartbeat",
        requestId: beat.requestId,
      });
    }
    return true;
  });
}

/** What one flush did. */
export interface HeartbeatFlush {
  /** Queued beats written by the batched UPDATE. */
  written: number;
  /** Queued beats whose row had changed, recorded again through the database path. */
  replayed: number;
  /** Queued beats not written and not replayed: a later beat of the agent decides. */
  superseded: number;
}

/** The write-behind memo of one app instance (see the module doc). */
export interface HeartbeatMemo {
  /** True while beats are absorbed (the flusher runs and the window is not 0). */
  readonly active: boolean;
  /** True when `beat` repeats the agent's verified beat: it is queued and the caller answers 200. */
  absorb(beat: Beat): boolean;
  /** The database path takes `beat`: the agent's verified fields are dropped; returns a token. */
  bypass(beat: Beat): number;
  /** The one-UPDATE path matched `beat` (taken with `token`): later repeats may be absorbed. */
  verified(beat: Beat, token: number): void;
  /** Writes the queued beats (one flush at a time). */
  flush(deps: AppDeps): Promise<HeartbeatFlush>;
  /** Beats queued, and agents with verified fields (for tests and the bench). */
  stats(): { queued: number; verified: number };
  /** Starts or stops absorbing (the flusher's switch). */
  setActive(active: boolean): void;
}

interface Verified {
  clientId: string;
  status: string;
  instanceId: string | null;
  instanceType: string | null;
  az: string | null;
  mode: string | null;
}

interface Entry {
  /** The fields of the last beat the database matched; null: the next beat takes the database. */
  key: Verified | null;
  /** Bumped by every beat of the agent (absorbed or not). */
  seq: number;
  /** Date.now() of the agent's last beat (entries of silent agents are dropped). */
  seenAt: number;
}

interface Queued {
  beat: Beat;
  seq: number;
}

const CHUNK = 500;
const FORGET_AFTER_MS = 3600_000;

function sameFields(k: Verified, b: Beat): boolean {
  return k.clientId === b.clientId && k.status === b.status && k.instanceId === b.instanceId &&
    k.instanceType === b.instanceType && k.az === b.az && k.mode === b.mode;
}

/** Creates an inactive memo; `windowSeconds` 0 keeps it inactive for good. */
export function createHeartbeatMemo(
  opts: { windowSeconds: number; maxAgents?: number },
): HeartbeatMemo {
  const entries = new Map<string, Entry>();
  let queue = new Map<string, Queued>();
  const maxAgents = opts.maxAgents ?? 500_000;
  let active = false;
  let flushing: Promise<unknown> = Promise.resolve();
  let lastPrune = Date.now();

  function entryOf(agentId: string): Entry | null {
    let e = entries.get(agentId);
    if (!e) {
      if (entries.size >= maxAgents) return null;
      e = { key: null, seq: 0, seenAt: 0 };
      entries.set(agentId, e);
    }
    return e;
  }

  async function replay(deps: AppDeps, missed: Queued[], out: HeartbeatFlush): Promise<void> {
    for (const q of missed) {
      const e = entries.get(q.beat.agentId);
      if (e?.key && sameFields(e.key, q.beat)) e.key = null;
      if (!e || e.seq !== q.seq) {
        out.superseded++;
        continue;
      }
      out.replayed++;
      try {
        await recordBeat(deps, q.beat);
      } catch (err) {
        if (err instanceof NotFound) continue; // the agent is gone or not the client's any more
        throw err;
      }
    }
  }

  async function flushNow(deps: AppDeps): Promise<HeartbeatFlush> {
    const out: HeartbeatFlush = { written: 0, replayed: 0, superseded: 0 };
    const batch = [...queue.values()];
    queue = new Map();
    for (let i = 0; i < batch.length; i += CHUNK) {
      const chunk = batch.slice(i, i + CHUNK);
      try {
        const matched = await heartbeatFastBatch(deps.db, chunk.map((q) => q.beat));
        if (matched === chunk.length) {
          out.written += matched;
          continue;
        }
        const missed = new Set(await unwrittenBeats(deps.db, chunk.map((q) => q.beat)));
        const replays = chunk.filter((q) => missed.has(q.beat));
        out.written += chunk.length - replays.length;
        await replay(deps, replays, out);
      } catch (err) {
        // Not known to be written: queue them again unless a later beat is queued, and let the
        // agents re-verify through the database.
        for (const q of batch.slice(i)) {
          const e = entries.get(q.beat.agentId);
          if (e?.key && sameFields(e.key, q.beat)) e.key = null;
          if (!queue.has(q.beat.agentId)) queue.set(q.beat.agentId, q);
        }
        throw err;
      }
    }
    const now = Date.now();
    if (now - lastPrune > 60_000) {
      lastPrune = now;
      for (const [id, e] of entries) {
        if (now - e.seenAt > FORGET_AFTER_MS && !queue.has(id)) entries.delete(id);
      }
    }
    return out;
  }

  return {
    get active() {
      return active;
    },
    absorb(beat) {
      if (!active) return false;
      const e = entries.get(beat.agentId);
      if (!e?.key || !sameFields(e.key, beat)) return false;
      e.seq++;
      e.seenAt = Date.now();
      const q = queue.get(beat.agentId);
      // Out-of-order repeats keep the latest time.
      if (!q || q.beat.now.getTime() <= beat.now.getTime()) {
        queue.set(beat.agentId, { beat, seq: e.seq });
      } else q.seq = e.seq;
      return true;
    },
    bypass(beat) {
      const e = entryOf(beat.agentId);
      if (!e) return -1;
      // Another client's beat of this id changes nothing here (it gets its 404 from the database).
      if (e.key && e.key.clientId !== beat.clientId) return -1;
      e.key = null;
      e.seq++;
      e.seenAt = Date.now();
      return e.seq;
    },
    verified(beat, token) {
      const e = entries.get(beat.agentId);
      if (token < 0 || !e || e.seq !== token || !batchableBeat(beat)) return;
      e.key = {
        clientId: beat.clientId,
        status: beat.status,
        instanceId: beat.instanceId,
        instanceType: beat.instanceType,
        az: beat.az,
        mode: beat.mode,
      };
    },
    flush(deps) {
      const run = flushing.then(() => flushNow(deps));
      flushing = run.catch(() => {});
      return run;
    },
    stats() {
      let verified = 0;
      for (const e of entries.values()) if (e.key) verified++;
      return { queued: queue.size, verified };
    },
    setActive(on) {
      active = on && opts.windowSeconds > 0;
    },
  };
}

/**
 * Writes the memo's queued beats every HEARTBEAT_WRITE_BEHIND_SECONDS until `signal` aborts; then
 * stops absorbing and writes what is left (through the background runner, so shutdown's drain
 * waits for it). Without this flusher the memo absorbs nothing. For main.ts and the bench.
 */
export function startHeartbeatFlusher(deps: AppDeps, signal: AbortSignal): void {
  const seconds = deps.config.HEARTBEAT_WRITE_BEHIND_SECONDS;
  const memo = deps.services.heartbeats;
  if (signal.aborted || seconds <= 0) return;
  const flush = (name: string) =>
    deps.services.background.run(name, async () => {
      const r = await memo.flush(deps);
      if (r.replayed > 0 || r.superseded > 0) deps.log.debug("heartbeats flushed", { ...r });
    });
  memo.setActive(true);
  const timer = setInterval(() => flush("heartbeat-flush"), seconds * 1000);
  signal.addEventListener("abort", () => {
    clearInterval(timer);
    memo.setActive(false);
    flush("heartbeat-final-flush");
  }, { once: true });
}
