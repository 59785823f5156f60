/**
 * The console's page frame: skip link, navigation for the signed-in role, flash message, sign-out
 * form (with the CSRF value), and a few shared pieces (tables, definition rows, CSRF field).
 * Every asset is served by the app under /console/assets/.
 */
import type { Child } from "hono/jsx";
import type { ConsoleSession } from "./_session.ts";

/** Version tag on asset URLs so a new release is never served a stale cached stylesheet. */
export const ASSET_TAG = "1";

const CLIENT_NAV: [string, string][] = [
  ["/console/overview", "Overview"],
  ["/console/agents", "Agents"],
  ["/console/switches", "Switches"],
  ["/console/savings", "Savings"],
  ["/console/interruptions", "Interruptions & risk"],
  ["/console/notifications", "Notifications"],
];
const ADMIN_NAV: [string, string][] = [
  ["/console/admin/clients", "Clients"],
  ["/console/admin/fleet", "Fleet"],
  ["/console/admin/health", "System health"],
  ["/console/admin/activity", "Activity"],
];

/** A message shown at the top of a page (after a form was handled). */
export interface Flash {
  kind: "ok" | "error";
  text: string;
}

/** Hidden CSRF input of a state-changing form. */
export function Csrf(props: { value: string }) {
  return <input type="hidden" name="_csrf" value={props.value} />;
}

/** A scrollable, focusable table container (narrow screens scroll the table, not the page). */
export function TableWrap(props: { label: string; children: Child }) {
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabindex={0}>
      {props.children}
    </div>
  );
}

/** A row of key figures. */
export function Figures(props: { items: [string, Child, string?][] }) {
  return (
    <dl class="figures">
      {props.items.map(([label, value, id]) => (
        <div class="figure">
          <dt>{label}</dt>
          <dd id={id}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The whole HTML document. */
export function Page(
  props: {
    title: string;
    session: ConsoleSession | null;
    current?: string;
    flash?: Flash | null;
    heading?: string;
    children: Child;
  },
) {
  const s = props.session;
  const nav = s === null ? [] : s.role === "admin" ? ADMIN_NAV : CLIENT_NAV;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · spot-optimizer console`}</title>
        <link rel="stylesheet" href={`/console/assets/console.css?v=${ASSET_TAG}`} />
        <link rel="icon" href={`/console/assets/icon.svg?v=${ASSET_TAG}`} type="image/svg+xml" />
        <script src={`/console/assets/console.js?v=${ASSET_TAG}`} defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <span class="brand">spot-optimizer</span>
          {nav.length > 0
            ? (
              <nav aria-label="Console">
                <ul>
                  {nav.map(([href, label]) => (
                    <li>
                      <a
                        href={href}
                        aria-current={props.current === href ? "page" : undefined}
                      >
                        {label}
                      </a>
                    </li>
                  ))}
                </ul>
              </nav>
            )
            : null}
          {s
            ? (
              <form method="post" action="/console/sign-out" class="signout">
                <Csrf value={s.csrf} />
                <button type="submit">Sign out</button>
              </form>
            )
            : null}
        </header>
        <main id="main" tabindex={-1}>
          <h1>{props.heading ?? props.title}</h1>
          {props.flash
            ? (
              <p
                class={`flash ${props.flash.kind}`}
                role={props.flash.kind === "error" ? "alert" : "status"}
              >
                {props.flash.text}
              </p>
            )
            : null}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** "$1,234.56" style money (USD, 2 decimals; prices per hour use `price`). */
export function usd(v: number): string {
  const sign = v < 0 ? "-" : "";
  return `${sign}$${
    Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })
  }`;
}

/** An hourly price with 4 decimals. */
export function price(v: number | null): string {
  if (v === null) return "–";
  return `${v < 0 ? "-" : ""}$${Math.abs(v).toFixed(4)}/h`;
}

/** An ISO timestamp as "2026-11-27 10:00 UTC" (or a dash). */
export function when(iso: string | null | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
