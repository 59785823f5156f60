/**
 * `deno task admin:token [--subject S] [--ttl SECONDS]`: prints an admin JWT (typ admin, signed with
 * the current TOKEN_SIGNING_KEYS key, valid ADMIN_TOKEN_TTL seconds by default) on stdout.
 * Needs no database.
 */
import { parseArgs } from "node:util";
import { signAdminToken } from "../core/tokens.ts";
import { tokenKeysFromConfig } from "../services/mod.ts";
import { cliActorId, loadCliConfig, runCli } from "./_env.ts";

const USAGE = "usage: deno task admin:token [--subject <name>] [--ttl <seconds>]";

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      subject: { type: "string" },
      ttl: { type: "string" },
    },
    strict: true,
  });
  const config = await loadCliConfig();
  const ttl = values.ttl === undefined ? config.ADMIN_TOKEN_TTL : Number(values.ttl);
  // The same bounds as ADMIN_TOKEN_TTL: an admin token never lives longer than 30 days.
  if (!Number.isSafeInteger(ttl) || ttl < 60 || ttl > 30 * 24 * 3600) {
    console.error("error: --ttl must be a whole number of seconds between 60 and 2592000");
    return 2;
  }
  const subject = values.subject?.trim() || cliActorId();
  const now = new Date();
  const token = await signAdminToken(tokenKeysFromConfig(config), {
    subject,
    now,
    ttlSeconds: ttl,
  });
  console.error(
    `admin token for "${subject}", expires ${new Date(now.getTime() + ttl * 1000).toISOString()}`,
  );
  console.log(token);
  return 0;
}

if (import.meta.main) await runCli(main, { usage: USAGE });
