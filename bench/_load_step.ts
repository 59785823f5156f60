/**
 * One step of bench/agents_load.ts: drives `n` started agents on the v4.0.0 schedule (open loop)
 * and measures latency per endpoint, statements per request (from the bench server), CPU and RSS.
 * @module
 */
import { AGENT_KINDS, type AgentKind, type FleetAgent, requestFor } from "./_agent_payloads.ts";
import { cpuSeconds, machineBusySeconds, percentile, rssKb } from "./_report.ts";
import { encodeRequest, Http1Pool } from "./_http1.ts";

/** Requests older than this count as errors. */
const TIMEOUT_MS = 30_000;

/** The encoded fixed requests of each agent (by kind index), kept across steps. */
const encodedCache = new WeakMap<FleetAgent, { key: string; bytes: (Uint8Array | undefined)[] }>();

/** What GET /__bench/stats answers. */
export interface ServerStats {
  routes: Record<string, { requests: number; statements: number; errors: number }>;
  engine: { requests: number; statements: number; errors: number; wired: boolean };
  statements: number;
}

/** Latency and counts of one endpoint in one step. */
export interface KindResult {
  count: number;
  errors: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  statementsPerRequest: number | null;
}

/** One measured step. */
export interface StepResult {
  agents: number;
  offeredRps: number;
  achievedRps: number;
  kinds: Record<AgentKind, KindResult>;
  worstP99: number;
  errorRate: number;
  maxLagMs: number;
  rssMb: number;
  peakRssMb: number;
  cpu: { server: number; mariadb: number; generator: number; other: number };
  engine: { wired: boolean; runs: number; statementsPerRun: number | null };
  registerRps: number;
  pass: boolean;
}

