/**
 * Admin pages: clients (create; regenerate the token, shown once with a copy button; deactivate
 * and reactivate), every client's fleet, system health (database, each job's last run, outcome
 * and whether it is overdue) and the activity feed. Reads and the create/regenerate writes go
 * through the admin API; (de)activation through services/client_status.ts.
 */
import { z } from "zod";
import type { ConsoleCtx, ConsoleKit } from "./_kit.ts";
import { setFlash } from "./_kit.ts";
import { Csrf, Figures, Page, TableWrap, usd, when } from "./_layout.tsx";
import { Badge } from "./client_pages.tsx";
import {
  Activity,
  AdminAgents,
  AdminClients,
  Created,
  Regenerated,
  SystemHealth,
} from "./_wire.ts";
import { setClientAccountActive } from "../../services/client_status.ts";
import { sourceAddress } from "../_middleware/auth.ts";

type AdminCtx = ConsoleCtx<Extract<ConsoleCtx["session"], { role: "admin" }>>;

const CreateForm = z.object({
  name: z.string().trim().min(1, "name is required").max(255),
  email: z.string().trim().max(255).optional(),
});

function TokenShown(props: { x: AdminCtx; title: string; who: string; token: string }) {
  const { x } = props;
  return (
    <Page title={props.title} session={x.session} current="/console/admin/clients">
      <section>
        <p>
          The token of <strong>{props.who}</strong> is shown{" "}
          <strong>only now</strong>: the server keeps a hash of it. Copy it into the agents'
          configuration.
        </p>
        <p class="secret" id="issued-token">{props.token}</p>
        <button type="button" data-copy="issued-token">Copy token</button>{" "}
        <a href="/console/admin/clients">Back to clients</a>
      </section>
    </Page>
  );
}

