/**
 * A stalled database under load: MariaDB is frozen (SIGSTOP) for --stall seconds while --agents
 * agents keep their v4.0.0 schedule (heartbeat 30 s, pending-commands 15 s, config 60 s,
 * pricing report 300 s, random phases) and fresh agents keep registering (one every 200 ms).
 *
 *   deno run -A bench/stall.ts [--agents=1000] [--stall=20] [--before=10] [--after=20] [--no-record]
 *
 * Reports the status counts of requests sent during the stall and after it, the slowest
 * response, how long after SIGCONT the service answered again, and consistency checks of the rows
 * a request writes (agents without an instance or segment, duplicate open segments) before and
 * after. Appends to bench/RESULTS.md under "## Database stall".
 * @module
 */
import mysql from "mysql2/promise";
import { AGENT_KINDS, type AgentKind, buildFleet, requestFor } from "./_agent_payloads.ts";
import { pool, registerOnce, startBenchStack } from "./_bench_stack.ts";
import { appendSection, machineInfo } from "./_report.ts";

const HEADING = "## Database stall";

function num(name: string, fallback: number): number {
  const arg = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.slice(name.length + 3)) : fallback;
}

interface Sample {
  sentAt: number;
  kind: AgentKind | "register";
  status: number;
  ms: number;
}

const CHECKS: [string, string][] = [
  [
    "agents without an instance row",
    "SELECT COUNT(*) AS n FROM agents a WHERE a.status <> 'deleted' AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.agent_id = a.id)",
  ],
  [
    "agents with more than one open segment",
    "SELECT COUNT(*) AS n FROM (SELECT agent_id FROM instance_segments WHERE ended_at IS NULL GROUP BY agent_id HAVING COUNT(*) > 1) x",
  ],
  [
    "online agents without an open segment",
    "SELECT COUNT(*) AS n FROM agents a WHERE a.status = 'online' AND NOT EXISTS (SELECT 1 FROM instance_segments s WHERE s.agent_id = a.id AND s.ended_at IS NULL)",
  ],
  ["agents", "SELECT COUNT(*) AS n FROM agents"],
];

