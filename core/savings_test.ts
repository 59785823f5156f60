import assert from "node:assert/strict";
import {
  computeDailyLedger,
  daysBetween,
  type LedgerInput,
  onDemandKey,
  previousUtcDay,
  type Segment,
  utcDayBounds,
} from "./savings.ts";

const DAY = "2024-01-15";
const POOL_A = "t3.medium.us-east-1a";
const OD_T3 = onDemandKey("us-east-1", "t3.medium");
const at = (iso: string): Date => new Date(iso.includes("T") ? iso : `${DAY}T${iso}Z`);

function seg(part: Partial<Segment> & Pick<Segment, "start" | "end">): Segment {
  return {
    instanceId: "i-old",
    mode: "spot",
    poolId: POOL_A,
    instanceType: "t3.medium",
    region: "us-east-1",
    overlap: false,
    ...part,
  };
}

function input(part: Partial<LedgerInput>): LedgerInput {
  return {
    day: DAY,
    segments: [],
    spotPrices: {
      // In force since the evening before; changes at 09:30.
      [POOL_A]: [
        { at: at("09:30"), price: 0.04 },
        { at: at("2024-01-14T20:00:00Z"), price: 0.03 },
      ],
    },
    onDemandPrices: { [OD_T3]: [{ at: at("2024-01-01T00:00:00Z"), price: 0.1 }] },
    replicaCost: 0,
    switchCount: 0,
    previousTotalSavings: 0,
    ...part,
  };
}

// The day: spot in pool A 00:00–14:00 (0.03 → 0.04 $/h at 09:30), switch to on-demand
// (0.10 $/h) 14:00–24:00, the old spot instance overlaps 5 min, a replica ran 2 h at 0.035 $/h.
const FIXTURE_DAY = input({
  segments: [
    seg({ start: at("00:00"), end: at("14:00") }),
    seg({ start: at("14:00"), end: at("14:05"), overlap: true }),
    seg({
      instanceId: "i-new",
      mode: "ondemand",
      poolId: null,
      start: at("14:00"),
      end: at("2024-01-16T00:00:00Z"),
    }),
  ],
  replicaCost: 2 * 0.035,
  switchCount: 1,
  previousTotalSavings: 10.5,
});

Deno.test("savings: the issue's fixture day matches the hand computation", () => {
  // spot   9.5 h × 0.03 = 0.2850 + 4.5 h × 0.04 = 0.1800 → 0.4650
  // od    10 h × 0.10 = 1.0000                      primary cost 1.4650
  // would-be 24 h × 0.10 = 2.4000                   gross 2.4 − 1.465 = 0.9350
  // overlap 5/60 h × 0.04 = 0.0033333                replica 2 × 0.035 = 0.0700
  // net 0.935 − 0.0033333 − 0.07 = 0.8616667 → 0.8617
  // total cost 1.465 + 0.0033333 + 0.07 = 1.5383333 → 1.5383
  // percent 0.8616667 / 2.4 = 35.9028 % → 35.90; total 10.5 + 0.8617 = 11.3617
  assert.deepEqual(computeDailyLedger(FIXTURE_DAY), {
    snapshotDate: DAY,
    spotHours: 14,
    ondemandHours: 10,
    overlapHours: 0.08,
    unpricedHours: 0,
    totalCost: 1.5383,
    wouldBeCost: 2.4,
    grossSavings: 0.935,
    overlapCost: 0.0033,
    replicaCost: 0.07,
    dailySavings: 0.8617,
    averageSavingsPercent: 35.9,
    switchCount: 1,
    totalSavings: 11.3617,
  });
});

Deno.test("savings: segments are clipped to the UTC day", () => {
  const row = computeDailyLedger(input({
    segments: [
      // 22:00 the day before → 03:00: 3 h in the day at 0.03
      seg({ start: at("2024-01-14T22:00:00Z"), end: at("03:00") }),
      // 23:00 → 05:00 the next day: 1 h in the day on-demand
      seg({ mode: "ondemand", poolId: null, start: at("23:00"), end: at("2024-01-16T05:00:00Z") }),
      // entirely the next day
      seg({ start: at("2024-01-16T01:00:00Z"), end: at("2024-01-16T02:00:00Z") }),
    ],
  }));
  assert.equal(row.spotHours, 3);
  assert.equal(row.ondemandHours, 1);
  assert.equal(row.totalCost, 0.19); // 3 × 0.03 + 1 × 0.10
  assert.equal(row.wouldBeCost, 0.4); // 4 × 0.10
  assert.equal(row.dailySavings, 0.21);
});

