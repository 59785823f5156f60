import assert from "node:assert/strict";
import { parseTraceCsv, replay, TraceParseError, type TracePoint } from "./replay.ts";
import { makeTrace } from "../tests/fixtures/make_trace.ts";

const FIXTURE = new URL("../tests/fixtures/price_trace.csv", import.meta.url);
// The pinned numbers replay the generator's text (no I/O, so `deno test core/` needs no flags); the
// file test below proves the committed CSV is that text whenever reading is allowed.
const CAN_READ = Deno.permissions.querySync({ name: "read", path: FIXTURE }).state === "granted";
const HEADER = "time,pool_id,instance_type,az,region,spot_price,ondemand_price";

function point(hour: number, az: string, spot: number, od = 0.2): TracePoint {
  return {
    time: new Date(Date.UTC(2025, 0, 1) + hour * 3_600_000),
    poolId: `m5.large.us-east-1${az}`,
    instanceType: "m5.large",
    az: `us-east-1${az}`,
    region: "us-east-1",
    spotPrice: spot,
    onDemandPrice: od,
  };
}

Deno.test("replay: the shipped fixture gives the recorded numbers", () => {
  const trace = parseTraceCsv(makeTrace());
  assert.equal(trace.points.length, 2592);
  assert.deepEqual(trace.interruptions, [
    { at: new Date("2025-03-05T09:02:30Z"), poolId: "m5.xlarge.us-east-1b" },
  ]);
  const r = replay(trace.points, { interruptions: trace.interruptions });
  // Engine v2: into the calm pool 1c once it has a risk score and stays; engine v1 made 4 moves
  // (one a risk exit on relative volatility) and saved 38.13 %.
  assert.deepEqual(r, {
    savings_pct: 66.4,
    moves: 1,
    flaps: 0,
    interruptions: 0,
    hours_by_pool: { "m5.xlarge.us-east-1c": 70.92, "ondemand": 1 },
    decisions: [
      {
        time: "2025-03-03T01:00:00.000Z",
        action: "switch_to_spot",
        target: "m5.xlarge.us-east-1c",
        reason_code: "spot_cheaper",
      },
    ],
    total_cost: 4.64,
    overlap_cost: 0.032,
    ondemand_cost: 13.808,
    hours: 71.92,
    evaluations: 864,
    stays_by_reason: {
      target_risk_unknown: 12,
      current_is_best: 768,
      savings_below_minimum: 83,
    },
  });
  assert.deepEqual(
    replay(trace.points, { interruptions: trace.interruptions }),
    r,
    "deterministic",
  );
});

Deno.test({
  name: "replay: the fixture file is what its generator writes",
  ignore: !CAN_READ,
  fn: async () => assert.equal(await Deno.readTextFile(FIXTURE), makeTrace()),
});

Deno.test("replay: costs integrate price × time per segment, overlap included", () => {
  // A flat pool at half the on-demand price: unknown risk for the first hour (warm-up), then a move.
  const trace = [0, 1, 2].map((h) => point(h, "a", 0.1));
  const r = replay(trace);
  assert.deepEqual(r.decisions.map((d) => [d.time, d.target]), [
    ["2025-01-01T01:00:00.000Z", "m5.large.us-east-1a"],
  ]);
  assert.deepEqual(r.hours_by_pool, { "m5.large.us-east-1a": 1, "ondemand": 1 });
  assert.equal(r.overlap_cost, 0.0333); // 600 s of the old on-demand instance at $0.2/h
  assert.equal(r.total_cost, 0.3333); // 1 h × 0.2 + 1 h × 0.1 + overlap
  assert.equal(r.ondemand_cost, 0.4);
  assert.equal(r.savings_pct, 16.67);
});

Deno.test("replay: options change the start state and the agent config", () => {
  const trace = [0, 1, 2, 3].map((h) => point(h, "a", 0.1));
  const off = replay(trace, { config: { autoSwitchEnabled: false } });
  assert.equal(off.moves, 0);
  assert.equal(off.savings_pct, 0);
  const spot = replay(trace, { startMode: "spot", startPool: "m5.large.us-east-1a" });
  assert.equal(spot.moves, 0);
  assert.deepEqual(spot.hours_by_pool, { "m5.large.us-east-1a": 3 });
  assert.equal(spot.savings_pct, 50);
  assert.throws(
    () => replay(trace, { startMode: "spot", startPool: "m5.large.us-east-1z" }),
    /startPool/,
  );
  assert.throws(() => replay([]), /no price points/);
  assert.throws(() => replay(trace, { policy: { horizonHours: -1 } }), /horizonHours/);
});

