/**
 * Finding and, when missing, installing the MariaDB server binaries, plus small process helpers
 * shared with the launcher.
 * @module
 */

type Log = (msg: string) => void;

const SERVER_NAMES = ["mariadbd", "mysqld"];
const INSTALL_NAMES = ["mariadb-install-db", "mysql_install_db"];
const EXTRA_DIRS = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"];

async function isExecutable(path: string): Promise<boolean> {
  try {
    const st = await Deno.stat(path);
    return st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

async function which(names: string[]): Promise<string | undefined> {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":").filter(Boolean), ...EXTRA_DIRS];
  for (const name of names) {
    for (const dir of dirs) {
      if (await isExecutable(`${dir}/${name}`)) return `${dir}/${name}`;
    }
  }
  return undefined;
}

/** Locates the MariaDB server and install-db binaries; throws with install advice if missing. */
export async function findMariaDbBinaries(): Promise<{ server: string; installDb: string }> {
  const server = await which(SERVER_NAMES);
  const installDb = await which(INSTALL_NAMES);
  if (!server || !installDb) {
    const missing = [!server && SERVER_NAMES.join("/"), !installDb && INSTALL_NAMES.join("/")]
      .filter(Boolean).join(" and ");
    throw new Error(
      `MariaDB binaries not found (${missing}); install them with ` +
        "`apt-get install -y mariadb-server` (Debian/Ubuntu) or your platform's package manager",
    );
  }
  return { server, installDb };
}

/** Runs a command to completion, capturing stdout and stderr together. */
export async function run(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<{ ok: boolean; output: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { ok: out.success, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** The last lines of a text, for error messages. */
export function tail(text: string, lines = 20): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Installs mariadb-server with apt-get when the binaries are missing (root only); never leaves the system service running. */
export async function ensureMariaDbInstalled(log: Log = () => {}): Promise<void> {
  try {
    await findMariaDbBinaries();
    return;
  } catch (err) {
    const aptGet = await which(["apt-get"]);
    if (Deno.uid() !== 0 || !aptGet) throw err;
  }
  // policy-rc.d exiting 101 tells invoke-rc.d not to start the packaged service during install.
  const policy = "/usr/sbin/policy-rc.d";
  // Never overwrite (or later delete) a policy file that someone else put there.
  const ownPolicy = !(await Deno.lstat(policy).then(() => true, () => false));
  if (ownPolicy) await Deno.writeTextFile(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  try {
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    log("mariadb: binaries missing, running apt-get update");
    const upd = await run("apt-get", ["update"], env);
    if (!upd.ok) throw new Error(`apt-get update failed:\n${tail(upd.output)}`);
    log("mariadb: apt-get install -y mariadb-server");
    const inst = await run("apt-get", ["install", "-y", "mariadb-server"], env);
    if (!inst.ok) throw new Error(`apt-get install mariadb-server failed:\n${tail(inst.output)}`);
  } finally {
    if (ownPolicy) await Deno.remove(policy).catch(() => {});
  }
  // Belt and braces for systems whose init ignores policy-rc.d: the packaged service stays down.
  const sysPid = await readPid("/run/mysqld/mysqld.pid");
  if (sysPid && (await isAlive(sysPid))) {
    log("mariadb: stopping the system service started by the package");
    await run("service", ["mariadb", "stop"]).catch(() => undefined);
  }
  await findMariaDbBinaries();
}

/** Reads a pid file; undefined if absent or not a pid. */
export async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await Deno.readTextFile(path)).trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True if the process exists and is not a zombie waiting to be reaped. */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}
