/**
 * Client pages: fleet overview, agents (with the last decision as a sentence), switches and
 * notifications. Figures come from the client API (routes/client, routes/notifications.ts).
 */
import { z } from "zod";
import type { ConsoleKit } from "./_kit.ts";
import { Csrf, Figures, Page, price, TableWrap, usd, when } from "./_layout.tsx";
import { BarChart } from "./_charts.tsx";
import { lastDays, ledgerRows } from "./_ledger.ts";
import { AgentDecisions, Agents, Notifications, Overview, Savings, Switches } from "./_wire.ts";

type DecisionT = z.infer<typeof AgentDecisions>["agents"][number]["decisionHistory"][number];

/** "Switch to spot: risk 0.12, expected saving $0.0210/h — cheaper pool (2026-11-27 10:00 UTC)". */
export function decisionSentence(d: DecisionT | undefined): string {
  if (!d) return "No decision recorded yet";
  const verb = d.type === "stay"
    ? `Stay on ${d.currentMode ?? "the current mode"}`
    : d.type === "switch_ondemand"
    ? "Switch to on-demand"
    : `Switch to spot (${d.action})`;
  const numbers = [
    d.riskScore === null ? null : `risk ${d.riskScore.toFixed(2)}`,
    d.expectedSavings === null ? null : `expected saving ${price(d.expectedSavings)}`,
  ].filter(Boolean).join(", ");
  return `${verb}${numbers ? `: ${numbers}` : ""}${d.reason ? ` — ${d.reason}` : ""} (${
    when(d.time)
  })`;
}

/** A status badge. */
export function Badge(props: { value: string }) {
  return <span class={`badge ${props.value}`}>{props.value}</span>;
}

