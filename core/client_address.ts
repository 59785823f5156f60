/**
 * The client's address for rate limits and logs, taken from trusted hops only (TRUSTED_PROXIES).
 * X-Forwarded-For is written left to right: each proxy appends the address it received the
 * request from, so only the entries appended by our own proxies (counted from the right) can be
 * believed; whatever the caller sent sits to their left and is ignored.
 *
 * - `none` (default): the socket's peer address; X-Forwarded-For is ignored.
 * - `N` hops: N reverse proxies are in front of the server; the client is the N-th address from
 *   the right of [...X-Forwarded-For, socket peer].
 * - CIDR list: walking from the right, addresses inside a trusted range are proxies; the first
 *   one outside is the client.
 */

/** A parsed TRUSTED_PROXIES setting. */
export type TrustedProxies =
  | { kind: "none" }
  | { kind: "hops"; hops: number }
  | { kind: "cidrs"; ranges: IpRange[]; text: string };

/** One CIDR range: the network as a 128-bit number (IPv4 mapped into ::ffff:0:0/96). */
export interface IpRange {
  network: bigint;
  prefix: number;
}

const MAX_HOPS = 16;

/**
 * Parses TRUSTED_PROXIES: empty/`none`/`0`, a hop count (1-16), or a comma-separated list of
 * CIDRs or single addresses (IPv4 or IPv6). Throws a RangeError naming the bad entry.
 */
export function parseTrustedProxies(text: string | undefined): TrustedProxies {
  const v = (text ?? "").trim();
  if (v === "" || v.toLowerCase() === "none" || v === "0") return { kind: "none" };
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops > MAX_HOPS) throw new RangeError(`at most ${MAX_HOPS} hops`);
    return { kind: "hops", hops };
  }
  const ranges = v.split(",").map((part) => {
    const entry = part.trim();
    const [addr, bits, extra] = entry.split("/");
    const ip = parseIp(addr ?? "");
    if (ip === null || extra !== undefined) {
      throw new RangeError(`not an address or CIDR: ${JSON.stringify(entry)}`);
    }
    const v4 = isMappedV4(ip) && !(addr ?? "").includes(":");
    const max = 128;
    let prefix = max;
    if (bits !== undefined) {
      if (!/^\d{1,3}$/.test(bits)) throw new RangeError(`bad prefix length: ${entry}`);
      prefix = Number(bits) + (v4 ? 96 : 0);
      if (prefix > max || (v4 && Number(bits) > 32)) {
        throw new RangeError(`bad prefix length: ${entry}`);
      }
    }
    return { network: ip & mask(prefix), prefix };
  });
  return { kind: "cidrs", ranges, text: v };
}

function mask(prefix: number): bigint {
  if (prefix === 0) return 0n;
  return ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
}

function isMappedV4(ip: bigint): boolean {
  return ip >> 32n === 0xffffn;
}

/** True when `address` is inside one of the ranges. */
export function inRanges(address: string, ranges: IpRange[]): boolean {
  const ip = parseIp(address);
  if (ip === null) return false;
  return ranges.some((r) => (ip & mask(r.prefix)) === r.network);
}

function parseV4(s: string): bigint | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

/** An IPv4 or IPv6 address as a 128-bit number (IPv4 as ::ffff:a.b.c.d), or null. */
export function parseIp(text: string): bigint | null {
  const s = text.trim();
  if (s.includes(".") && !s.includes(":")) {
    const v4 = parseV4(s);
    return v4 === null ? null : (0xffffn << 32n) | v4;
  }
  if (!s.includes(":") || s.length > 45) return null;
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const words: bigint[] = [];
  const push = (list: string[], allowV4: boolean): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i]!;
      if (allowV4 && i === list.length - 1 && g.includes(".")) {
        const v4 = parseV4(g);
        if (v4 === null) return false;
        words.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-f]{1,4}$/i.test(g)) words.push(BigInt(parseInt(g, 16)));
      else return false;
    }
    return true;
  };
  if (!push(head, halves.length === 1)) return null;
  const headLen = words.length;
  if (!push(tail, true)) return null;
  const missing = 8 - words.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...words.slice(0, headLen), ...new Array(missing).fill(0n), ...words.slice(headLen)];
  return all.reduce((n, w) => (n << 16n) | w, 0n);
}

/** One X-Forwarded-For entry without port or brackets (`[::1]:80` -> `::1`). */
function bare(entry: string): string {
  const e = entry.trim();
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(e);
  if (bracket) return bracket[1]!;
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(e);
  if (v4port) return v4port[1]!;
  return e;
}

/**
 * The client's address: `socket` is the peer of the TCP connection (null when unknown, as for
 * in-process requests), `forwardedFor` the X-Forwarded-For header. Never longer than 64.
 */
export function clientAddress(
  trusted: TrustedProxies,
  socket: string | null,
  forwardedFor: string | undefined,
): string {
  const peer = socket ?? "unknown";
  if (trusted.kind === "none") return peer.slice(0, 64);
  const chain = [
    ...(forwardedFor ?? "").split(",").map(bare).filter((x) => x !== ""),
    peer,
  ];
  if (trusted.kind === "hops") {
    return chain[Math.max(0, chain.length - 1 - trusted.hops)]!.slice(0, 64);
  }
  for (let i = chain.length - 1; i > 0; i--) {
    if (!inRanges(chain[i]!, trusted.ranges)) return chain[i]!.slice(0, 64);
  }
  return chain[0]!.slice(0, 64);
}
