/**
 * The operator CLIs under cli/: `--help` prints the usage and exits 0, a bad argument exits 2,
 * and a database CLI never sends DDL: against a database at an older schema version
 * client:create refuses after one read, naming `deno task migrate` (statements counted at the
 * protocol endpoint).
 */
import assert from "node:assert/strict";
import { LATEST_SCHEMA_VERSION } from "../db/migrate.ts";
import { serveTestDb } from "./_served_db.ts";
import { testKeySpec } from "./_support.ts";

const ROOT = new URL("../", import.meta.url);
const CLIS = ["client:create", "job", "migrate", "savings:recompute", "admin:token"];

async function task(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", ...args],
    cwd: ROOT,
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("cli: every CLI answers --help with its usage (exit 0) and a bad flag with exit 2", async () => {
  for (const cli of CLIS) {
    const help = await task([cli, "--help"]);
    assert.equal(help.code, 0, `${cli} --help: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`^usage: deno task ${cli}`), cli);
    const bad = await task([cli, "--no-such-flag"]);
    assert.equal(bad.code, 2, `${cli} --no-such-flag: ${bad.stdout}${bad.stderr}`);
    assert.match(bad.stderr, /usage: /, cli);
  }
});

Deno.test("cli: client:create against an older schema refuses without sending DDL", async () => {
  const served = await serveTestDb("cli_old_schema");
  try {
    await served.db.execute("DELETE FROM schema_migrations WHERE version = ?", [
      LATEST_SCHEMA_VERSION,
    ]);
    const before = await served.db.execute("SHOW TABLES");
    const r = await task(["client:create", "--name", "Refused"], {
      DATABASE_URL: served.url,
      TOKEN_SIGNING_KEYS: testKeySpec(),
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /schema is at .*`deno task client:create` needs .*deno task migrate/);
    // One read of schema_migrations, nothing else: no DDL, no client written.
    assert.deepEqual(served.statements, ["SELECT MAX(version) AS v FROM schema_migrations"]);
    assert.deepEqual((await served.db.execute("SHOW TABLES")).rows, before.rows);
    const n = await served.db.execute("SELECT COUNT(*) AS n FROM clients");
    assert.equal(Number((n.rows[0] as { n: number }).n), 0);
  } finally {
    await served.close();
  }
});

Deno.test("cli: client:create on a current schema creates the client", async () => {
  const served = await serveTestDb("cli_current_schema");
  try {
    const r = await task(["client:create", "--name", "Created", "--json"], {
      DATABASE_URL: served.url,
      TOKEN_SIGNING_KEYS: testKeySpec(),
    });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.name, "Created");
    assert.ok(!served.statements.some((q) => /^\s*(CREATE|ALTER|DROP)\b/i.test(q)));
  } finally {
    await served.close();
  }
});
