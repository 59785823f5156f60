/**
 * The savings ledger: one row per day (the last 90 days) with hours, costs, gross and net
 * savings, and its CSV export. Totals are the savings API's; the rows are the daily ledger plus
 * the days not settled yet, computed with the same code.
 */
import type { ConsoleKit } from "./_kit.ts";
import { Figures, Page, TableWrap, usd } from "./_layout.tsx";
import { ledgerRows } from "./_ledger.ts";
import { Savings } from "./_wire.ts";
import { toCsv } from "../_csv.ts";

const DAYS = 90;

/** Registers /console/savings and /console/savings.csv. */
export function registerSavingsPage(kit: ConsoleKit): void {
  kit.page("/console/savings", "client", async ({ c, session, api, flash }) => {
    const s = await api.get(`/api/client/${session.clientId}/savings`, Savings);
    const { db, clock } = c.get("deps");
    const rows = await ledgerRows(db, {
      clientId: session.clientId,
      now: clock(),
      days: DAYS,
      liveDays: s.live_days,
    });
    const live = new Set(s.live_days);
    return c.html(
      <Page title="Savings ledger" session={session} current="/console/savings" flash={flash}>
        <Figures
          items={[
            ["Today", usd(s.today_savings)],
            ["Last 30 days", usd(s.monthly_savings)],
            ["All time", usd(s.total_savings)],
            ["Average saving", `${s.average_savings_percent.toFixed(1)} %`],
          ]}
        />
        <p>
          <a href="/console/savings.csv" download>Download the ledger as CSV</a>{" "}
          <span class="hint">
            Settled up to {s.last_settled_day ?? "no day yet"}; later days are computed live.
          </span>
        </p>
        <TableWrap label="Daily savings ledger">
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col" class="num">Spot h</th>
                <th scope="col" class="num">On-demand h</th>
                <th scope="col" class="num">On-demand cost</th>
                <th scope="col" class="num">Paid</th>
                <th scope="col" class="num">Gross</th>
                <th scope="col" class="num">Overlap</th>
                <th scope="col" class="num">Replicas</th>
                <th scope="col" class="num">Net</th>
                <th scope="col" class="num">Switches</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr>
                  <td>{r.snapshotDate}{live.has(r.snapshotDate) ? " (live)" : ""}</td>
                  <td class="num">{r.spotHours.toFixed(1)}</td>
                  <td class="num">{r.ondemandHours.toFixed(1)}</td>
                  <td class="num">{usd(r.wouldBeCost)}</td>
                  <td class="num">{usd(r.totalCost)}</td>
                  <td class="num">{usd(r.grossSavings)}</td>
                  <td class="num">{usd(r.overlapCost)}</td>
                  <td class="num">{usd(r.replicaCost)}</td>
                  <td class="num">{usd(r.dailySavings)}</td>
                  <td class="num">{r.switchCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
        {rows.length === 0 ? <p>No ledger days yet.</p> : null}
      </Page>,
    );
  });

  kit.page("/console/savings.csv", "client", async ({ c, session, api }) => {
    const s = await api.get(`/api/client/${session.clientId}/savings`, Savings);
    const { db, clock } = c.get("deps");
    const now = clock();
    const rows = await ledgerRows(db, {
      clientId: session.clientId,
      now,
      days: 3650,
      liveDays: s.live_days,
    });
    const live = new Set(s.live_days);
    const csv = toCsv(
      [
        "Day",
        "Settled",
        "Spot Hours",
        "On-Demand Hours",
        "Overlap Hours",
        "On-Demand Cost",
        "Actual Cost",
        "Gross Savings",
        "Overlap Cost",
        "Replica Cost",
        "Net Savings",
        "Switches",
      ],
      rows.map((r) => [
        r.snapshotDate,
        !live.has(r.snapshotDate),
        r.spotHours,
        r.ondemandHours,
        r.overlapHours,
        r.wouldBeCost,
        r.totalCost,
        r.grossSavings,
        r.overlapCost,
        r.replicaCost,
        r.dailySavings,
        r.switchCount,
      ]),
    );
    c.header("Content-Type", "text/csv; charset=utf-8");
    c.header(
      "Content-Disposition",
      `attachment; filename="savings-ledger-${now.toISOString().slice(0, 10)}.csv"`,
    );
    return c.body(csv);
  });
}