async function main(): Promise<number> {
  const n = num("agents", 1000);
  const stallS = num("stall", 20);
  const beforeS = num("before", 10);
  const afterS = num("after", 20);
  const stack = await startBenchStack({ clients: 10 });
  const conn = await mysql.createConnection({
    socketPath: stack.mariadb.socketPath,
    user: stack.mariadb.user,
    database: "bench_agents",
  });
  const check = async () => {
    const out: Record<string, number> = {};
    for (const [name, sql] of CHECKS) {
      const [rows] = await conn.query(sql);
      out[name] = Number((rows as { n: unknown }[])[0].n);
    }
    return out;
  };
  const samples: Sample[] = [];
  let stopAt = 0;
  let contAt = 0;
  let checksBefore: Record<string, number> = {};
  let checksAfter: Record<string, number> = {};
  try {
    const fleet = buildFleet(n, stack.tokens);
    const byClient = stack.tokens.map((t) => fleet.filter((a) => a.token === t));
    await Promise.all(byClient.map((agents) =>
      pool(agents, 1, async (a) => {
        for (let i = 1; (await registerOnce(stack.base, a)).status !== 200; i++) {
          if (i >= 10) throw new Error("registration failed 10 times");
        }
      })
    ));
    const fresh = buildFleet(Math.ceil((beforeS + stallS + afterS) * 5), stack.tokens);
    checksBefore = await check();
    const t0 = performance.now();
    const end = t0 + (beforeS + stallS + afterS) * 1000;
    const inflight: Promise<void>[] = [];
    const send = (kind: AgentKind | "register", go: () => Promise<number>) => {
      const sentAt = performance.now() - t0;
      inflight.push(
        go().then((status) => {
          samples.push({ sentAt, kind, status, ms: performance.now() - t0 - sentAt });
        }),
      );
    };
    // Each agent's next due time per call, with a random phase.
    const due = fleet.map(() => AGENT_KINDS.map((k) => Math.random() * k.intervalS * 1000));
    let nextFresh = 0;
    const freezer = (async () => {
      await new Promise((r) => setTimeout(r, beforeS * 1000));
      Deno.kill(stack.mariadbPid, "SIGSTOP");
      stopAt = performance.now() - t0;
      console.error(`MariaDB stopped at ${Math.round(stopAt)} ms`);
      await new Promise((r) => setTimeout(r, stallS * 1000));
      Deno.kill(stack.mariadbPid, "SIGCONT");
      contAt = performance.now() - t0;
      console.error(`MariaDB continued at ${Math.round(contAt)} ms`);
    })();
    while (performance.now() < end) {
      const now = performance.now() - t0;
      for (let i = 0; i < fleet.length; i++) {
        for (let k = 0; k < AGENT_KINDS.length; k++) {
          if (due[i][k] > now) continue;
          due[i][k] += AGENT_KINDS[k].intervalS * 1000;
          const kind = AGENT_KINDS[k].kind;
          const { url, init } = requestFor(stack.base, fleet[i], kind);
          send(kind, async () => {
            try {
              const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
              await res.arrayBuffer();
              return res.status;
            } catch {
              return 0;
            }
          });
        }
      }
      if (now >= nextFresh * 200 && nextFresh < fresh.length) {
        const a = fresh[nextFresh++];
        send("register", async () => (await registerOnce(stack.base, a)).status);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await freezer;
    await Promise.all(inflight);
    checksAfter = await check();
  } finally {
    try {
      Deno.kill(stack.mariadbPid, "SIGCONT");
    } catch { /* not stopped */ }
    await conn.end().catch(() => {});
    await stack.stop();
  }
  const during = samples.filter((s) => s.sentAt >= stopAt && s.sentAt < contAt);
  const after = samples.filter((s) => s.sentAt >= contAt);
  const counts = (xs: Sample[]) => {
    const c: Record<string, number> = {};
    for (const s of xs) c[s.status] = (c[s.status] ?? 0) + 1;
    return Object.entries(c).map(([k, v]) => `${v} × ${k === "0" ? "timeout" : k}`).join(", ");
  };
  const slowest = samples.reduce((a, b) => (b.ms > a.ms ? b : a), samples[0]);
  const answeredAgain = samples.filter((s) => s.status === 200 && s.sentAt + s.ms >= contAt)
    .reduce((m, s) => Math.min(m, s.sentAt + s.ms), Infinity) - contAt;
  const lastFailAfter = after.filter((s) => s.status !== 200)
    .reduce((m, s) => Math.max(m, s.sentAt + s.ms), contAt) - contAt;
  const slowestDuring = during.reduce((m, s) => Math.max(m, s.ms), 0);
  const m = await machineInfo();
  const commit = new TextDecoder().decode(
    (await new Deno.Command("git", { args: ["rev-parse", "--short", "HEAD"] }).output()).stdout,
  ).trim();
  const text = [
    `### ${m.date} (commit ${commit}; ${m.cpus} CPUs, deno ${m.deno})`,
    "",
    `\`deno task bench --only=stall\`: ${n} agents on the v4.0.0 schedule plus one fresh registration every 200 ms; MariaDB SIGSTOPped ${stallS} s after ${beforeS} s, then ${afterS} s more; server DB_TIMEOUT_MS 8000 (default).`,
    "",
    "| | value |",
    "| --- | --- |",
    `| requests sent during the stall | ${during.length}: ${counts(during)} |`,
    `| requests sent after SIGCONT | ${after.length}: ${counts(after)} |`,
    `| slowest response (any) | ${
      Math.round(slowest?.ms ?? 0)
    } ms (${slowest?.kind}, ${slowest?.status}) |`,
    `| slowest response to a request sent during the stall | ${Math.round(slowestDuring)} ms |`,
    `| first 200 after SIGCONT | +${Math.round(answeredAgain)} ms |`,
    `| last failure answered after SIGCONT | +${Math.round(lastFailAfter)} ms |`,
    ...CHECKS.map(([name]) =>
      `| ${name} (before → after) | ${checksBefore[name]} → ${checksAfter[name]} |`
    ),
    "",
  ].join("\n");
  console.log(text);
  if (!Deno.args.includes("--no-record")) await appendSection(HEADING, text);
  return during.some((s) => s.status >= 500 && s.status !== 503) ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
