import assert from "node:assert/strict";
import { format as driverFormat } from "@planetscale/database";
import { formatSql } from "./sql_format.ts";

/** The driver's answer or its error message. */
function outcome(f: () => string): string {
  try {
    return `ok ${f()}`;
  } catch (err) {
    return `throws ${(err as Error).message}`;
  }
}

const QUERIES = [
  "SELECT 1",
  "SELECT ? AS a",
  "UPDATE agents SET enabled = ?, config_version = config_version + 1 WHERE id = ?",
  "SELECT * FROM t WHERE a = ? AND b IN (?) AND c = '?' AND d = ?",
  'SELECT "?" AS q, `we?ird` FROM t WHERE x = ? -- trailing ? comment',
  "SELECT ? /* a ? comment */, ? # line ?\n, ?",
  "SELECT /*! STRAIGHT_JOIN */ ? FROM t WHERE a = ?",
  "SELECT @var?, ? FROM t",
  "SELECT 'it''s ?', ? FROM t WHERE y = 'a\\'?'",
  "INSERT INTO t (a, b) VALUES (?, ?) ON DUPLICATE KEY UPDATE b = VALUES(b)",
  "SELECT ?, ?, ?",
];

const texts = ["", "plain", "it's", 'a "q"', "back\\slash", "nul\0", "\n\r\t\b\x1a", "é ☃ 𝄞", "?"];

function randomValue(rand: () => number): unknown {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  switch (Math.floor(rand() * 12)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return Math.floor(rand() * 2e9) - 1e9;
    case 3:
      return rand() * 1000 - 500;
    case 4:
      return pick([NaN, Infinity, -0, 0, 1e21, 5e-7]);
    case 5:
      return BigInt(Math.floor(rand() * 1e9)) * 1_000_000_007n;
    case 6:
      return rand() < 0.5;
    case 7:
      return new Date(Math.floor(rand() * 4e12));
    case 8:
      return new Uint8Array([0, 255, Math.floor(rand() * 256)]);
    case 9:
      return [pick(texts), Math.floor(rand() * 10)];
    case 10: {
      const text = pick(texts);
      return { toString: () => text };
    }
    default:
      return pick(texts) + pick(texts);
  }
}

Deno.test("formatSql renders every statement exactly as the driver's format", () => {
  let seed = 11;
  const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let round = 0; round < 3_000; round++) {
    const q = QUERIES[round % QUERIES.length];
    const n = Math.floor(rand() * 5);
    const values = Array.from({ length: n }, () => randomValue(rand));
    // Twice: the first call caches the split, the second uses it.
    for (let i = 0; i < 2; i++) {
      assert.equal(
        outcome(() => formatSql(q, values)),
        outcome(() => driverFormat(q, values)),
        `${q} with ${JSON.stringify(values, (_k, v) => typeof v === "bigint" ? `${v}n` : v)}`,
      );
    }
  }
});

Deno.test("formatSql: named values and empty lists go to the driver unchanged", () => {
  const q = "SELECT :a AS a, :b AS b";
  const named = { a: "x'y", b: 2 };
  assert.equal(formatSql(q, named), driverFormat(q, named));
  assert.equal(formatSql("SELECT ?", []), driverFormat("SELECT ?", []));
  assert.match(outcome(() => formatSql("SELECT ?", [[]])), /^throws .*empty arrays/);
});
