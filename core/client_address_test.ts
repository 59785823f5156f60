import assert from "node:assert/strict";
import { clientAddress, inRanges, parseIp, parseTrustedProxies } from "./client_address.ts";

Deno.test("TRUSTED_PROXIES parses none, hop counts and CIDR lists", () => {
  assert.deepEqual(parseTrustedProxies(undefined), { kind: "none" });
  assert.deepEqual(parseTrustedProxies(" none "), { kind: "none" });
  assert.deepEqual(parseTrustedProxies("0"), { kind: "none" });
  assert.deepEqual(parseTrustedProxies("2"), { kind: "hops", hops: 2 });
  const c = parseTrustedProxies("10.0.0.0/8, 192.168.1.7, fd00::/8");
  assert.equal(c.kind, "cidrs");
  if (c.kind !== "cidrs") return;
  assert.ok(inRanges("10.20.30.40", c.ranges));
  assert.ok(inRanges("192.168.1.7", c.ranges));
  assert.ok(!inRanges("192.168.1.8", c.ranges));
  assert.ok(inRanges("fd12:3456::1", c.ranges));
  assert.ok(inRanges("::ffff:10.1.2.3", c.ranges));
  assert.ok(!inRanges("11.0.0.1", c.ranges));
  assert.ok(!inRanges("not-an-ip", c.ranges));
  for (const bad of ["10.0.0.0/33", "300.1.1.1", "fe80::/129", "abc", "1.2.3.4/8/9", "99"]) {
    assert.throws(() => parseTrustedProxies(bad), RangeError, bad);
  }
});

Deno.test("parseIp reads IPv4, IPv6 with :: and embedded IPv4", () => {
  assert.equal(parseIp("0.0.0.1"), (0xffffn << 32n) | 1n);
  assert.equal(parseIp("::1"), 1n);
  assert.equal(parseIp("::"), 0n);
  assert.equal(parseIp("2001:db8::1"), (0x20010db8n << 96n) | 1n);
  assert.equal(parseIp("::ffff:1.2.3.4"), parseIp("1.2.3.4"));
  for (const bad of ["1.2.3", "1.2.3.4.5", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::1"]) {
    assert.equal(parseIp(bad), null, bad);
  }
});

Deno.test("client address: none ignores X-Forwarded-For", () => {
  const none = parseTrustedProxies("");
  assert.equal(clientAddress(none, "203.0.113.9", "198.51.100.1"), "203.0.113.9");
  assert.equal(clientAddress(none, null, "198.51.100.1"), "unknown");
});

Deno.test("client address: hops count from the right, spoofed entries on the left are ignored", () => {
  const one = parseTrustedProxies("1");
  // nginx appended the peer it saw (198.51.100.7); the caller's own value sits to its left.
  assert.equal(clientAddress(one, "10.0.0.2", "6.6.6.6, 198.51.100.7"), "198.51.100.7");
  assert.equal(clientAddress(one, "10.0.0.2", "198.51.100.7"), "198.51.100.7");
  // No header: the proxy itself is the best we know.
  assert.equal(clientAddress(one, "10.0.0.2", undefined), "10.0.0.2");
  const two = parseTrustedProxies("2");
  assert.equal(
    clientAddress(two, "10.0.0.2", "1.1.1.1, 198.51.100.7, 10.0.0.9"),
    "198.51.100.7",
  );
  assert.equal(clientAddress(one, "10.0.0.2", "[2001:db8::5]:443"), "2001:db8::5");
  assert.equal(clientAddress(one, "10.0.0.2", "198.51.100.7:5555"), "198.51.100.7");
});

Deno.test("client address: CIDRs skip trusted proxies from the right", () => {
  const lb = parseTrustedProxies("10.0.0.0/8");
  assert.equal(clientAddress(lb, "10.1.1.1", "6.6.6.6, 198.51.100.7, 10.2.2.2"), "198.51.100.7");
  // A direct caller outside the ranges is the client whatever its header says.
  assert.equal(clientAddress(lb, "203.0.113.9", "198.51.100.7"), "203.0.113.9");
  // Everything trusted: the leftmost entry.
  assert.equal(clientAddress(lb, "10.1.1.1", "10.3.3.3"), "10.3.3.3");
});
