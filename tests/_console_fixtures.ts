/**
 * Fixtures of the console suites: the dashboard fleet (two agents, switches, prices) plus settled
 * ledger days, an interruption with its replica timeline, an analysed pool and a notification,
 * and a real HTTP server around the test app (the browser needs one).
 */
import type { TestContext } from "./_support.ts";
import { ago, fleet, HOUR, MIN, prices } from "./_dashboard_fixtures.ts";
import { claimJobSlot, finishJobRun } from "../db/job_runs.ts";

/** What the console fixture seeded. */
export interface ConsoleFleet {
  client: { id: string; token: string };
  other: { id: string; token: string };
  a1: string;
  a2: string;
}

/** Seeds the fleet of the console tests. */
export async function consoleFleet(t: TestContext): Promise<ConsoleFleet> {
  const f = await fleet(t);
  await prices(t);
  // Settled ledger days (gross above net: overlap and replica costs).
  for (let d = 2; d <= 6; d++) {
    const day = new Date(ago(d * 24 * HOUR)).toISOString().slice(0, 10);
    await t.db.execute(
      "INSERT INTO savings_snapshots (client_id, snapshot_date, daily_savings, gross_savings, overlap_cost, replica_cost, total_cost, would_be_cost, spot_hours, ondemand_hours, average_savings_percent, switch_count, total_savings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 24, 24, 40, 0, ?)",
      [f.client.id, day, 0.6 + d * 0.01, 0.7 + d * 0.01, 0.05, 0.05, 1.3, 2, (7 - d) * 0.65],
    );
  }
  await t.db.execute(
    "UPDATE clients SET total_savings = (SELECT SUM(daily_savings) FROM savings_snapshots WHERE client_id = ?) WHERE id = ?",
    [f.client.id, f.client.id],
  );
  await t.db.execute(
    "INSERT INTO termination_events (agent_id, instance_id, event_type, detected_at, status, client_id, pool_id, notice_key, replica_requested_at, replica_registered_at, replica_ready_at, action_taken) VALUES (?, 'i-old1', 'termination_notice', ?, 'resolved', ?, 't3.medium.us-east-1a', 'n1', ?, ?, ?, 'replica_promoted')",
    [
      f.a1,
      ago(3 * HOUR),
      f.client.id,
      ago(3 * HOUR - 2_000),
      ago(3 * HOUR - 40_000),
      ago(3 * HOUR - 95_000),
    ],
  );
  await t.db.execute(
    "INSERT INTO pool_risk_analysis (pool_id, instance_type, region, az, analysis_time, risk_score, price_volatility, avg_price_24h, min_price_24h, max_price_24h, interruption_frequency, recommendation) VALUES ('t3.medium.us-east-1a', 't3.medium', 'us-east-1', 'us-east-1a', ?, 0.55, 0.08, 0.0135, 0.0125, 0.0145, 1, 'caution')",
    [ago(10 * MIN)],
  );
  await t.db.execute(
    "UPDATE spot_pools SET risk_score = 0.55, risk_recommendation = 'caution', risk_analyzed_at = ? WHERE id = 't3.medium.us-east-1a'",
    [ago(10 * MIN)],
  );
  await t.db.execute(
    "INSERT INTO notifications (id, client_id, agent_id, notification_type, message, severity, created_at) VALUES (?, ?, ?, 'termination', 'Spot interruption on web-1: replica promoted', 'warning', ?)",
    [crypto.randomUUID(), f.client.id, f.a1, ago(3 * HOUR)],
  );
  await t.db.execute(
    "INSERT INTO agent_decision_history (agent_id, client_id, decision_type, recommended_action, risk_score, expected_savings, current_mode, current_pool_id, reason, decision_time) VALUES (?, ?, 'stay', 'stay', 0.12, 0.0021, 'spot', 't3.medium.us-east-1a', 'current pool is within 5% of the cheapest', ?)",
    [f.a1, f.client.id, ago(5 * MIN)],
  );
  // One job run that went well and one that failed, as the system health page shows them.
  for (const [job, status] of [["pool_risk", "ok"], ["replica_costs", "error"]] as const) {
    const slotStart = ago(15 * MIN);
    await claimJobSlot(t.db, {
      job,
      slotStart,
      claimedBy: "test",
      now: ago(14 * MIN),
      leaseSeconds: 600,
    });
    await finishJobRun(t.db, {
      job,
      slotStart,
      status,
      now: ago(13 * MIN),
      rowsTouched: status === "ok" ? 4 : null,
      error: status === "error" ? "price snapshot missing for us-east-1" : null,
    });
  }
  return f;
}

/** Serves the test app on 127.0.0.1 (a free port); `origin` is its URL. */
export function serveApp(t: TestContext): { origin: string; close(): Promise<void> } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req, info) => t.app.fetch(req, { remoteAddr: info.remoteAddr }),
  );
  const addr = server.addr as Deno.NetAddr;
  return { origin: `http://127.0.0.1:${addr.port}`, close: () => server.shutdown() };
}
