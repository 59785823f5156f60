/** Activation state of a client account (an inactive client's tokens are refused with 403). */
import type { Queryable } from "./client.ts";

/** Sets is_active/status of a client; returns false when the client does not exist. */
export async function setClientActive(
  db: Queryable,
  opts: { id: string; active: boolean },
): Promise<boolean> {
  const r = await db.execute(
    "UPDATE clients SET is_active = ?, status = ? WHERE id = ?",
    [opts.active ? 1 : 0, opts.active ? "active" : "inactive", opts.id],
  );
  if (r.rowsAffected > 0) return true;
  const exists = await db.execute("SELECT 1 FROM clients WHERE id = ?", [opts.id]);
  return exists.rows.length > 0;
}
