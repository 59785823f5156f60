/**
 * One agent: a 7-day price chart of its pools against on-demand, the decisions timeline with
 * reasons, its switches, its interruptions (notice -> replica registered -> ready), the settings
 * form and the manual switch with a picker listing the pools the API offers.
 */
import { z } from "zod";
import type { ConsoleKit } from "./_kit.ts";
import { setFlash } from "./_kit.ts";
import { Csrf, Figures, Page, price, TableWrap, when } from "./_layout.tsx";
import { LineChart } from "./_charts.tsx";
import type { Series } from "./_charts.tsx";
import { Badge, decisionSentence } from "./client_pages.tsx";
import { AgentDecisions, AgentDetail, Options, PriceHistory, Switches } from "./_wire.ts";
import { listInterruptions } from "../../db/interruption_views.ts";
import { InterruptionTable } from "./interruptions_page.tsx";

const checkbox = z.string().optional().transform((v) => v === "on");

const SettingsForm = z.object({
  auto_switch_enabled: checkbox,
  auto_terminate_enabled: checkbox,
  manual_replica_enabled: checkbox,
  terminate_wait_seconds: z.coerce.number().int().min(0).max(86400),
});

const SwitchForm = z.object({ target: z.string().trim().min(1).max(140) });

const agentPath = (id: string) => `/console/agents/${encodeURIComponent(id)}`;

