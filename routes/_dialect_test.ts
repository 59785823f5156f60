import assert from "node:assert/strict";
import { z } from "@hono/zod-openapi";
import { dialects, listResponse, withBothKeySets } from "./_dialect.ts";

const Thing = dialects({
  id: z.string(),
  lastHeartbeatAt: z.string().nullable(),
  onDemandPrice: z.number(),
  poolId: z.string(),
  currentPoolId: z.string().nullable(),
}, {
  adminOnly: ["poolId"],
  clientOnly: ["currentPoolId"],
  adminNames: { lastHeartbeatAt: "lastHeartbeat" },
  clientNames: { onDemandPrice: "ondemand_price" },
});

const item = {
  id: "a",
  lastHeartbeatAt: null,
  onDemandPrice: 0.04,
  poolId: "n/a",
  currentPoolId: null,
  extra: "dropped",
};

Deno.test("dialects: one item, two key sets, exactly the declared keys", () => {
  assert.deepEqual(Thing.toAdmin(item), {
    id: "a",
    lastHeartbeat: null,
    onDemandPrice: 0.04,
    poolId: "n/a",
  });
  assert.deepEqual(Thing.toClient(item), {
    id: "a",
    last_heartbeat_at: null,
    ondemand_price: 0.04,
    current_pool_id: null,
  });
  assert.deepEqual(Object.keys(Thing.admin.shape), [
    "id",
    "lastHeartbeat",
    "onDemandPrice",
    "poolId",
  ]);
  assert.deepEqual(Object.keys(Thing.client.shape), [
    "id",
    "last_heartbeat_at",
    "ondemand_price",
    "current_pool_id",
  ]);
  assert.equal(Thing.client.safeParse(Thing.toClient(item)).success, true);
  assert.equal(Thing.admin.safeParse(Thing.toAdmin(item)).success, true);
});

Deno.test("dialects: withBothKeySets gives admin items both key sets; listResponse takes both shapes", () => {
  const Both = withBothKeySets(Thing);
  const a = Both.toAdmin(item);
  assert.equal(a.lastHeartbeat, null);
  assert.equal(a.last_heartbeat_at, null);
  assert.equal(a.ondemand_price, 0.04);
  assert.equal(a.onDemandPrice, 0.04);
  assert.equal(Both.admin.safeParse(a).success, true);
  const R = listResponse("things", Both);
  assert.equal(R.safeParse([a]).success, true);
  assert.equal(
    R.safeParse({ things: [Both.toClient(item)], limit: 1, offset: 0 }).success,
    true,
  );
  assert.equal(R.safeParse({ things: [{ id: 1 }], limit: 1, offset: 0 }).success, false);
});
