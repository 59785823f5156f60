import assert from "node:assert/strict";
import { bool, col, decoder, nnum, num0, opt, str } from "./_rows.ts";

Deno.test("rows: a spec decodes snake_case columns (or the named alias) into its camelCase item", () => {
  const decode = decoder({
    id: str,
    lastHeartbeatAt: opt,
    isActive: bool,
    replicaCount: num0,
    riskScore: nnum,
    initiatedAt: col("initiated", str),
  });
  assert.deepEqual(
    decode({
      id: "x",
      last_heartbeat_at: null,
      is_active: 1,
      replica_count: null,
      risk_score: "0.25",
      initiated: "2026-11-27T12:00:00.000Z",
      other: 1,
    }),
    {
      id: "x",
      lastHeartbeatAt: null,
      isActive: true,
      replicaCount: 0,
      riskScore: 0.25,
      initiatedAt: "2026-11-27T12:00:00.000Z",
    },
  );
  assert.equal(decode({ is_active: 0 }).isActive, false);
  assert.equal(decode({}).lastHeartbeatAt, null, "a missing nullable column is null");
});