/** Registers the overview, agents, switches and notifications pages. */
export function registerClientPages(kit: ConsoleKit): void {
  kit.page("/console/overview", "client", async ({ c, session, api, flash }) => {
    const id = session.clientId;
    const o = await api.get(`/api/client/${id}`, Overview);
    const s = await api.get(`/api/client/${id}/savings`, Savings);
    const now = c.get("deps").clock();
    const rows = await ledgerRows(c.get("deps").db, {
      clientId: id,
      now,
      days: 30,
      liveDays: s.live_days,
    });
    const byDay = new Map(rows.map((r) => [r.snapshotDate, r]));
    const days = lastDays(now, 30);
    const offline = o.total_agents - o.online_agents;
    const onDemand = o.active_instances - o.spot_instances;
    return c.html(
      <Page
        title="Overview"
        heading={o.name}
        session={session}
        current="/console/overview"
        flash={flash}
      >
        <Figures
          items={[
            ["Agents online", String(o.online_agents), "fig-online"],
            ["Agents offline", String(offline), "fig-offline"],
            ["Spot instances", String(o.spot_instances), "fig-spot"],
            ["On-demand instances", String(onDemand), "fig-ondemand"],
            ["Savings today", usd(o.today_savings), "fig-today"],
            ["Savings, last 30 days", usd(o.monthly_savings), "fig-month"],
            ["Savings, all time", usd(o.total_savings), "fig-total"],
          ]}
        />
        <section>
          <h2>Gross vs net savings, last 30 days</h2>
          <p class="hint">
            Gross: what the primary instances saved against on-demand. Net: gross minus the overlap
            of switches and the cost of replicas. Days not settled by the daily job yet are computed
            live.
          </p>
          <BarChart
            title="Daily gross and net savings (USD), last 30 days"
            desc={`Net savings over the 30 days: ${
              usd(rows.reduce((a, r) => a + r.dailySavings, 0))
            }`}
            labels={days.map((d) => d.slice(5))}
            series={[
              {
                name: "Gross",
                cls: "s1",
                values: days.map((d) => byDay.get(d)?.grossSavings ?? null),
              },
              {
                name: "Net",
                cls: "s0",
                values: days.map((d) => byDay.get(d)?.dailySavings ?? null),
              },
            ]}
          />
        </section>
        <p>
          Switches: {o.total_switches} in total, {o.switches_today} today. Last heartbeat:{" "}
          {when(o.lastSync)}. <a href="/console/savings">Savings ledger</a> ·{" "}
          <a href="/console/agents">Agents</a>
        </p>
      </Page>,
    );
  });

  kit.page("/console/agents", "client", async ({ c, session, api, flash }) => {
    const id = session.clientId;
    const { agents } = await api.get(`/api/client/${id}/agents`, Agents);
    const decisions = await api.get(`/api/client/${id}/agents/decisions`, AgentDecisions);
    const last = new Map(decisions.agents.map((a) => [a.agentId, a.decisionHistory[0]]));
    return c.html(
      <Page title="Agents" session={session} current="/console/agents" flash={flash}>
        <TableWrap label="Agents">
          <table>
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Status</th>
                <th scope="col">Mode</th>
                <th scope="col">Pool</th>
                <th scope="col">Last heartbeat</th>
                <th scope="col">Last decision</th>
              </tr>
            </thead>
            <tbody>
              {agents.map((a) => (
                <tr>
                  <td>
                    <a href={`/console/agents/${encodeURIComponent(a.id)}`}>
                      {a.logical_agent_id ?? a.hostname ?? a.id}
                    </a>
                  </td>
                  <td>
                    <Badge value={a.enabled ? a.status : "disabled"} />
                  </td>
                  <td>{a.current_mode}</td>
                  <td>{a.current_pool_id ?? "–"}</td>
                  <td>{when(a.last_heartbeat_at)}</td>
                  <td class="wrap">{decisionSentence(last.get(a.id))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
        {agents.length === 0 ? <p>No agents yet: install the agent with your token.</p> : null}
      </Page>,
    );
  });

  kit.page("/console/switches", "client", async ({ c, session, api, flash }) => {
    const { switches, total } = await api.get(
      `/api/client/${session.clientId}/switches?limit=200`,
      Switches,
    );
    return c.html(
      <Page title="Switches" session={session} current="/console/switches" flash={flash}>
        <p>{total} switches recorded; the newest 200 are shown.</p>
        <TableWrap label="Switches">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Trigger</th>
                <th scope="col" class="num">Saving</th>
                <th scope="col" class="num">Downtime</th>
              </tr>
            </thead>
            <tbody>
              {switches.map((s) => (
                <tr>
                  <td>{when(s.initiated_at)}</td>
                  <td>
                    {`${s.old_mode ?? "?"} ${s.old_pool_id ?? s.old_az ?? ""} ${
                      s.old_instance_id ?? ""
                    }`}
                  </td>
                  <td>
                    {`${s.new_mode ?? "?"} ${s.new_pool_id ?? s.new_az ?? ""} ${
                      s.new_instance_id ?? ""
                    }`}
                  </td>
                  <td>{s.trigger_type ?? "–"}</td>
                  <td class="num">{price(s.savings_impact)}</td>
                  <td class="num">
                    {s.downtime_seconds === null ? "–" : `${s.downtime_seconds} s`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </Page>,
    );
  });

  kit.page("/console/notifications", "client", async ({ c, session, api, flash }) => {
    const items = await api.get(`/api/notifications?limit=200`, Notifications);
    const unread = items.filter((n) => !n.isRead).length;
    return c.html(
      <Page title="Notifications" session={session} current="/console/notifications" flash={flash}>
        <p>{unread} unread.</p>
        {unread > 0
          ? (
            <form method="post" action="/console/notifications/read-all" class="inline">
              <Csrf value={session.csrf} />
              <button type="submit">Mark all read</button>
            </form>
          )
          : null}
        <TableWrap label="Notifications">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Severity</th>
                <th scope="col">Message</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {items.map((n) => (
                <tr>
                  <td>{when(n.time)}</td>
                  <td>
                    <Badge value={n.severity} />
                  </td>
                  <td class="wrap">{n.message}</td>
                  <td>
                    {n.isRead ? "read" : (
                      <form
                        method="post"
                        action={`/console/notifications/${encodeURIComponent(n.id)}/read`}
                        class="inline"
                      >
                        <Csrf value={session.csrf} />
                        <button type="submit" aria-label={`Mark read: ${n.message.slice(0, 60)}`}>
                          Mark read
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </Page>,
    );
  });

  kit.action(
    "/console/notifications/:id/read",
    "client",
    z.object({}),
    async ({ c, api }) => {
      const nid = c.req.param("id") ?? "";
      await api.send("POST", `/api/notifications/${encodeURIComponent(nid)}/mark-read`);
      return "/console/notifications";
    },
  );
  kit.action("/console/notifications/read-all", "client", z.object({}), async ({ api }) => {
    await api.send("POST", "/api/notifications/mark-all-read");
    return "/console/notifications";
  });
}
