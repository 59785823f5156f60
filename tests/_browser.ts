/**
 * Headless Debian chromium driven by npm puppeteer-core, for the browser tests (the console, the
 * /docs reference). Flags: this machine's network is closed, so chromium's background traffic
 * is switched off; `--no-sandbox` because tests run as root in CI.
 * @module
 */
import puppeteer from "puppeteer-core";
import type { Browser } from "puppeteer-core";

/** Where Debian's chromium package puts the browser (`.ci/run` installs it where missing). */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** Starts a headless chromium with an empty profile; close it with `browser.close()`. */
export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}
