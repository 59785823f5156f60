/** Agent timestamps (CONTRACT T-35). */

/**
 * Parses an agent timestamp as UTC: ISO-8601 with or without a zone (`collected_at` is naive UTC,
 * switch timings carry microseconds and `Z`, CONTRACT T-35). Returns null when unparseable or when
 * the calendar date does not exist (no roll-over).
 */
export function parseAgentTime(value: string | null | undefined): Date | null {
  if (typeof value !== "string") return null;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(
    value.trim(),
  );
  if (!m) return null;
  // No roll-over: 2026-02-30 is refused, not read as 2026-03-02.
  const [y, mo, day] = m[1].split("-").map(Number);
  const civil = new Date(Date.UTC(y, mo - 1, day));
  if (civil.getUTCMonth() !== mo - 1 || civil.getUTCDate() !== day) return null;
  const frac = m[3] ? m[3].slice(0, 4).padEnd(4, "0") : "";
  const zone = !m[4] || m[4].toUpperCase() === "Z"
    ? "Z"
    : m[4].replace(/^([+-]\d{2})(\d{2})$/, "$1:$2");
  const d = new Date(`${m[1]}T${m[2]}${frac}${zone}`);
  return Number.isNaN(d.getTime()) ? null : d;
}
