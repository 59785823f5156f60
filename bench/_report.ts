/**
 * Helpers shared by the benchmarks: process CPU and memory from /proc, percentiles, the machine
 * description, and appending a section to bench/RESULTS.md without touching other sections.
 * @module
 */

const RESULTS = new URL("./RESULTS.md", import.meta.url);

/** CPU seconds (user + system) a process has used so far (0 when it is gone). */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ 100
  } catch {
    return 0;
  }
}

/** A `Vm*` value in kB from the text of /proc/<pid>/status. */
export function rssKb(status: string, key: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status);
  return m ? Number(m[1]) : NaN;
}

/** The p-th percentile of sorted values (nearest rank); NaN when empty. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** What a result was measured on. */
export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryMb: number;
  deno: string;
}

/** CPU count and model, memory and Deno version of this machine, and the date. */
export async function machineInfo(): Promise<Machine> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown CPU";
  const mem = /^MemTotal:\s+(\d+) kB/m.exec(meminfo);
  return {
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    cpus: navigator.hardwareConcurrency,
    cpuModel: model,
    memoryMb: mem ? Math.round(Number(mem[1]) / 1024) : 0,
    deno: Deno.version.deno,
  };
}

/** Appends `text` at the end of the `heading` section of RESULTS.md (created when missing). */
export async function appendSection(heading: string, text: string): Promise<void> {
  let doc = "";
  try {
    doc = await Deno.readTextFile(RESULTS);
  } catch { /* first result */ }
  const block = text.replace(/\n*$/, "\n");
  const at = doc.indexOf(`${heading}\n`);
  if (at < 0) {
    const sep = doc === "" ? "" : doc.endsWith("\n\n") ? "" : doc.endsWith("\n") ? "\n" : "\n\n";
    doc = `${doc}${sep}${heading}\n\n${block}`;
  } else {
    const rest = doc.slice(at + heading.length);
    const next = rest.search(/\n## /);
    const end = next < 0 ? doc.length : at + heading.length + next + 1;
    const before = doc.slice(0, end).replace(/\n*$/, "\n\n");
    doc = `${before}${block}${next < 0 ? "" : "\n"}${doc.slice(end)}`;
  }
  await Deno.writeTextFile(RESULTS, doc);
}

/** Busy CPU seconds of the whole machine so far (all CPUs: user+nice+system+irq+softirq+steal). */
export async function machineBusySeconds(): Promise<number> {
  const stat = await Deno.readTextFile("/proc/stat").catch(() => "");
  const line = /^cpu\s+(.+)$/m.exec(stat)?.[1];
  if (!line) return 0;
  const f = line.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal ...
  return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0)) / 100;
}
