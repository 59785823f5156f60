/** config.ts: DECISION_POLICY is parsed once, by the config schema, into the complete policy. */
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../config.ts";
import { DEFAULT_DECISION_POLICY } from "../core/decision_policy.ts";

Deno.test("config: DECISION_POLICY becomes the parsed policy, defaults filled in", () => {
  const c = parseConfig({ DECISION_POLICY: '{"horizonHours": 12}' });
  assert.equal(c.DECISION_POLICY.horizonHours, 12);
  assert.equal(c.DECISION_POLICY.paybackMargin, DEFAULT_DECISION_POLICY.paybackMargin);
  assert.deepEqual(parseConfig({}).DECISION_POLICY, { ...DEFAULT_DECISION_POLICY });
});

Deno.test("config: a bad DECISION_POLICY stops start-up naming the variable and the field", () => {
  assert.throws(
    () => parseConfig({ DECISION_POLICY: '{"horizonHours": 0}' }),
    (e: unknown) => e instanceof ConfigError && /DECISION_POLICY: horizonHours: /.test(e.message),
  );
  assert.throws(
    () => parseConfig({ DECISION_POLICY: "{not json" }),
    (e: unknown) => e instanceof ConfigError && /DECISION_POLICY: .*JSON object/.test(e.message),
  );
});
