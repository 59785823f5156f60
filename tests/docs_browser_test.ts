/**
 * The /docs reference in headless chromium (tests/_browser.ts): the page loads from a real server
 * (Deno.serve on 127.0.0.1, port 0), its script is the pinned `@scalar/api-reference` bundle
 * served by the app, and the rendered reference lists the agent routes. Fails when the reference
 * does not render (an empty shell) and when any request leaves the server's origin (a CDN, fonts).
 */
import assert from "node:assert/strict";
import { launchBrowser } from "./_browser.ts";
import { testContext } from "./_support.ts";

Deno.test({
  name: "docs: /docs renders the reference offline, every request same-origin",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await testContext("docs_browser");
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => t.app.fetch(req),
    );
    const origin = `http://127.0.0.1:${server.addr.port}`;
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const requested: string[] = [];
      page.on("request", (req) => {
        requested.push(req.url());
      });
      await page.goto(`${origin}/docs`, { waitUntil: "load", timeout: 30_000 });
      assert.equal(await page.title(), "spot-optimizer API");
      // The reference renders client-side from /openapi.json; wait for the agent routes.
      let text = "";
      for (let i = 0; i < 450; i++) {
        text = String(await page.evaluate("document.body.innerText"));
        if (text.includes("/api/agents/register")) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(
        text.includes("/api/agents/register"),
        `the rendered reference lists /api/agents/register (page text: ${text.slice(0, 200)})`,
      );
      assert.match(text, /\/api\/agents\/\{agent_id\}\/heartbeat/);
      const elements = Number(await page.evaluate("document.querySelectorAll('*').length"));
      assert.ok(elements > 500, `a rendered reference, not a shell (${elements} elements)`);
      assert.ok(requested.includes(`${origin}/docs/scalar.js`), "the bundle comes from the app");
      assert.ok(requested.some((u) => u.startsWith(`${origin}/openapi.json`)));
      const foreign = requested.filter((u) =>
        !u.startsWith(`${origin}/`) && !u.startsWith("data:")
      );
      assert.deepEqual(foreign, [], "no request leaves the server's origin");
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});

Deno.test("docs: the bundle is served with cache headers, gzip and a revalidating ETag", async () => {
  const t = await testContext("docs_bundle");
  const res = await t.request("GET", "/docs/scalar.js", { headers: { "Accept-Encoding": "gzip" } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /javascript/);
  assert.match(res.headers.get("cache-control") ?? "", /max-age=\d+/);
  assert.equal(res.headers.get("content-encoding"), "gzip");
  const etag = res.headers.get("etag");
  assert.ok(etag);
  const size = (await res.arrayBuffer()).byteLength;
  assert.ok(size > 100_000, `the real bundle (${size} bytes gzip)`);
  const again = await t.request("GET", "/docs/scalar.js", { headers: { "If-None-Match": etag } });
  assert.equal(again.status, 304);
  await again.body?.cancel();
  const html = await (await t.request("GET", "/docs")).text();
  assert.ok(html.includes('src="/docs/scalar.js"') || html.includes("/docs/scalar.js"));
  assert.ok(!html.includes("jsdelivr"), "no CDN in the page");
});
