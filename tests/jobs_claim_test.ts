import assert from "node:assert/strict";
import { testContext, testKeySpec } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { runClaimed } from "../jobs/_runner.ts";
import type { JobDef, JobDeps } from "../jobs/_runner.ts";
import { poolRiskJob } from "../jobs/pool_risk.ts";
import { replicaCostsJob } from "../jobs/replica_costs.ts";

function jobDeps(ctx: TestContext, name: string): JobDeps {
  const { db, config, clock, log } = ctx.deps;
  return { db, config, clock, log, instanceName: name };
}

/** Two app instances (own services, same database and clock). */
async function twoInstances(suite: string): Promise<[TestContext, TestContext]> {
  const env = { TOKEN_SIGNING_KEYS: testKeySpec() };
  const a = await testContext(`${suite}_a`, { env });
  const b = await testContext(`${suite}_b`, { env, db: a.db, clock: a.clock });
  a.clock.set("2026-03-10T12:00:10.000Z");
  return [a, b];
}

Deno.test("jobs: two instances run the same pool risk slot at once, exactly one does the work", async () => {
  const [a, b] = await twoInstances("jobs_claim_risk");
  await a.db.execute(
    "INSERT INTO spot_pools (id, instance_type, region, az) VALUES ('m5.large.us-east-1a', 'm5.large', 'us-east-1', 'us-east-1a')",
  );
  await a.db.execute(
    "INSERT INTO spot_price_snapshots (pool_id, bucket_start, price, captured_at) VALUES ('m5.large.us-east-1a', ?, 0.05, ?)",
    [new Date("2026-03-10T11:55:00Z"), new Date("2026-03-10T11:55:00Z")],
  );
  const outcomes = await Promise.all([
    runClaimed(jobDeps(a, "instance-a"), poolRiskJob),
    runClaimed(jobDeps(b, "instance-b"), poolRiskJob),
  ]);
  assert.deepEqual(outcomes.map((o) => o.status).sort(), ["ok", "skipped"]);
  const winner = outcomes[0].status === "ok" ? "instance-a" : "instance-b";
  const runs = (await a.db.execute(
    "SELECT job, slot_start, claimed_by, status, rows_touched FROM job_runs",
  )).rows;
  assert.deepEqual(runs, [{
    job: "pool_risk",
    slot_start: "2026-03-10T12:00:00.000Z",
    claimed_by: winner,
    status: "ok",
    rows_touched: 1,
  }]);
  const analyses = (await a.db.execute("SELECT pool_id FROM pool_risk_analysis")).rows;
  assert.equal(analyses.length, 1);
  // The loser of the race ran nothing; a later attempt of the finished slot is skipped too.
  const late = await runClaimed(jobDeps(b, "instance-b"), poolRiskJob);
  assert.equal(late.status, "skipped");
});

Deno.test("jobs: in 12 slots raced by two instances every slot's work happens exactly once", async () => {
  const [a, b] = await twoInstances("jobs_claim_probe");
  let work = 0;
  const probe: JobDef = {
    name: "probe",
    periodSeconds: () => 60,
    leaseSeconds: 60,
    run: async () => {
      work++;
      await new Promise((r) => setTimeout(r, 5));
      return { rowsTouched: 1 };
    },
  };
  for (let slot = 0; slot < 12; slot++) {
    a.clock.set(new Date(Date.parse("2026-03-10T12:00:30Z") + slot * 60_000));
    const r = await Promise.all([
      runClaimed(jobDeps(a, "instance-a"), probe),
      runClaimed(jobDeps(b, "instance-b"), probe),
      runClaimed(jobDeps(a, "instance-a"), replicaCostsJob),
      runClaimed(jobDeps(b, "instance-b"), replicaCostsJob),
    ]);
    assert.equal(r.filter((o) => o.status === "ok").length, slot === 0 ? 2 : 1);
  }
  assert.equal(work, 12);
  const counts = (await a.db.execute(
    "SELECT job, COUNT(*) AS n FROM job_runs GROUP BY job ORDER BY job",
  )).rows;
  // Twelve probe slots; the hourly replica cost job had one slot in those twelve minutes.
  assert.deepEqual(counts.map((c) => [c.job, Number(c.n)]), [["probe", 12], ["replica_costs", 1]]);
});
