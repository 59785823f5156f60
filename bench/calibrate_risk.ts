/**
 * How the interruption constants of core/risk.ts were calibrated: after each termination notice of
 * the regime fixtures (tests/fixtures/make_regimes.ts, the committed seed and three others), how often
 * was another pool of the same type, not yet hit in the burst, interrupted within the next
 * `--sibling-minutes` (12), and how often was the same pool hit again within 60 minutes and within
 * 24 h. Beside each observed share it prints what the model predicts for the same window: the
 * decaying hazard integrated over the window, P = 1 − e^(−∫λ).
 *
 *   deno run -A bench/calibrate_risk.ts [--sibling-minutes=12] [--json]
 *
 * The fixtures are synthetic (their storms hit every pool once within minutes): re-run this on
 * recorded notices before trusting the constants on another fleet. Prints only; records nothing.
 * @module
 */
import { parseTraceCsv, type TraceInterruption } from "../core/trace_csv.ts";
import { DEFAULT_RISK_OPTIONS } from "../core/risk.ts";
import { makeRegime, REGIME_NAMES } from "../tests/fixtures/make_regimes.ts";

const SEEDS = [20250602, 7, 99, 31337];
const MIN = 60_000;
const BURST_MS = DEFAULT_RISK_OPTIONS.burstMinutes * MIN;

interface Share {
  hits: number;
  total: number;
}

/** The observed shares over every fixture and seed. */
export function calibrate(siblingMinutes = 12): {
  notices: number;
  sibling: Share;
  samePoolHour: Share;
  samePoolDay: Share;
} {
  const sibling = { hits: 0, total: 0 };
  const samePoolHour = { hits: 0, total: 0 };
  const samePoolDay = { hits: 0, total: 0 };
  let notices = 0;
  for (const seed of SEEDS) {
    for (const name of REGIME_NAMES) {
      const t = parseTraceCsv(makeRegime(name, seed));
      const end = Math.max(...t.points.map((p) => p.time.getTime()));
      const pools = [...new Set(t.points.map((p) => p.poolId))];
      const typeOf = new Map(t.points.map((p) => [p.poolId, p.instanceType]));
      const events = [...t.interruptions].sort((a, b) => a.at.getTime() - b.at.getTime());
      for (const e of events) {
        const at = e.at.getTime();
        notices++;
        const hit = (pool: string, from: number, to: number) =>
          events.some((x) => x.poolId === pool && x.at.getTime() > from && x.at.getTime() <= to);
        for (const q of pools) {
          if (q === e.poolId || typeOf.get(q) !== typeOf.get(e.poolId)) continue;
          if (hit(q, at - BURST_MS, at)) continue; // q was already hit in this burst
          if (at + siblingMinutes * MIN > end) continue;
          sibling.total++;
          if (hit(q, at, at + siblingMinutes * MIN)) sibling.hits++;
        }
        count(samePoolHour, events, e, at + 60 * MIN, end);
        count(samePoolDay, events, e, at + 24 * 60 * MIN, end);
      }
    }
  }
  return { notices, sibling, samePoolHour, samePoolDay };
}

function count(
  s: Share,
  events: TraceInterruption[],
  e: TraceInterruption,
  to: number,
  end: number,
) {
  if (to > end) return;
  s.total++;
  const at = e.at.getTime();
  if (events.some((x) => x.poolId === e.poolId && x.at.getTime() > at && x.at.getTime() <= to)) {
    s.hits++;
  }
}

/** P = 1 − e^(−∫₀ʷ k·0.5^(t/h) dt) for one unit of evidence at age 0 (w and h in hours). */
export function modelShare(k: number, halfLifeHours: number, windowHours: number): number {
  const integral = (k * halfLifeHours / Math.LN2) * (1 - 0.5 ** (windowHours / halfLifeHours));
  return 1 - Math.exp(-(integral + DEFAULT_RISK_OPTIONS.baseHazard * windowHours));
}

if (import.meta.main) {
  const arg = Deno.args.find((a) => a.startsWith("--sibling-minutes="));
  const minutes = arg ? Number(arg.slice(18)) : 12;
  if (!(minutes > 0)) {
    console.error("usage: deno run -A bench/calibrate_risk.ts [--sibling-minutes=12] [--json]");
    Deno.exit(2);
  }
  const r = calibrate(minutes);
  const o = DEFAULT_RISK_OPTIONS;
  const rows = [
    {
      what: `a pool of the same type not yet hit, within ${minutes} min of a notice`,
      ...r.sibling,
      model: modelShare(o.siblingHazard, o.siblingHalfLifeHours, minutes / 60),
    },
    {
      what: "the same pool again within 60 min",
      ...r.samePoolHour,
      model: modelShare(o.noticeHazard, o.halfLifeHours, 1),
    },
    {
      what: "the same pool again within 24 h",
      ...r.samePoolDay,
      model: modelShare(o.noticeHazard, o.halfLifeHours, 24),
    },
  ];
  if (Deno.args.includes("--json")) {
    console.log(JSON.stringify({ notices: r.notices, rows }));
  } else {
    console.log(
      `${r.notices} notices over ${SEEDS.length} seeds × ${REGIME_NAMES.length} regimes\n`,
    );
    console.log("| after a termination notice | observed | model |");
    console.log("| --- | ---: | ---: |");
    for (const x of rows) {
      const share = x.total ? (100 * x.hits / x.total).toFixed(1) : "n/a";
      console.log(
        `| ${x.what} | ${x.hits}/${x.total} = ${share} % | ${(100 * x.model).toFixed(1)} % |`,
      );
    }
  }
}
