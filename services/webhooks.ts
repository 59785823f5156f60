/**
 * Slack-compatible webhook sender (`POST {text}` as JSON) for TERMINATION_NOTIFICATION_WEBHOOK:
 * bounded attempts with exponential backoff and a per-attempt timeout. Callers run it through
 * `deps.services.background.run`, so it never delays the agent's answer. The URL carries a secret
 * (Slack incoming webhooks) and is never logged.
 */
import type { AppDeps } from "./types.ts";
import { recordWebhookOutcome } from "../db/termination.ts";

/** Tunables of one delivery. */
export interface WebhookOptions {
  attempts: number;
  timeoutMs: number;
  /** Delay before the 2nd attempt; doubled for each further one. */
  backoffMs: number;
  fetch?: typeof fetch;
}

/** Defaults: 3 attempts, 5 s timeout each, 1 s then 2 s between them (≤ ~18 s in total). */
export const DEFAULT_WEBHOOK_OPTIONS: Readonly<WebhookOptions> = Object.freeze({
  attempts: 3,
  timeoutMs: 5000,
  backoffMs: 1000,
});

/** The outcome of one delivery. */
export interface WebhookOutcome {
  ok: boolean;
  attempts: number;
  /** HTTP status of the last attempt, or null when it failed before an answer. */
  status: number | null;
  error: string | null;
}

/** Posts `{text}` until a 2xx answer or the attempts run out; 4xx other than 408/429 stop early. */
export async function sendSlackWebhook(
  url: string,
  text: string,
  opts: Partial<WebhookOptions> = {},
): Promise<WebhookOutcome> {
  const o: WebhookOptions = { ...DEFAULT_WEBHOOK_OPTIONS, ...opts };
  const doFetch = o.fetch ?? fetch;
  let status: number | null = null;
  let error: string | null = null;
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    try {
      const res = await doFetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text }),
        signal: AbortSignal.timeout(o.timeoutMs),
      });
      status = res.status;
      await res.body?.cancel();
      if (res.ok) return { ok: true, attempts: attempt, status, error: null };
      error = `HTTP ${res.status}`;
      // A client error will not heal by retrying (wrong URL, revoked hook).
      if (res.status < 500 && res.status !== 408 && res.status !== 429) {
        return { ok: false, attempts: attempt, status, error };
      }
    } catch (err) {
      status = null;
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    if (attempt < o.attempts) {
      await new Promise((r) => setTimeout(r, o.backoffMs * 2 ** (attempt - 1)));
    }
  }
  return { ok: false, attempts: o.attempts, status, error };
}

/** Sends the notice's webhook in the background and records the outcome on the event. */
export function notifyInBackground(
  deps: AppDeps,
  opts: { eventId: number; text: string; webhook?: Partial<WebhookOptions> },
): void {
  const url = deps.config.TERMINATION_NOTIFICATION_WEBHOOK;
  if (!url) return;
  deps.services.background.run("termination-webhook", async () => {
    const outcome = await sendSlackWebhook(url, opts.text, opts.webhook);
    await recordWebhookOutcome(deps.db, {
      eventId: opts.eventId,
      status: outcome.ok ? "sent" : "failed",
      attempts: outcome.attempts,
      now: deps.clock(),
    });
    const fields = { eventId: opts.eventId, attempts: outcome.attempts, status: outcome.status };
    if (outcome.ok) deps.log.info("termination webhook sent", fields);
    else deps.log.warn("termination webhook failed", { ...fields, error: outcome.error });
  });
}
