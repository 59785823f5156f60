/** Notifications (CONTRACT E51–E53): scoped to the caller's client (B-08), limits, mark-read. */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { call } from "./_schema_check.ts";

async function notify(t: TestContext, clientId: string, n: number, at: Date): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = crypto.randomUUID();
    ids.push(id);
    await t.db.execute(
      "INSERT INTO notifications (id, client_id, message, severity, created_at) VALUES (?, ?, ?, 'warning', ?)",
      [id, clientId, `note ${i}`, new Date(at.getTime() + i * 1000)],
    );
  }
  return ids;
}

Deno.test("notifications: a client token lists only its own client's, newest first, limit 10 by default", async () => {
  const t = await testContext("notif_list");
  const a = await t.createClient();
  const b = await t.createClient();
  await notify(t, a.id, 12, new Date("2026-11-27T10:00:00Z"));
  await notify(t, b.id, 3, new Date("2026-11-27T11:00:00Z"));
  const own = await call(t, "GET", "/api/notifications", { token: a.token });
  assert.equal(own.status, 200);
  assert.equal(own.body.length, 10);
  assert.ok(own.body.every((n: { clientId: string }) => n.clientId === a.id));
  assert.equal(own.body[0].message, "note 11");
  assert.equal(own.body[0].isRead, false);
  assert.equal(own.body[0].severity, "warning");
  assert.equal(own.body[0].time, "2026-11-27T10:00:11.000Z");
  const foreign = await call(t, "GET", `/api/notifications?client_id=${b.id}`, { token: a.token });
  assert.equal(foreign.status, 404);
  const all = await call(t, "GET", "/api/notifications?limit=50", { token: t.adminToken });
  assert.equal(all.body.length, 15, "the admin without client_id sees every client's");
  const one = await call(t, "GET", `/api/notifications?client_id=${b.id}&limit=20`, {
    token: t.adminToken,
  });
  assert.equal(one.body.length, 3);
  assert.equal(
    (await call(t, "GET", "/api/notifications?limit=201", { token: a.token })).status,
    400,
  );
  assert.equal(
    (await call(t, "GET", "/api/notifications?limit=abc", { token: a.token })).status,
    400,
  );
  assert.equal((await call(t, "GET", "/api/notifications")).status, 401);
});

Deno.test("notifications: mark-read is 404 for another client's id; mark-all-read stays in the caller's client", async () => {
  const t = await testContext("notif_mark");
  const a = await t.createClient();
  const b = await t.createClient();
  const [a1] = await notify(t, a.id, 3, new Date("2026-11-27T10:00:00Z"));
  const [b1] = await notify(t, b.id, 2, new Date("2026-11-27T10:00:00Z"));
  // The admin dashboard posts mark-read with no body (T-24).
  const ok = await call(t, "POST", `/api/notifications/${a1}/mark-read`, {
    token: a.token,
    headers: { "Content-Type": "application/json" },
  });
  assert.deepEqual(ok.body, { success: true, id: a1 });
  const again = await call(t, "POST", `/api/notifications/${a1}/mark-read`, { token: a.token });
  assert.equal(again.status, 200, "marking twice is fine");
  assert.equal(
    (await call(t, "POST", `/api/notifications/${b1}/mark-read`, { token: a.token })).status,
    404,
  );
  const all = await call(t, "POST", "/api/notifications/mark-all-read", {
    token: a.token,
    body: { client_id: null },
  });
  assert.deepEqual(all.body, { success: true, updated: 2 });
  const unreadB = await call(t, "GET", `/api/notifications?client_id=${b.id}&unread_only=true`, {
    token: t.adminToken,
  });
  assert.equal(unreadB.body.length, 2, "another client's notifications stay unread");
  const foreign = await call(t, "POST", "/api/notifications/mark-all-read", {
    token: a.token,
    body: { client_id: b.id },
  });
  assert.equal(foreign.status, 404);
  const adminOne = await call(t, "POST", "/api/notifications/mark-all-read", {
    token: t.adminToken,
    body: { client_id: b.id },
  });
  assert.equal(adminOne.body.updated, 2);
  const adminMark = await call(t, "POST", `/api/notifications/${b1}/mark-read`, {
    token: t.adminToken,
  });
  assert.equal(adminMark.status, 200);
});