/** Registers the admin pages and forms. */
export function registerAdminPages(kit: ConsoleKit): void {
  kit.page("/console/admin/clients", "admin", async ({ c, session, api, flash }) => {
    const clients = await api.get("/api/admin/clients?limit=500", AdminClients);
    return c.html(
      <Page title="Clients" session={session} current="/console/admin/clients" flash={flash}>
        <section>
          <h2>New client</h2>
          <form method="post" action="/console/admin/clients" class="stack">
            <Csrf value={session.csrf} />
            <div class="field">
              <label for="c-name">Name</label>
              <input id="c-name" name="name" type="text" required maxlength={255} />
            </div>
            <div class="field">
              <label for="c-email">E-mail (optional)</label>
              <input id="c-email" name="email" type="email" maxlength={255} />
            </div>
            <button type="submit" class="primary">Create client</button>
          </form>
        </section>
        <TableWrap label="Clients">
          <table>
            <thead>
              <tr>
                <th scope="col">Client</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">Agents online</th>
                <th scope="col" class="num">Instances</th>
                <th scope="col" class="num">Savings</th>
                <th scope="col">Last sync</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {clients.map((cl) => (
                <tr>
                  <td>
                    {cl.name}
                    <br />
                    <span class="hint">{cl.email}</span>
                  </td>
                  <td>
                    <Badge value={cl.status} />
                  </td>
                  <td class="num">{`${cl.agentsOnline} / ${cl.agentsTotal}`}</td>
                  <td class="num">{cl.instances}</td>
                  <td class="num">{usd(cl.totalSavings)}</td>
                  <td>{when(cl.lastSync)}</td>
                  <td>
                    <form
                      method="post"
                      action={`/console/admin/clients/${cl.id}/regenerate`}
                      class="inline"
                      data-confirm={`Regenerate the token of ${cl.name}? Its agents stop working until they get the new one.`}
                    >
                      <Csrf value={session.csrf} />
                      <button type="submit" aria-label={`Regenerate token of ${cl.name}`}>
                        Regenerate token
                      </button>
                    </form>{" "}
                    <form
                      method="post"
                      action={`/console/admin/clients/${cl.id}/${
                        cl.status === "active" ? "deactivate" : "activate"
                      }`}
                      class="inline"
                      data-confirm={cl.status === "active"
                        ? `Deactivate ${cl.name}? Its tokens are refused until reactivated.`
                        : undefined}
                    >
                      <Csrf value={session.csrf} />
                      <button
                        type="submit"
                        class={cl.status === "active" ? "danger" : ""}
                        aria-label={`${
                          cl.status === "active" ? "Deactivate" : "Activate"
                        } ${cl.name}`}
                      >
                        {cl.status === "active" ? "Deactivate" : "Activate"}
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </Page>,
    );
  });

  kit.action("/console/admin/clients", "admin", CreateForm, async (x, form) => {
    const r = Created.parse(
      await x.api.send("POST", "/api/admin/clients/create", {
        name: form.name,
        email: form.email || null,
      }),
    );
    return x.c.html(
      <TokenShown x={x} title="Client created" who={r.client.name} token={r.client.token} />,
    );
  });

  kit.action("/console/admin/clients/:id/regenerate", "admin", z.object({}), async (x) => {
    const id = x.c.req.param("id") ?? "";
    const r = Regenerated.parse(
      await x.api.send("POST", `/api/admin/clients/${encodeURIComponent(id)}/regenerate-token`),
    );
    return x.c.html(<TokenShown x={x} title="Token regenerated" who={id} token={r.token} />);
  });

  for (const [path, active] of [["deactivate", false], ["activate", true]] as const) {
    kit.action(`/console/admin/clients/:id/${path}`, "admin", z.object({}), async (x) => {
      const { c, session } = x;
      await setClientAccountActive(c.get("deps"), {
        clientId: c.req.param("id") ?? "",
        active,
        actor: {
          type: "admin",
          id: `console:${session.subject}`,
          requestId: c.get("requestId"),
          ipAddress: sourceAddress(c),
          userAgent: c.req.header("user-agent") ?? null,
        },
      });
      setFlash(c, { kind: "ok", text: active ? "Client reactivated." : "Client deactivated." });
      return "/console/admin/clients";
    });
  }

  kit.page("/console/admin/fleet", "admin", async ({ c, session, api, flash }) => {
    const { agents, total } = await api.get("/api/admin/agents?limit=500", AdminAgents);
    return c.html(
      <Page title="Fleet" session={session} current="/console/admin/fleet" flash={flash}>
        <p>{total} agents across all clients (newest 500 shown).</p>
        <TableWrap label="Every client's agents">
          <table>
            <thead>
              <tr>
                <th scope="col">Client</th>
                <th scope="col">Agent</th>
                <th scope="col">Status</th>
                <th scope="col">Mode</th>
                <th scope="col">Pool</th>
                <th scope="col">Instance</th>
                <th scope="col">Last heartbeat</th>
              </tr>
            </thead>
            <tbody>
              {agents.map((a) => (
                <tr>
                  <td>{a.clientName}</td>
                  <td>{a.logicalAgentId ?? a.hostname ?? a.id}</td>
                  <td>
                    <Badge value={a.enabled ? a.status : "disabled"} />
                  </td>
                  <td>{a.currentMode}</td>
                  <td>{a.currentPoolId ?? "–"}</td>
                  <td>{`${a.instanceId ?? "–"} ${a.instanceType ?? ""}`}</td>
                  <td>{when(a.lastHeartbeatAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </Page>,
    );
  });

  kit.page("/console/admin/health", "admin", async ({ c, session, api, flash }) => {
    const h = await api.get("/api/admin/system-health", SystemHealth);
    const db = h.databaseStatus;
    return c.html(
      <Page title="System health" session={session} current="/console/admin/health" flash={flash}>
        <Figures
          items={[
            ["Overall", <Badge value={h.status} />, "health-status"],
            ["Database", db.reachable ? `reachable, ${db.latencyMs ?? "?"} ms` : "unreachable"],
            ["Schema", db.schemaVersion ?? "–"],
            ["Agents online", `${h.agents.online} / ${h.agents.total}`],
            ["Commands pending", String(h.commands.pending)],
            ["Expired (24 h)", String(h.commands.expiredLast24h)],
          ]}
        />
        {h.reasons.length > 0
          ? <ul>{h.reasons.map((r) => <li>{r}</li>)}</ul>
          : <p>Nothing degrades the system as of {when(h.timestamp)}.</p>}
        {db.error ? <p class="flash error">{db.error}</p> : null}
        <h2>Jobs</h2>
        <TableWrap label="Jobs">
          <table>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">State</th>
                <th scope="col">Last run</th>
                <th scope="col">Outcome</th>
                <th scope="col">Next due</th>
                <th scope="col">Overdue</th>
              </tr>
            </thead>
            <tbody>
              {h.jobs.map((j) => (
                <tr>
                  <td>{j.name}</td>
                  <td>
                    <Badge value={j.state} />
                  </td>
                  <td>{when(j.lastRun?.startedAt)}</td>
                  <td class="wrap">
                    {j.lastRun
                      ? `${j.lastRun.status}${
                        j.lastRun.rowsTouched === null ? "" : `, ${j.lastRun.rowsTouched} rows`
                      }${j.lastRun.error ? `: ${j.lastRun.error}` : ""}`
                      : "never run"}
                  </td>
                  <td>{when(j.nextDueAt)}</td>
                  <td>{j.overdue ? <Badge value="error" /> : "no"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </Page>,
    );
  });

  kit.page("/console/admin/activity", "admin", async ({ c, session, api, flash }) => {
    const events = await api.get("/api/admin/activity?limit=200", Activity);
    return c.html(
      <Page title="Activity" session={session} current="/console/admin/activity" flash={flash}>
        {events.length === 0 ? <p>No activity recorded.</p> : null}
        <TableWrap label="Activity">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Severity</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr>
                  <td>{when(e.time)}</td>
                  <td>{e.eventType}</td>
                  <td>
                    <Badge value={e.severity} />
                  </td>
                  <td class="wrap">{e.text}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </Page>,
    );
  });
}
