/**
 * The /docs page in a real headless browser (Debian's chromium), driven over the DevTools
 * protocol: the page loads from a real server (Deno.serve on 127.0.0.1, port 0), and from inside
 * the page the spec (/openapi.json, with the agent routes) and /health are fetched successfully.
 * Scalar's UI script comes from cdn.jsdelivr.net: where that host is unreachable (this CI machine)
 * the UI cannot render, and the test says so and asserts what the browser can still prove (the
 * HTML shell, the spec URL and /health, same origin). Where the CDN is reachable it also asserts
 * that the rendered page lists the agent routes. Skipped, with a message, without chromium.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
if (!hasChromium) console.warn(`docs_browser_test: ${CHROMIUM} not found, test skipped`);

/** A minimal DevTools-protocol client over the browser's WebSocket. */
class Cdp {
  #ws: WebSocket;
  #id = 0;
  #pending = new Map<number, (msg: Record<string, unknown>) => void>();
  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data));
      if (typeof msg.id === "number") this.#pending.get(msg.id)?.(msg);
    };
  }
  static open(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(new Cdp(ws));
      ws.onerror = (e) => reject(new Error(`devtools websocket: ${(e as ErrorEvent).message}`));
    });
  }
  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = ++this.#id;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer`)), 15_000);
      this.#pending.set(id, (msg) => {
        clearTimeout(timer);
        this.#pending.delete(id);
        if (msg.error) reject(new Error(`${method}: ${JSON.stringify(msg.error)}`));
        else resolve((msg.result ?? {}) as Record<string, unknown>);
      });
      this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#ws.readyState === WebSocket.CLOSED) return resolve();
      this.#ws.onclose = () => resolve();
      this.#ws.close();
    });
  }
}

/** Reads chromium's stderr until it prints the DevTools WebSocket URL. */
async function devtoolsUrl(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
    const m = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
    if (m) {
      // Keep draining stderr so chromium never blocks on a full pipe.
      (async () => {
        try {
          while (!(await reader.read()).done) { /* discard */ }
        } catch { /* closed */ }
      })();
      return m[1]!;
    }
  }
  throw new Error(`chromium printed no DevTools URL:\n${seen.slice(0, 2000)}`);
}

Deno.test({
  name: "docs: /docs loads in headless chromium; the page fetches the spec and /health",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await testContext("docs_browser");
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => t.app.fetch(req),
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    const profile = await Deno.makeTempDir({ prefix: "docs-chromium-" });
    const child = new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    let cdp: Cdp | null = null;
    try {
      cdp = await Cdp.open(await devtoolsUrl(child.stderr));
      const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" });
      const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true });
      await cdp.send("Page.enable", {}, String(sessionId));
      await cdp.send("Page.navigate", { url: `${base}/docs` }, String(sessionId));
      const evaluate = async (expression: string) => {
        const r = await cdp!.send("Runtime.evaluate", {
          expression,
          awaitPromise: true,
          returnByValue: true,
        }, String(sessionId));
        return (r.result as { value?: unknown }).value;
      };
      let ready = "";
      for (let i = 0; i < 100 && ready !== "complete"; i++) {
        ready = String(await evaluate("location.pathname === '/docs' && document.readyState"));
        if (ready !== "complete") await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(ready, "complete", "the page finished loading");
      assert.equal(await evaluate("location.href"), `${base}/docs`);
      assert.equal(await evaluate("document.title"), "spot-optimizer API");
      assert.equal(await evaluate("!!document.querySelector('#app')"), true, "the Scalar shell");
      const health = await evaluate(
        "fetch('/health').then(async (r) => ({status: r.status, body: await r.json()}))",
      ) as { status: number; body: { status: string } };
      assert.equal(health.status, 200, "a request from the page to /health succeeds");
      assert.equal(health.body.status, "healthy");
      const agentPaths = await evaluate(
        "fetch('/openapi.json').then((r) => r.json()).then((d) => Object.keys(d.paths).filter((p) => p.startsWith('/api/agents/')))",
      ) as string[];
      assert.ok(agentPaths.includes("/api/agents/register"), "the spec lists the agent routes");
      assert.ok(agentPaths.includes("/api/agents/{agent_id}/heartbeat"));
      // Give the UI a moment, then see whether Scalar rendered (it needs its CDN script).
      let text = "";
      for (let i = 0; i < 30; i++) {
        text = String(await evaluate("document.body.innerText"));
        if (text.includes("/api/agents/register") || /register/i.test(text)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      if (/register/i.test(text)) {
        assert.match(text, /heartbeat/i, "the rendered reference lists the agent routes");
      } else {
        console.warn(
          "docs_browser_test: Scalar's UI script (cdn.jsdelivr.net) could not be loaded from this machine, so the reference did not render; verified instead from inside the page: the HTML shell, /openapi.json with the agent routes, and /health.",
        );
      }
    } finally {
      await cdp?.close();
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await server.shutdown();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  },
});