Deno.test("replay: an interruption relaunches in the replica pool, a forced move and no flap", () => {
  const trace = [0, 1, 2, 3, 4, 5, 6].flatMap((h) => [point(h, "a", 0.1), point(h, "b", 0.12)]);
  const r = replay(trace, {
    interruptions: [{ at: new Date("2025-01-01T02:30:00Z"), poolId: "m5.large.us-east-1a" }],
    config: { minPoolDurationHours: 1 },
  });
  assert.deepEqual(r.decisions.map((d) => [d.time.slice(11, 16), d.action, d.target]), [
    ["01:00", "switch_to_spot", "m5.large.us-east-1a"],
    ["02:30", "interrupted", "m5.large.us-east-1b"], // choosePool: the other AZ
  ]);
  assert.equal(r.interruptions, 1);
  assert.equal(r.moves, 1);
  assert.equal(r.flaps, 0);
  assert.deepEqual(r.hours_by_pool, {
    "m5.large.us-east-1a": 1.5,
    "m5.large.us-east-1b": 3.5,
    "ondemand": 1,
  });
});

Deno.test("replay: without another pool it runs on-demand; going back is not a flap", () => {
  const trace = [0, 1, 2, 3, 4, 5, 6].map((h) => point(h, "a", 0.1));
  const r = replay(trace, {
    // at exactly 02:00: the decision of 02:00 does not know it yet
    interruptions: [{ at: new Date("2025-01-01T02:00:00Z"), poolId: "m5.large.us-east-1a" }],
    config: { minPoolDurationHours: 1 },
  });
  assert.deepEqual(r.decisions.map((d) => [d.time.slice(11, 16), d.action, d.target]), [
    ["01:00", "switch_to_spot", "m5.large.us-east-1a"],
    ["02:00", "interrupted", "ondemand"],
    // a forced exit starts no dwell time: 03:00 is the next decision
    ["03:00", "switch_to_spot", "m5.large.us-east-1a"],
  ]);
  assert.equal(r.moves, 2); // the forced exit is not a move and uses no switch allowance
  assert.equal(r.flaps, 0); // spot → (forced) on-demand → spot: the engine reversed nothing
  assert.deepEqual(r.hours_by_pool, { "m5.large.us-east-1a": 4, "ondemand": 2 });
});

Deno.test("trace csv: parses optional columns in any order and skips comments", () => {
  const text = [
    "# a comment",
    "ondemand_price,spot_price,region,az,instance_type,pool_id,time,event",
    "0.2,0.1,us-east-1,us-east-1a,m5.large,m5.large.us-east-1a,2025-01-01T00:00:00+01:00,",
    "",
    ",,,,,m5.large.us-east-1a,2025-01-01T00:30:00Z,INTERRUPTION",
  ].join("\r\n");
  const t = parseTraceCsv(text);
  assert.equal(t.points[0].time.toISOString(), "2024-12-31T23:00:00.000Z");
  assert.equal(t.points[0].spotPrice, 0.1);
  assert.deepEqual(t.interruptions, [{
    at: new Date("2025-01-01T00:30:00Z"),
    poolId: "m5.large.us-east-1a",
  }]);
});

Deno.test("trace csv: errors name the line and the cell at fault", () => {
  const row = "2025-01-01T00:00:00Z,m5.large.us-east-1a,m5.large,us-east-1a,us-east-1,0.1,0.2";
  const cases: [string, RegExp][] = [
    ["", /^line 1: empty trace/],
    [
      "time,pool_id,spot_price\n",
      /^line 1: header lacks column\(s\) instance_type, az, region, ondemand_price$/,
    ],
    [`${HEADER}\n`, /^line 1: no price rows/],
    [`${HEADER}\n${row},extra`, /^line 2: 8 cells, header has 7$/],
    [
      `${HEADER}\n${row.replace("00:00:00Z", "00:00:00")}`,
      /^line 2: time '2025-01-01T00:00:00' is not ISO-8601 with a zone/,
    ],
    [
      `${HEADER}\n${row}\n${row.replace("0.1,0.2", "abc,0.2")}`,
      /^line 3: spot_price 'abc' is not a positive number$/,
    ],
    [
      `${HEADER}\n${row.replace("0.1,0.2", "0.1,0")}`,
      /^line 2: ondemand_price '0' is not a positive number$/,
    ],
    [
      `${HEADER}\n${row.replace("m5.large.us-east-1a", "us-east-1a")}`,
      /^line 2: pool_id 'us-east-1a' is not '<instance_type>.<az>'$/,
    ],
    [`${HEADER},event\n${row},spike`, /^line 2: event 'spike' is unknown/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseTraceCsv(text), (err: unknown) => {
      assert.ok(err instanceof TraceParseError);
      assert.match(err.message, message);
      return true;
    });
  }
});
