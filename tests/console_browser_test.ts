/**
 * The console in a real headless chromium (puppeteer-core, tests/_browser.ts) against the app
 * served on 127.0.0.1: sign-in with a bad and a good token, the overview's figures equal the
 * API's, a settings change persists, a manual switch to a chosen pool queues one command, an
 * admin regenerates the token and the client's session ends, a CSRF-less POST is refused. Every
 * page is visited at 1280 px and 390 px with no console error and no request leaving the
 * server's origin; a screenshot of each is saved to the folder printed at the end
 * (CONSOLE_SCREENSHOTS, else a temporary folder).
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "puppeteer-core";
import { launchBrowser } from "./_browser.ts";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { consoleFleet, serveApp } from "./_console_fixtures.ts";
import { usd } from "../routes/console/_layout.tsx";

interface Watch {
  problems: string[];
  /** Paths whose 4xx answer the test provokes on purpose (chromium logs those as errors). */
  refusedOnPurpose: Set<string>;
}

/** Opens a page that records console errors, page errors and any request off `origin`. */
async function watchedPage(browser: Browser, origin: string, w: Watch): Promise<Page> {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    const url = req.url();
    if (new URL(url).origin !== origin) {
      w.problems.push(`request left the origin: ${url}`);
      req.abort().catch(() => {});
    } else req.continue().catch(() => {});
  });
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const at = m.location()?.url;
    const path = at ? new URL(at).pathname : "";
    if (/^Failed to load resource: .* (401|403)/.test(m.text()) && w.refusedOnPurpose.has(path)) {
      return;
    }
    w.problems.push(`console error on ${page.url()} (${at}): ${m.text()}`);
  });
  page.on("pageerror", (e) => w.problems.push(`page error on ${page.url()}: ${e}`));
  page.on("dialog", (d) => d.accept().catch(() => {}));
  await page.setViewport({ width: 1280, height: 900 });
  return page;
}

async function shoot(page: Page, dir: string, name: string): Promise<void> {
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
}

/** Visits `path`, checks it rendered, screenshots it at 1280 px and (optionally) 390 px. */
async function visit(
  page: Page,
  origin: string,
  dir: string,
  path: string,
  name: string,
  narrow = false,
): Promise<void> {
  const res = await page.goto(origin + path, { waitUntil: "load" });
  assert.equal(res?.status(), 200, `${path} answers 200`);
  assert.equal(new URL(page.url()).pathname, path.split("?")[0], `${path} was not redirected`);
  await shoot(page, dir, name);
  if (narrow) {
    await page.setViewport({ width: 390, height: 844 });
    // Strings, not functions: this file is type-checked without the DOM library.
    const overflow = await page.evaluate(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    ) as number;
    assert.ok(overflow <= 1, `${path} does not scroll sideways at 390 px (${overflow} px)`);
    await shoot(page, dir, `${name}-390`);
    await page.setViewport({ width: 1280, height: 900 });
  }
}

async function signIn(page: Page, origin: string, token: string, as: "client" | "admin") {
  await page.goto(`${origin}/console/sign-in`, { waitUntil: "load" });
  await page.click(`input[name=as][value=${as}]`);
  await page.type("#token", token);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button.primary")]);
}

async function text(page: Page, selector: string): Promise<string> {
  return await page.$eval(selector, (e) => (e.textContent ?? "").trim());
}

async function apiJson(t: TestContext, path: string, token: string) {
  const r = await t.request("GET", path, { token });
  assert.equal(r.status, 200, path);
  return await r.json();
}

