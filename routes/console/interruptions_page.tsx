/**
 * Interruptions and pool risk: each termination notice or rebalance signal with its timeline
 * (notice -> replica requested -> registered -> ready -> promoted, seconds after the notice), and
 * the risk of every pool the client's agents can use with the evidence of its latest analysis.
 */
import type { ConsoleKit } from "./_kit.ts";
import { Page, price, TableWrap, when } from "./_layout.tsx";
import { Badge } from "./client_pages.tsx";
import { listClientPoolRisk, listInterruptions } from "../../db/interruption_views.ts";
import type { InterruptionItem } from "../../db/interruption_views.ts";

function after(from: string, to: string | null): string {
  if (!to) return "–";
  const s = Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
  return s < 120 ? `+${s.toFixed(0)} s` : `+${(s / 60).toFixed(1)} min`;
}

/** The interruptions table (also on the agent page). */
export function InterruptionTable(props: { items: InterruptionItem[] }) {
  if (props.items.length === 0) return <p>No interruption signals recorded.</p>;
  return (
    <TableWrap label="Interruptions">
      <table>
        <thead>
          <tr>
            <th scope="col">Notice</th>
            <th scope="col">Agent</th>
            <th scope="col">Signal</th>
            <th scope="col">Pool</th>
            <th scope="col">Replica requested</th>
            <th scope="col">Replica registered</th>
            <th scope="col">Ready</th>
            <th scope="col">Promoted</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((i) => (
            <tr>
              <td>{when(i.detectedAt)}</td>
              <td>{i.agentName ?? i.agentId}</td>
              <td>{i.eventType === "termination_notice" ? "termination notice" : "rebalance"}</td>
              <td>{i.poolId ?? "–"}</td>
              <td>{after(i.detectedAt, i.replicaRequestedAt)}</td>
              <td>{after(i.detectedAt, i.replicaRegisteredAt)}</td>
              <td>{after(i.detectedAt, i.replicaReadyAt)}</td>
              <td>{after(i.detectedAt, i.promotedAt)}</td>
              <td class="wrap">
                {`${i.status}${i.noReplicaReason ? ` (no replica: ${i.noReplicaReason})` : ""}${
                  i.actionTaken ? ` · ${i.actionTaken}` : ""
                }`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function riskLevel(score: number | null): string {
  if (score === null) return "unknown";
  return score >= 0.7 ? "high" : score >= 0.4 ? "medium" : "low";
}

/** Registers /console/interruptions. */
export function registerInterruptionsPage(kit: ConsoleKit): void {
  kit.page("/console/interruptions", "client", async ({ c, session, flash }) => {
    const { db } = c.get("deps");
    const items = await listInterruptions(db, { clientId: session.clientId, limit: 200 });
    const pools = await listClientPoolRisk(db, { clientId: session.clientId, limit: 200 });
    return c.html(
      <Page
        title="Interruptions & pool risk"
        session={session}
        current="/console/interruptions"
        flash={flash}
      >
        <h2>Interruptions</h2>
        <p class="hint">Times are counted from the notice.</p>
        <InterruptionTable items={items} />
        <h2>Pool risk</h2>
        <p class="hint">
          Pools of the instance types and regions your agents run in. Risk 0..1 from the pool risk
          job: price volatility over 24 h and interruption notices seen in the pool.
        </p>
        <TableWrap label="Pool risk">
          <table>
            <thead>
              <tr>
                <th scope="col">Pool</th>
                <th scope="col" class="num">Risk</th>
                <th scope="col">Recommendation</th>
                <th scope="col" class="num">Volatility</th>
                <th scope="col" class="num">Avg 24 h</th>
                <th scope="col" class="num">Min–max 24 h</th>
                <th scope="col" class="num">Interruptions</th>
                <th scope="col">Analysed</th>
              </tr>
            </thead>
            <tbody>
              {pools.map((p) => (
                <tr>
                  <td>{p.poolId}</td>
                  <td class="num">
                    {p.riskScore === null ? "–" : p.riskScore.toFixed(2)}{" "}
                    <Badge value={riskLevel(p.riskScore)} />
                  </td>
                  <td>{p.recommendation ?? "–"}</td>
                  <td class="num">
                    {p.priceVolatility === null ? "–" : p.priceVolatility.toFixed(4)}
                  </td>
                  <td class="num">{price(p.avgPrice24h)}</td>
                  <td class="num">
                    {p.minPrice24h === null
                      ? "–"
                      : `${price(p.minPrice24h)} – ${price(p.maxPrice24h)}`}
                  </td>
                  <td class="num">{p.interruptionFrequency ?? "–"}</td>
                  <td>{when(p.analyzedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </Page>,
    );
  });
}