/** A min-heap of event ids ordered by due time (ms, performance.now clock). */
export class Schedule {
  private heap: Int32Array;
  private size = 0;
  constructor(private due: Float64Array) {
    this.heap = new Int32Array(due.length);
  }
  clear(): void {
    this.size = 0;
  }
  get length(): number {
    return this.size;
  }
  peek(): number {
    return this.heap[0];
  }
  push(id: number): void {
    const h = this.heap, d = this.due;
    let i = this.size++;
    h[i] = id;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (d[h[p]] <= d[h[i]]) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }
  pop(): number {
    const h = this.heap, d = this.due;
    const top = h[0];
    h[0] = h[--this.size];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < this.size && d[h[l]] < d[h[m]]) m = l;
      if (r < this.size && d[h[r]] < d[h[m]]) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i], h[m]];
      i = m;
    }
    return top;
  }
}
/** Reads the bench server's counters. */
export async function serverStats(base: string): Promise<ServerStats> {
  // Retried: under overload the generator's many connections can overflow the listen backlog
  // (the kernel then resets some), which must not end the whole run.
  for (let attempt = 1;; attempt++) {
    try {
      const res = await fetch(`${base}/__bench/stats`);
      return await res.json();
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}
/** Runs one step: warm-up, then the measured window; returns its figures. */
export async function runStep(
  base: string,
  fleet: FleetAgent[],
  n: number,
  opts: {
    warmS: number;
    /**
     * Each agent comes online at a random time within the first `rampS` seconds of the warm-up
     * (0: all at once, every memo cold, like the first seconds after a server restart).
     */
    rampS?: number;
    measureS: number;
    speedup: number;
    pids: { server: number; mariadb: number };
    /**
     * "http1" (default): bench/_http1.ts, pre-encoded requests on a pool of keep-alive
     * connections; "fetch": one fetch per request with its own timeout signal (the old path,
     * ~2.5-3 times the generator CPU, kept for comparison).
     */
    client?: "http1" | "fetch";
  },
): Promise<Omit<StepResult, "registerRps" | "pass">> {
  const kinds = AGENT_KINDS.length;
  const baseUrl = new URL(base);
  const pool = opts.client === "fetch" ? null : new Http1Pool({
    hostname: baseUrl.hostname,
    port: Number(baseUrl.port || 80),
    maxConnections: 2000,
    timeoutMs: TIMEOUT_MS,
  });
  // The encoded request per event id (agent x kind), built before the step starts (and kept for
  // the next steps): what requestFor gives for heartbeat, pending-commands and config never
  // changes. The pricing report carries collected_at = now, so it is built each time it is sent.
  const host = baseUrl.host;
  const encode = (agent: FleetAgent, kind: AgentKind) => {
    const { url, init } = requestFor(base, agent, kind);
    const path = url.startsWith(base) ? url.slice(base.length) : new URL(url).pathname;
    return encodeRequest(
      init.method ?? "GET",
      path,
      host,
      init.headers,
      init.body as string | undefined,
    );
  };
  const encoded: (Uint8Array | undefined)[] = new Array(n * kinds);
  if (pool) {
    for (let a = 0; a < n; a++) {
      const agent = fleet[a];
      const key = `${base} ${agent.agentId}`;
      let cached = encodedCache.get(agent);
      if (cached?.key !== key) encodedCache.set(agent, cached = { key, bytes: [] });
      for (let k = 0; k < kinds; k++) {
        const kind = AGENT_KINDS[k].kind;
        if (kind === "pricing_report") continue;
        encoded[a * kinds + k] = cached.bytes[k] ??= encode(agent, kind);
      }
    }
  }
  const due = new Float64Array(n * kinds);
  const schedule = new Schedule(due);
  const t0 = performance.now();
  const rampMs = ((opts.rampS ?? 0) * 1000) / opts.speedup;
  for (let a = 0; a < n; a++) {
    const online = t0 + Math.random() * rampMs;
    for (let k = 0; k < kinds; k++) {
      const id = a * kinds + k;
      due[id] = online + Math.random() * (AGENT_KINDS[k].intervalS * 1000) / opts.speedup;
      schedule.push(id);
    }
  }
  const measureFrom = t0 + opts.warmS * 1000;
  const until = measureFrom + opts.measureS * 1000;
  const lat = AGENT_KINDS.map(() => [] as number[]);
  const errors = AGENT_KINDS.map(() => 0);
  let maxLag = 0;
  let inFlight = 0;
  const abort = new AbortController();
  const snapshot = async () => ({
    stats: await serverStats(base),
    cpu: {
      server: await cpuSeconds(opts.pids.server),
      mariadb: await cpuSeconds(opts.pids.mariadb),
      generator: await cpuSeconds(Deno.pid),
      machine: await machineBusySeconds(),
    },
    wall: performance.now(),
  });
  let beforeP: ReturnType<typeof snapshot> | null = null;
  const record = (k: number, dueAt: number, ok: boolean) => {
    inFlight--;
    if (dueAt < measureFrom || dueAt >= until) return;
    if (ok) lat[k].push(performance.now() - dueAt);
    else errors[k]++;
  };
  const fetchFire = (id: number, dueAt: number) => {
    const agent = fleet[Math.floor(id / kinds)];
    const k = id % kinds;
    const { url, init } = requestFor(base, agent, AGENT_KINDS[k].kind);
    const sent = performance.now();
    maxLag = sent >= measureFrom ? Math.max(maxLag, sent - dueAt) : maxLag;
    inFlight++;
    fetch(url, {
      ...init,
      signal: AbortSignal.any([abort.signal, AbortSignal.timeout(TIMEOUT_MS)]),
    })
      .then(async (res) => {
        await res.arrayBuffer();
        return res.ok;
      }, () => false)
      .then((ok) => record(k, dueAt, ok));
  };
  const http1Fire = (id: number, dueAt: number) => {
    const k = id % kinds;
    const bytes = encoded[id] ?? encode(fleet[Math.floor(id / kinds)], AGENT_KINDS[k].kind);
    const sent = performance.now();
    maxLag = sent >= measureFrom ? Math.max(maxLag, sent - dueAt) : maxLag;
    inFlight++;
    pool!.send(
      bytes,
      (status, _body, error) => record(k, dueAt, error === null && status >= 200 && status < 300),
    );
  };
  const fire = pool ? http1Fire : fetchFire;
  let measuring = false;
  while (true) {
    const now = performance.now();
    if (!measuring && now >= measureFrom) {
      measuring = true;
      // Not awaited here: the loop must keep firing on time.
      beforeP = snapshot();
    }
    if (now >= until) break;
    const id = schedule.peek();
    if (due[id] > now) {
      await new Promise((r) => setTimeout(r, Math.min(due[id] - now, until - now, 20)));
      continue;
    }
    while (schedule.length > 0 && due[schedule.peek()] <= now) {
      const e = schedule.pop();
      fire(e, due[e]);
      due[e] += (AGENT_KINDS[e % kinds].intervalS * 1000) / opts.speedup;
      schedule.push(e);
    }
  }
  const after = await snapshot();
  const drainUntil = performance.now() + 15_000;
  while (inFlight > 0 && performance.now() < drainUntil) {
    await new Promise((r) => setTimeout(r, 50));
  }
  abort.abort();
  await pool?.close();
  const b = (await beforeP) ?? after;
  const wallS = (after.wall - b.wall) / 1000;
  const result = {} as Record<AgentKind, KindResult>;
  let total = 0, totalErrors = 0, worst = 0;
  AGENT_KINDS.forEach((def, k) => {
    const sorted = Float64Array.from(lat[k]).sort();
    const r = after.stats.routes[def.routeKey], r0 = b.stats.routes[def.routeKey];
    const reqs = (r?.requests ?? 0) - (r0?.requests ?? 0);
    const stmts = (r?.statements ?? 0) - (r0?.statements ?? 0);
    result[def.kind] = {
      count: sorted.length,
      errors: errors[k],
      rps: sorted.length / opts.measureS,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      statementsPerRequest: reqs > 0 ? stmts / reqs : null,
    };
    total += sorted.length;
    totalErrors += errors[k];
    worst = Math.max(worst, percentile(sorted, 99));
  });
  const engineRuns = after.stats.engine.requests - b.stats.engine.requests;
  const status = await Deno.readTextFile(`/proc/${opts.pids.server}/status`).catch(() => "");
  const perCore = (key: "server" | "mariadb" | "generator" | "machine") =>
    (after.cpu[key] - b.cpu[key]) / wallS;
  return {
    agents: n,
    offeredRps: n * opts.speedup * AGENT_KINDS.reduce((s, d) => s + 1 / d.intervalS, 0),
    achievedRps: total / opts.measureS,
    kinds: result,
    worstP99: worst,
    errorRate: total + totalErrors > 0 ? totalErrors / (total + totalErrors) : 0,
    maxLagMs: maxLag,
    rssMb: rssKb(status, "VmRSS") / 1024,
    peakRssMb: rssKb(status, "VmHWM") / 1024,
    cpu: {
      server: perCore("server"),
      mariadb: perCore("mariadb"),
      generator: perCore("generator"),
      // Everything else on the machine (other processes share these CPUs).
      other: Math.max(
        0,
        perCore("machine") - perCore("server") - perCore("mariadb") - perCore("generator"),
      ),
    },
    engine: {
      wired: after.stats.engine.wired,
      runs: engineRuns,
      statementsPerRun: engineRuns > 0
        ? (after.stats.engine.statements - b.stats.engine.statements) / engineRuns
        : null,
    },
  };
}
