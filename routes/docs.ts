/**
 * GET /docs: the API reference (Scalar) rendered from /openapi.json with the browser bundle of the
 * pinned npm package `@scalar/api-reference` (deno.json), served by this app at
 * /docs/scalar.js: no CDN, so the page renders on self-hosted and air-gapped installs.
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Scalar } from "@scalar/hono-api-reference";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./_app.ts";

/** Version of `@scalar/api-reference` pinned in deno.json (part of the bundle's ETag). */
export const SCALAR_VERSION = "1.76.0";

/** Where the reference's script is served. */
export const SCALAR_SCRIPT_PATH = "/docs/scalar.js";

/** Absolute path of the pinned package's `dist/browser/standalone.js`. */
export function scalarBundlePath(): string {
  const entry = createRequire(import.meta.url).resolve("@scalar/api-reference");
  // entry is <package>/dist/index.js
  return join(dirname(entry), "browser", "standalone.js");
}

interface Bundle {
  plain: Uint8Array;
  gzip: Uint8Array;
}

let bundle: Promise<Bundle> | undefined;

async function loadBundle(): Promise<Bundle> {
  const plain = await Deno.readFile(scalarBundlePath());
  const gz = new Blob([plain]).stream().pipeThrough(new CompressionStream("gzip"));
  const gzip = new Uint8Array(await new Response(gz).arrayBuffer());
  return { plain, gzip };
}

/** Registers /docs and /docs/scalar.js (read once, gzip computed once, cached by browsers). */
export function registerDocs(app: OpenAPIHono<AppEnv>): void {
  const etag = `"scalar-${SCALAR_VERSION}"`;
  app.get(SCALAR_SCRIPT_PATH, async (c) => {
    bundle ??= loadBundle().catch((err) => {
      bundle = undefined;
      throw err;
    });
    const b = await bundle;
    c.header("Content-Type", "application/javascript; charset=utf-8");
    c.header("Cache-Control", "public, max-age=86400");
    c.header("ETag", etag);
    c.header("Vary", "Accept-Encoding");
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    if (/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
      c.header("Content-Encoding", "gzip");
      return c.body(b.gzip as Uint8Array<ArrayBuffer>, 200);
    }
    return c.body(b.plain as Uint8Array<ArrayBuffer>, 200);
  });
  app.get(
    "/docs",
    Scalar({
      url: "/openapi.json",
      pageTitle: "spot-optimizer API",
      cdn: SCALAR_SCRIPT_PATH,
      withDefaultFonts: false,
    }),
  );
}