/** Registers the agent page and its two forms. */
export function registerAgentPage(kit: ConsoleKit): void {
  kit.page("/console/agents/:id", "client", async ({ c, session, api, flash }) => {
    const id = c.req.param("id") ?? "";
    const a = await api.get(`/api/agents/${encodeURIComponent(id)}`, AgentDetail);
    const cid = session.clientId;
    const decisions = (await api.get(`/api/client/${cid}/agents/decisions`, AgentDecisions))
      .agents.find((d) => d.agentId === a.id)?.decisionHistory ?? [];
    const switches = (await api.get(`/api/client/${cid}/switches?limit=500`, Switches))
      .switches.filter((s) => s.agent_id === a.id).slice(0, 50);
    const inst = a.instance_id ? encodeURIComponent(a.instance_id) : null;
    const options = inst
      ? await api.get(`/api/client/instances/${inst}/available-options`, Options)
      : null;
    const history = inst
      ? await api.get(
        `/api/client/instances/${inst}/price-history?days=7&interval=hour`,
        PriceHistory,
      )
      : null;
    const interruptions = await listInterruptions(c.get("deps").db, {
      clientId: cid,
      agentId: a.id,
      limit: 50,
    });
    const series: Series[] = history
      ? [
        {
          name: "On-demand",
          cls: "s5",
          values: history.data.map((p) => typeof p.onDemand === "number" ? p.onDemand : null),
        },
        ...history.pools.slice(0, 5).map((pool, i) => ({
          name: pool.id,
          cls: `s${i}`,
          values: history.data.map((p) => {
            const v = p[pool.key];
            return typeof v === "number" ? v : null;
          }),
        })),
      ]
      : [];
    const name = a.logical_agent_id ?? a.hostname ?? a.id;
    return c.html(
      <Page title={`Agent ${name}`} session={session} current="/console/agents" flash={flash}>
        <Figures
          items={[
            ["Status", <Badge value={a.enabled ? a.status : "disabled"} />],
            ["Mode", a.current_mode],
            ["Pool", a.current_pool_id ?? "–"],
            ["Instance", `${a.instance_id ?? "–"} (${a.instance_type ?? "?"})`],
            ["Last heartbeat", when(a.last_heartbeat_at)],
          ]}
        />
        <section>
          <h2>Prices, last 7 days</h2>
          {history && history.data.length > 0
            ? (
              <LineChart
                title={`Hourly spot prices of ${a.instance_type} pools vs on-demand`}
                desc={`On-demand ${price(history.onDemandPrice)}; ${history.pools.length} pools`}
                labels={history.data.map((p) => String(p.time).slice(5, 13).replace("T", " "))}
                series={series}
              />
            )
            : <p>No prices recorded for this agent's instance type in the last 7 days.</p>}
        </section>
        <div class="cols">
          <section>
            <h2>Settings</h2>
            <form method="post" action={`${agentPath(a.id)}/settings`} class="stack">
              <Csrf value={session.csrf} />
              <label class="check">
                <input
                  type="checkbox"
                  name="auto_switch_enabled"
                  id="s-auto"
                  checked={a.auto_switch_enabled}
                />
                Switch automatically (decision engine)
              </label>
              <label class="check">
                <input
                  type="checkbox"
                  name="auto_terminate_enabled"
                  id="s-term"
                  checked={a.auto_terminate_enabled}
                />
                Terminate the old instance after a switch
              </label>
              <label class="check">
                <input
                  type="checkbox"
                  name="manual_replica_enabled"
                  id="s-replica"
                  checked={a.manual_replica_enabled}
                />
                Keep a standby replica
              </label>
              <div class="field">
                <label for="s-wait">Wait before terminating (seconds)</label>
                <input
                  id="s-wait"
                  name="terminate_wait_seconds"
                  type="number"
                  min="0"
                  max="86400"
                  value={String(a.terminate_wait_seconds)}
                  required
                />
              </div>
              <button type="submit" class="primary">Save settings</button>
            </form>
          </section>
          <section>
            <h2>Manual switch</h2>
            {options
              ? (
                <form
                  method="post"
                  action={`${agentPath(a.id)}/switch`}
                  class="stack"
                  data-confirm="Queue this switch?"
                >
                  <Csrf value={session.csrf} />
                  <div class="field">
                    <label for="target">Target</label>
                    <select id="target" name="target" required>
                      <option value="ondemand" disabled={options.currentMode === "ondemand"}>
                        On-demand
                      </option>
                      {options.pools.map((p) => (
                        <option
                          value={p.id}
                          disabled={options.currentMode === "spot" &&
                            options.currentPoolId === p.id}
                        >
                          {`Spot ${p.name}: ${p.price > 0 ? price(p.price) : "no recent price"}${
                            options.currentPoolId === p.id ? " (current)" : ""
                          }`}
                        </option>
                      ))}
                    </select>
                  </div>
                  <p class="hint">The agent picks the command up at its next poll.</p>
                  <button type="submit" class="primary">Queue switch</button>
                </form>
              )
              : <p>This agent has no instance yet.</p>}
          </section>
        </div>
        <section>
          <h2>Decisions</h2>
          {decisions.length === 0
            ? <p>No decision recorded in the window.</p>
            : (
              <ol class="timeline">
                {decisions.map((d) => <li>{decisionSentence(d)}</li>)}
              </ol>
            )}
        </section>
        <h2>Switches</h2>
        <TableWrap label="Switches of this agent">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Trigger</th>
                <th scope="col" class="num">Saving</th>
              </tr>
            </thead>
            <tbody>
              {switches.map((s) => (
                <tr>
                  <td>{when(s.initiated_at)}</td>
                  <td>{`${s.old_mode ?? "?"} ${s.old_pool_id ?? s.old_az ?? ""}`}</td>
                  <td>{`${s.new_mode ?? "?"} ${s.new_pool_id ?? s.new_az ?? ""}`}</td>
                  <td>{s.trigger_type ?? "–"}</td>
                  <td class="num">{price(s.savings_impact)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
        <h2>Interruptions</h2>
        <InterruptionTable items={interruptions} />
      </Page>,
    );
  });

  kit.action("/console/agents/:id/settings", "client", SettingsForm, async ({ c, api }, form) => {
    const id = c.req.param("id") ?? "";
    await api.send("POST", `/api/client/agents/${encodeURIComponent(id)}/settings`, form);
    setFlash(c, { kind: "ok", text: "Settings saved." });
    return agentPath(id);
  });

  kit.action("/console/agents/:id/switch", "client", SwitchForm, async ({ c, api }, form) => {
    const id = c.req.param("id") ?? "";
    const a = await api.get(`/api/agents/${encodeURIComponent(id)}`, AgentDetail);
    if (!a.instance_id) return agentPath(id);
    const body = form.target === "ondemand"
      ? { target: "ondemand" }
      : { target: "pool", pool_id: form.target };
    await api.send(
      "POST",
      `/api/client/instances/${encodeURIComponent(a.instance_id)}/force-switch`,
      body,
    );
    setFlash(c, {
      kind: "ok",
      text: `Switch to ${form.target === "ondemand" ? "on-demand" : form.target} queued.`,
    });
    return agentPath(id);
  });
}
