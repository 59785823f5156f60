/**
 * Market data no tenant can poison (pure; the caller passes rows and `now`).
 *
 * - **Report time window.** A pricing report's `collected_at` must lie within
 *   [now − COLLECTED_AT_WINDOW.pastMinutes, now + COLLECTED_AT_WINDOW.futureMinutes] of the
 *   server's clock (20 min back: four report intervals of the agent plus network retries; 2 min
 *   ahead: NTP-synchronised EC2 clocks are never that far off). Outside it the report is refused
 *   with 400 `collected_at_out_of_window`: a report dated in 2100 would otherwise be "the newest"
 *   price of its pool forever.
 * - **Prices per client.** A client's decisions use the latest price its own agents reported for a
 *   pool. Only for a pool none of its agents reported are other tenants' reports used, and only when at
 *   least MIN_PEER_CLIENTS (2) other clients reported it: each client's latest price counts once
 *   and the upper median over clients is taken, so one tenant alone (however many agents or
 *   reports it sends) never sets the price another tenant sees.
 * - **Interruption evidence per client.** Other tenants' interruption evidence counts by distinct
 *   clients with a cap per client (core/risk.ts `perClientEvidenceCap`, `confirmClients`), so one
 *   tenant alone never pushes another tenant's pool over the exit; a client's own notices count in
 *   full (ownNoticeRisk).
 * @module
 */

/** Other clients needed before their prices are used for a pool the client has none of. */
export const MIN_PEER_CLIENTS = 2;

/** The window around the server clock a report's collected_at must fall in. */
export const COLLECTED_AT_WINDOW = Object.freeze({ pastMinutes: 20, futureMinutes: 2 });

/** Why a collected_at is refused, or null when it is inside the window. */
export function collectedAtProblem(collectedAt: Date, now: Date): string | null {
  const delta = collectedAt.getTime() - now.getTime();
  if (delta > COLLECTED_AT_WINDOW.futureMinutes * 60_000) {
    return `collected_at ${collectedAt.toISOString()} is more than ` +
      `${COLLECTED_AT_WINDOW.futureMinutes} min ahead of the server clock ${now.toISOString()}`;
  }
  if (-delta > COLLECTED_AT_WINDOW.pastMinutes * 60_000) {
    return `collected_at ${collectedAt.toISOString()} is more than ` +
      `${COLLECTED_AT_WINDOW.pastMinutes} min behind the server clock ${now.toISOString()}`;
  }
  return null;
}

/** One stored pricing report's pool prices. */
export interface ReportedMarketRow {
  clientId: string;
  collectedAt: Date;
  pools: { poolId: string; price: number }[];
}

/** The price a client sees for a pool and where it came from. */
export interface MarketQuote {
  poolId: string;
  price: number;
  at: Date;
  source: "own" | "peers";
  /** Distinct clients the price is aggregated from (1 for own). */
  clients: number;
}

/** The prices `clientId` decides with: its own latest per pool, else the median over clients. */
export function clientMarket(
  rows: readonly ReportedMarketRow[],
  clientId: string,
): Map<string, MarketQuote> {
  // latest[pool][client] = newest observation of that client.
  const latest = new Map<string, Map<string, { price: number; at: Date }>>();
  for (const r of rows) {
    for (const p of r.pools) {
      if (!(Number.isFinite(p.price) && p.price > 0)) continue;
      let byClient = latest.get(p.poolId);
      if (!byClient) latest.set(p.poolId, byClient = new Map());
      const seen = byClient.get(r.clientId);
      if (!seen || r.collectedAt.getTime() > seen.at.getTime()) {
        byClient.set(r.clientId, { price: p.price, at: r.collectedAt });
      }
    }
  }
  const out = new Map<string, MarketQuote>();
  for (const [poolId, byClient] of latest) {
    const own = byClient.get(clientId);
    if (own) {
      out.set(poolId, { poolId, price: own.price, at: own.at, source: "own", clients: 1 });
      continue;
    }
    if (byClient.size < MIN_PEER_CLIENTS) continue;
    // Upper median: at least half of the clients report this price or more, so no single client
    // can make a pool look cheap (a false low price would attract a move; a false high one only
    // holds a move back).
    const obs = [...byClient.values()].sort((a, b) => a.price - b.price);
    const used = obs[obs.length >> 1];
    out.set(poolId, {
      poolId,
      price: used.price,
      at: used.at,
      source: "peers",
      clients: obs.length,
    });
  }
  return out;
}
