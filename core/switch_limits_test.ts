import assert from "node:assert/strict";
import {
  checkSwitchLimits,
  countSwitchesWithin,
  dwellHours,
  meanDowntimeSeconds,
  type SwitchRecord,
} from "./switch_limits.ts";

const NOW = new Date("2025-01-10T12:00:00Z");
const H = 3_600_000;
const at = (hoursAgo: number, downtimeSeconds: number | null = null): SwitchRecord => ({
  at: new Date(NOW.getTime() - hoursAgo * H),
  fromMode: "spot",
  toMode: "ondemand",
  fromPool: "m5.xlarge.us-east-1a",
  toPool: null,
  downtimeSeconds,
});

Deno.test("switch limits: the rolling window excludes its start and includes future skew", () => {
  const switches = [at(24), at(23.999), at(-0.01)];
  assert.equal(countSwitchesWithin(switches, NOW, 24), 2);
  assert.equal(countSwitchesWithin(switches, NOW, 24.001), 3);
});

Deno.test("switch limits: day and week limits, with and without the allowance", () => {
  const switches = [at(1), at(2), at(3), at(50), at(100)];
  const opts = { now: NOW, maxPerDay: 3, maxPerWeek: 5 };
  assert.deepEqual(checkSwitchLimits(switches, opts), {
    dayCount: 3,
    weekCount: 5,
    dayLimit: 3,
    weekLimit: 5,
    dayOk: false,
    weekOk: false,
  });
  const extra = checkSwitchLimits(switches, { ...opts, allowance: 1 });
  assert.equal(extra.dayOk && extra.weekOk, true);
  assert.equal(checkSwitchLimits([], opts).dayOk, true);
});

Deno.test("switch limits: mean downtime ignores missing values and falls back when none", () => {
  assert.deepEqual(meanDowntimeSeconds([at(1, 30), at(2, null), at(3, 90)], 120), {
    seconds: 60,
    samples: 2,
  });
  assert.deepEqual(meanDowntimeSeconds([at(1, null)], 120), { seconds: 120, samples: 0 });
});

Deno.test("switch limits: dwell counts from poolSince, else the newest switch, else unknown", () => {
  assert.equal(dwellHours(new Date(NOW.getTime() - 1.5 * H), { switches: [], now: NOW }), 1.5);
  assert.equal(dwellHours(null, { switches: [at(5), at(2)], now: NOW }), 2);
  assert.equal(dwellHours(null, { switches: [], now: NOW }), null);
  assert.equal(dwellHours(new Date(NOW.getTime() + H), { switches: [], now: NOW }), 0);
});
