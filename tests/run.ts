/**
 * `deno task test [deno test args...]`: starts one private MariaDB in a temporary data dir, runs
 * `deno test -A --parallel` against it, and closes with the plain line `N passed, K failed`
 * (tests, not steps) that CI reads. Exits with the test run's exit code.
 * @module
 */
import { ensureMariaDbInstalled, type MariaDbServer, startMariaDb } from "../db/local/mariadb.ts";

/** Counts from Deno's closing summary line. */
export interface TestSummary {
  passed: number;
  failed: number;
}

// "ok | 12 passed (30 steps) | 0 failed (2s)" or "FAILED | 3 passed | 1 failed (2 steps) (5s)"
const SUMMARY = /^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed\b/;
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Parses Deno's closing summary from its output; undefined if there is none. */
export function parseSummary(output: string): TestSummary | undefined {
  let found: TestSummary | undefined;
  for (const line of output.split("\n")) {
    const m = SUMMARY.exec(line.replace(ANSI, "").trim());
    if (m) found = { passed: Number(m[1]), failed: Number(m[2]) };
  }
  return found;
}

function log(msg: string): void {
  console.error(`[tests/run] ${msg}`);
}

/** Copies a child stream to ours while keeping the last bytes for parsing the summary. */
async function pump(
  src: ReadableStream<Uint8Array>,
  dst: WritableStream<Uint8Array>,
  keep: string[],
) {
  const writer = dst.getWriter();
  const dec = new TextDecoder();
  try {
    for await (const chunk of src) {
      await writer.write(chunk);
      keep.push(dec.decode(chunk, { stream: true }));
      // The summary is among the last lines; bound memory on long runs.
      if (keep.length > 4096) keep.splice(0, keep.length - 2048);
    }
  } finally {
    writer.releaseLock();
  }
}

async function main(args: string[]): Promise<{ code: number; line?: string }> {
  await ensureMariaDbInstalled(log);
  const tmp = await Deno.makeTempDir({ prefix: "spot-test-db-" });
  let server: MariaDbServer | undefined;
  let child: Deno.ChildProcess | undefined;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    try {
      child?.kill("SIGTERM");
    } catch { /* already gone */ }
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    server = await startMariaDb({ dataDir: `${tmp}/data`, log });
    if (interrupted) return { code: 130 };
    const env: Record<string, string> = {
      TEST_MYSQL_SOCKET: server.socketPath,
      TEST_MYSQL_USER: server.user,
    };
    if (!Deno.env.get("DENO_JOBS")) env.DENO_JOBS = "2";
    child = new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--parallel", ...args],
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const out: string[] = [];
    const err: string[] = [];
    await Promise.all([
      pump(child.stdout, Deno.stdout.writable, out),
      pump(child.stderr, Deno.stderr.writable, err),
    ]);
    const { code } = await child.status;
    const summary = parseSummary(out.join("")) ?? parseSummary(err.join(""));
    if (!summary) {
      console.error(
        `[tests/run] error: could not find Deno's test summary (deno test exited ${code})`,
      );
      return { code: code === 0 ? 1 : code };
    }
    // Printed by the caller after cleanup, so that it is the very last line of the run.
    return { code, line: `${summary.passed} passed, ${summary.failed} failed` };
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await server?.stop().catch((e) => log(`stopping MariaDB failed: ${e}`));
    await Deno.remove(tmp, { recursive: true }).catch((e) => log(`removing ${tmp} failed: ${e}`));
  }
}

if (import.meta.main) {
  let result: { code: number; line?: string };
  try {
    result = await main(Deno.args);
  } catch (err) {
    console.error(`[tests/run] error: ${err instanceof Error ? err.message : err}`);
    result = { code: 1 };
  }
  if (result.line) console.log(result.line);
  Deno.exit(result.code);
}
