/**
 * The web console (`/console/...`): server-rendered pages (hono/jsx) for clients and admins,
 * served by this app with its own assets; no client framework and no CDN. Its routes are plain
 * Hono routes outside the OpenAPI document (HTML, not the JSON API); its data comes from the
 * JSON API in process (see _api.ts), so both always agree.
 */
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../_app.ts";
import { consoleKit } from "./_kit.ts";
import { registerConsoleAssets } from "./assets.ts";
import { registerSignIn } from "./sign_in.tsx";
import { registerClientPages } from "./client_pages.tsx";
import { registerAgentPage } from "./agent_page.tsx";
import { registerSavingsPage } from "./savings_page.tsx";
import { registerInterruptionsPage } from "./interruptions_page.tsx";
import { registerAdminPages } from "./admin_pages.tsx";

/** Registers the console on `app` (its pages call `app`'s API). */
export function registerConsole(app: Hono<AppEnv>): void {
  // Console forms are small; the API's own limit covers /api/* only.
  app.use(
    "/console/*",
    bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text("Form too large", 413) }),
  );
  registerConsoleAssets(app);
  registerSignIn(app);
  const kit = consoleKit(app);
  registerClientPages(kit);
  registerSavingsPage(kit);
  registerAgentPage(kit);
  registerInterruptionsPage(kit);
  registerAdminPages(kit);
}