Deno.test({
  name: "console (browser): every page, sign-in, figures, settings, switch, regenerate, CSRF",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const t = await testContext("console_browser");
    const f = await consoleFleet(t);
    const server = serveApp(t);
    const origin = server.origin;
    const dir = Deno.env.get("CONSOLE_SCREENSHOTS") ??
      await Deno.makeTempDir({ prefix: "console-shots-" });
    await Deno.mkdir(dir, { recursive: true });
    const browser = await launchBrowser();
    const agentPath = `/console/agents/${f.a1}`;
    const w: Watch = {
      problems: [],
      refusedOnPurpose: new Set(["/console/sign-in", `${agentPath}/settings`]),
    };
    try {
      const page = await watchedPage(browser, origin, w);

      // Sign-in: a bad token stays on the form with the refusal; keyboard: Tab reaches the skip link.
      await page.goto(`${origin}/console/sign-in`, { waitUntil: "load" });
      await shoot(page, dir, "sign-in");
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate("document.activeElement.className"), "skip");
      await page.type("#token", "definitely-not-a-token");
      await Promise.all([page.waitForNavigation(), page.click("button.primary")]);
      assert.match(await text(page, ".flash.error"), /Sign-in refused/);
      assert.equal(new URL(page.url()).pathname, "/console/sign-in");
      await shoot(page, dir, "sign-in-refused");

      await signIn(page, origin, f.client.token, "client");
      assert.equal(new URL(page.url()).pathname, "/console/overview");

      // The overview shows the API's numbers.
      const o = await apiJson(t, `/api/client/${f.client.id}`, f.client.token);
      assert.equal(await text(page, "#fig-online"), String(o.online_agents));
      assert.equal(await text(page, "#fig-offline"), String(o.total_agents - o.online_agents));
      assert.equal(await text(page, "#fig-spot"), String(o.spot_instances));
      assert.equal(
        await text(page, "#fig-ondemand"),
        String(o.active_instances - o.spot_instances),
      );
      assert.equal(await text(page, "#fig-today"), usd(o.today_savings));
      assert.equal(await text(page, "#fig-month"), usd(o.monthly_savings));
      assert.equal(await text(page, "#fig-total"), usd(o.total_savings));
      assert.ok(o.total_savings > 0, "the fixture has savings to compare");
      assert.ok((await page.$$("svg.chart rect")).length > 5, "the 30-day chart has bars");
      await visit(page, origin, dir, "/console/overview", "overview", true);

      await visit(page, origin, dir, "/console/agents", "agents", true);
      assert.match(
        await page.content(),
        /Stay on spot: risk 0\.12, expected saving \$0\.0021\/h — current pool is within 5% of the cheapest/,
        "the last decision as a sentence with its numbers",
      );
      await visit(page, origin, dir, "/console/switches", "switches");
      await visit(page, origin, dir, "/console/savings", "savings", true);
      await visit(page, origin, dir, "/console/interruptions", "interruptions");
      assert.match(await page.content(), /\+40 s/, "notice to replica registered");
      await visit(page, origin, dir, "/console/notifications", "notifications");
      await Promise.all([page.waitForNavigation(), page.click("td form button")]);
      assert.match(await text(page, "main > p"), /^0 unread/);

      // Agent page: a settings change persists.
      await visit(page, origin, dir, agentPath, "agent", true);
      assert.ok((await page.$$("svg.chart path.line")).length >= 2, "price chart has lines");
      await page.click("#s-auto");
      await page.$eval("#s-wait", (e) => (e as unknown as { value: string }).value = "");
      await page.type("#s-wait", "120");
      await Promise.all([
        page.waitForNavigation(),
        page.click("form[action$='/settings'] button"),
      ]);
      assert.match(await text(page, ".flash.ok"), /Settings saved/);
      const a = await apiJson(t, `/api/agents/${f.a1}`, f.client.token);
      assert.equal(a.auto_switch_enabled, false);
      assert.equal(a.terminate_wait_seconds, 120);
      assert.equal(
        await page.$eval("#s-auto", (e) => (e as unknown as { checked: boolean }).checked),
        false,
      );

      // Manual switch: the picker lists the pools; choosing one queues exactly one command.
      const options = await page.$$eval("#target option", (os) => os.map((o) => o.value));
      assert.deepEqual(options, [
        "ondemand",
        "t3.medium.us-east-1a",
        "t3.medium.us-east-1b",
        "t3.medium.us-east-1c",
      ]);
      await page.select("#target", "t3.medium.us-east-1b");
      await Promise.all([page.waitForNavigation(), page.click("form[action$='/switch'] button")]);
      assert.match(await text(page, ".flash.ok"), /queued/);
      const cmds = await t.db.execute<{ target_pool_id: string; target_mode: string }>(
        "SELECT target_pool_id, target_mode FROM commands WHERE agent_id = ? AND status = 'pending'",
        [f.a1],
      );
      assert.equal(cmds.rows.length, 1);
      assert.equal(cmds.rows[0]!.target_pool_id, "t3.medium.us-east-1b");
      assert.equal(cmds.rows[0]!.target_mode, "spot");

      // A POST without the CSRF token, sent from the signed-in page itself, is refused.
      const status = await page.evaluate(async (path) => {
        const body = new URLSearchParams({ terminate_wait_seconds: "5" });
        return (await fetch(path, { method: "POST", body })).status;
      }, `${agentPath}/settings`);
      assert.equal(status, 403);
      assert.equal(
        (await apiJson(t, `/api/agents/${f.a1}`, f.client.token)).terminate_wait_seconds,
        120,
      );

      // Admin, in a separate browser context: every admin page, then a token regeneration.
      const admin = await watchedPage(browser, origin, w);
      await signIn(admin, origin, t.adminToken, "admin");
      assert.equal(new URL(admin.url()).pathname, "/console/admin/clients");
      await visit(admin, origin, dir, "/console/admin/clients", "admin-clients", true);
      await visit(admin, origin, dir, "/console/admin/fleet", "admin-fleet");
      await visit(admin, origin, dir, "/console/admin/health", "admin-health");
      const health = await apiJson(t, "/api/admin/system-health", t.adminToken);
      assert.equal(await text(admin, "#health-status"), health.status);
      assert.match(await admin.content(), /error: price snapshot missing for us-east-1/);
      assert.match(await admin.content(), /ok, 4 rows/);
      await visit(admin, origin, dir, "/console/admin/activity", "admin-activity");
      await admin.goto(`${origin}/console/admin/clients`, { waitUntil: "load" });
      await Promise.all([
        admin.waitForNavigation(),
        admin.click(`form[action='/console/admin/clients/${f.client.id}/regenerate'] button`),
      ]);
      const newToken = await text(admin, "#issued-token");
      assert.ok(newToken.length > 20);
      assert.ok(await admin.$("button[data-copy=issued-token]"), "a copy button");
      await shoot(admin, dir, "admin-token-shown");
      const v = await t.request("GET", "/api/client/validate", { token: newToken });
      assert.equal(v.status, 200, "the shown token works");

      // The client's old session has ended.
      await page.goto(`${origin}/console/overview`, { waitUntil: "load" });
      assert.equal(new URL(page.url()).pathname, "/console/sign-in");
      assert.match(await text(page, ".flash.error"), /session ended/);
      await shoot(page, dir, "session-ended");

      assert.deepEqual(w.problems, []);
      console.log(`console screenshots: ${dir}`);
    } finally {
      await browser.close();
      await server.close();
    }
  },
});