Deno.test("savings: price fallbacks never invent a saving", () => {
  const row = computeDailyLedger(input({
    spotPrices: {
      // First point after the segment starts: the earliest point prices 06:00–10:00.
      "c5.large.us-east-1b": [{ at: at("15:00"), price: 0.03 }, { at: at("10:00"), price: 0.02 }],
    },
    onDemandPrices: {
      [OD_T3]: [{ at: at("2024-01-01T00:00:00Z"), price: 0.1 }],
      [onDemandKey("us-east-1", "c5.large")]: [{ at: at("12:00"), price: 0.1 }],
    },
    segments: [
      // pool with no price at all → priced at on-demand: 2 h × 0.10 both sides
      seg({ start: at("00:00"), end: at("02:00") }),
      // spot without a pool id → on-demand too: 1 h × 0.10
      seg({ poolId: null, start: at("02:00"), end: at("03:00") }),
      // no on-demand price for the type → unpriced, 0 both sides
      seg({
        instanceType: "m5.large",
        poolId: "m5.large.eu-west-1a",
        region: "eu-west-1",
        start: at("00:00"),
        end: at("03:00"),
      }),
      // 06:00–18:00: spot 4 h × 0.02 + 5 h × 0.02 + 3 h × 0.03 = 0.27; od 12 h × 0.10 = 1.2
      seg({
        instanceType: "c5.large",
        poolId: "c5.large.us-east-1b",
        start: at("06:00"),
        end: at("18:00"),
      }),
    ],
  }));
  assert.equal(row.spotHours, 18);
  assert.equal(row.unpricedHours, 3);
  assert.equal(row.totalCost, 0.57); // 0.2 + 0.1 + 0 + 0.27
  assert.equal(row.wouldBeCost, 1.5); // 0.2 + 0.1 + 0 + 1.2
  assert.equal(row.grossSavings, 0.93);
  assert.equal(row.averageSavingsPercent, 62); // 0.93 / 1.5
});

Deno.test("savings: several instances and an on-demand price change inside a segment", () => {
  const row = computeDailyLedger(input({
    onDemandPrices: {
      [OD_T3]: [{ at: at("12:00"), price: 0.12 }, { at: at("2024-01-01T00:00:00Z"), price: 0.1 }],
      [onDemandKey("us-west-2", "m5.large")]: [{ at: at("2024-01-01T00:00:00Z"), price: 0.096 }],
    },
    segments: [
      // spot 9.5 × 0.03 + 14.5 × 0.04 = 0.865; would-be 12 × 0.10 + 12 × 0.12 = 2.64
      seg({ start: at("00:00"), end: at("2024-01-16T00:00:00Z") }),
      // on-demand 6 × 0.096 = 0.576 on both sides
      seg({
        instanceId: "i-b",
        mode: "ondemand",
        poolId: null,
        instanceType: "m5.large",
        region: "us-west-2",
        start: at("06:00"),
        end: at("12:00"),
      }),
    ],
  }));
  assert.equal(row.spotHours, 24);
  assert.equal(row.ondemandHours, 6);
  assert.equal(row.totalCost, 1.441);
  assert.equal(row.wouldBeCost, 3.216);
  assert.equal(row.grossSavings, 1.775);
  assert.equal(row.dailySavings, 1.775);
  assert.equal(row.averageSavingsPercent, 55.19); // 1.775 / 3.216 = 55.1928 %
});

Deno.test("savings: zero-length, inverted and out-of-day segments add nothing", () => {
  const row = computeDailyLedger(input({
    segments: [
      seg({ start: at("05:00"), end: at("05:00") }),
      seg({ start: at("07:00"), end: at("06:00") }),
      seg({ start: at("2024-01-14T01:00:00Z"), end: at("2024-01-14T05:00:00Z") }),
      seg({ start: at("09:30"), end: at("09:30") }), // exactly on a price change
    ],
    replicaCost: 0.07,
    previousTotalSavings: 1,
  }));
  assert.equal(row.spotHours, 0);
  assert.equal(row.wouldBeCost, 0);
  assert.equal(row.totalCost, 0.07);
  assert.equal(row.dailySavings, -0.07); // a replica on a day without primaries is a net loss
  assert.equal(row.averageSavingsPercent, 0); // would-be 0
  assert.equal(row.totalSavings, 0.93);
});

