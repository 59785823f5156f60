/** The one rounding rule of the project (savings, risk, economics, dashboard figures). */

/**
 * Rounds `value` to `decimals` places, half away from zero like MySQL DECIMAL; `toPrecision(15)`
 * first strips binary noise (0.285 × 1e4, 1.005 × 100). Never returns -0.
 */
export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  const r = Math.round(Number((Math.abs(value) * factor).toPrecision(15))) / factor;
  return value < 0 && r !== 0 ? -r : r;
}
