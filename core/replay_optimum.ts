/**
 * The hindsight optimum of a market grid: the cheapest placement plan under the cost model and switch
 * limits of core/replay_score.ts, by dynamic programming over (placement, moves used this trace day,
 * moves used this trace week). It knows the whole trace, interruptions included, so no real policy
 * can beat it; it may start in any placement for free. Pure.
 * @module
 */
import { buckets, OD, priceAt, type ScoreCosts, stepHours } from "./replay_score.ts";
import type { MarketGrid } from "./replay_grid.ts";

/** The optimal plan (placement per step) and its cost. */
export interface OptimumPlan {
  plan: number[];
  cost: number;
}

/** Finds the cheapest plan; placements are OD (-1) or pool indexes. */
export function optimumPlan(grid: MarketGrid, costs: ScoreCosts): OptimumPlan {
  const P = grid.pools.length + 1; // slot 0 = on-demand, slot k = pool k-1
  const D = costs.maxPerDay + 1;
  const W = costs.maxPerWeek + 1;
  const size = P * D * W;
  const idx = (slot: number, d: number, w: number) => (slot * D + d) * W + w;
  const n = grid.times.length;
  let cur = new Float64Array(size).fill(Infinity);
  for (let s = 0; s < P; s++) {
    if (!Number.isNaN(priceAt(grid, s - 1, 0))) cur[idx(s, 0, 0)] = 0;
  }
  // back[i][next] = prev state * P + chosen slot, for the state entering step i + 1.
  const back: Int32Array[] = [];
  let prevB = buckets(grid, 0);
  for (let i = 0; i < n; i++) {
    const b = buckets(grid, i);
    const resetD = b.day !== prevB.day;
    const resetW = b.week !== prevB.week;
    prevB = b;
    const next = new Float64Array(size).fill(Infinity);
    const bp = new Int32Array(size).fill(-1);
    const h = stepHours(grid, i);
    for (let s = 0; s < P; s++) {
      const from = s - 1;
      const fromPrice = priceAt(grid, from, i);
      for (let d0 = 0; d0 < D; d0++) {
        for (let w0 = 0; w0 < W; w0++) {
          const v = cur[idx(s, d0, w0)];
          if (v === Infinity) continue;
          const d = resetD ? 0 : d0;
          const w = resetW ? 0 : w0;
          for (let q = 0; q < P; q++) {
            const to = q - 1;
            const price = priceAt(grid, to, i);
            if (Number.isNaN(price)) continue;
            let c = v + price * h;
            let d1 = d;
            let w1 = w;
            if (q !== s) {
              if (d + 1 >= D || w + 1 >= W) continue;
              c += costs.overlapHours * fromPrice + costs.moveDowntimeCost;
              d1++;
              w1++;
            }
            let after = q;
            if (to !== OD && grid.interrupts[i].has(to)) {
              c += costs.interruptionLoss;
              after = 0;
            }
            const k = idx(after, d1, w1);
            if (c < next[k]) {
              next[k] = c;
              bp[k] = idx(s, d0, w0) * P + q;
            }
          }
        }
      }
    }
    back.push(bp);
    cur = next;
  }
  let best = 0;
  for (let k = 1; k < size; k++) if (cur[k] < cur[best]) best = k;
  const plan = new Array<number>(n);
  let k = best;
  for (let i = n - 1; i >= 0; i--) {
    const code = back[i][k];
    plan[i] = (code % P) - 1;
    k = Math.floor(code / P);
  }
  return { plan, cost: cur[best] };
}