Deno.test("savings: rounding happens once, at the end", () => {
  // 1 440 one-minute pieces of 0.003 $/h: 0.00005 $ each would round to 0.0001 (0.144 in all);
  // exact: 24 × 0.003 = 0.072.
  const start = at("00:00").getTime();
  const segments = Array.from({ length: 1440 }, (_, i) =>
    seg({
      start: new Date(start + i * 60_000),
      end: new Date(start + (i + 1) * 60_000),
    }));
  const row = computeDailyLedger(input({
    segments,
    spotPrices: { [POOL_A]: [{ at: at("2024-01-14T00:00:00Z"), price: 0.003 }] },
  }));
  assert.equal(row.spotHours, 24);
  assert.equal(row.totalCost, 0.072);
});

Deno.test("savings: the percentage is clamped to DECIMAL(5,2)", () => {
  // 1 h on-demand (would-be 0.10, gross 0) and 5 $ of replicas: −5 000 % → −999.99
  const row = computeDailyLedger(input({
    segments: [seg({ mode: "ondemand", poolId: null, start: at("00:00"), end: at("01:00") })],
    replicaCost: 5,
  }));
  assert.equal(row.dailySavings, -5);
  assert.equal(row.averageSavingsPercent, -999.99);
});

Deno.test("savings: the result does not depend on input order and inputs are not mutated", () => {
  const first = computeDailyLedger(FIXTURE_DAY);
  const spotBefore = FIXTURE_DAY.spotPrices[POOL_A].map((p) => p.price);
  const shuffled = input({
    ...FIXTURE_DAY,
    segments: [...FIXTURE_DAY.segments].reverse(),
    spotPrices: { [POOL_A]: [...FIXTURE_DAY.spotPrices[POOL_A]].reverse() },
  });
  assert.deepEqual(computeDailyLedger(shuffled), first);
  assert.deepEqual(computeDailyLedger(FIXTURE_DAY), first);
  assert.deepEqual(FIXTURE_DAY.spotPrices[POOL_A].map((p) => p.price), spotBefore);
  // Two points at the same instant: the higher wins whatever the order.
  const tie = (prices: number[]) =>
    computeDailyLedger(input({
      segments: [seg({ start: at("00:00"), end: at("01:00") })],
      spotPrices: { [POOL_A]: prices.map((price) => ({ at: at("00:00"), price })) },
    })).totalCost;
  assert.equal(tie([0.05, 0.02]), 0.05);
  assert.equal(tie([0.02, 0.05]), 0.05);
});

Deno.test("savings: the cumulative total carries from day to day over a catch-up", () => {
  let total = 100;
  const rows = daysBetween("2024-01-15", "2024-01-17").map((day) => {
    const { start } = utcDayBounds(day);
    const row = computeDailyLedger(input({
      day,
      // 10 h on spot from midnight; pool A is at 0.04 from 09:30 on the 15th onwards
      segments: [seg({ start, end: new Date(start.getTime() + 10 * 3_600_000) })],
      previousTotalSavings: total,
    }));
    total = row.totalSavings;
    return row;
  });
  // 15th: 9.5 × (0.10 − 0.03) + 0.5 × (0.10 − 0.04) = 0.665 + 0.03 = 0.695; later: 10 × 0.06 = 0.6
  assert.deepEqual(rows.map((r) => r.dailySavings), [0.695, 0.6, 0.6]);
  assert.equal(total, 101.895);
});

Deno.test("savings: day helpers", () => {
  assert.deepEqual(daysBetween("2024-02-27", "2024-03-01"), [
    "2024-02-27",
    "2024-02-28",
    "2024-02-29",
    "2024-03-01",
  ]);
  assert.deepEqual(daysBetween("2024-01-15", "2024-01-15"), ["2024-01-15"]);
  assert.deepEqual(daysBetween("2024-01-16", "2024-01-15"), []);
  assert.throws(() => daysBetween("2024-02-30", "2024-03-01"), RangeError);
  assert.throws(() => computeDailyLedger(input({ day: "2024-1-5" })), RangeError);
  assert.equal(previousUtcDay(new Date("2024-03-01T00:00:00Z")), "2024-02-29");
  assert.equal(previousUtcDay(new Date("2024-01-01T23:59:59.999Z")), "2023-12-31");
  assert.equal(previousUtcDay(new Date("2024-01-01T01:00:00+05:00")), "2023-12-30");
  assert.deepEqual(utcDayBounds("2024-01-15"), {
    start: new Date("2024-01-15T00:00:00Z"),
    end: new Date("2024-01-16T00:00:00Z"),
  });
});
