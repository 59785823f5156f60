/** Resolves which client a dashboard request may read, and how to shape its lists. */
import type { AppContext } from "../_app.ts";
import { principalOf, scopeClient } from "../_app.ts";
import { NotFoundError } from "../_errors.ts";
import { clientExists } from "../../db/dashboard.ts";

/**
 * The client id of `/api/client/{client_id}/...`: a client token may name only its own (else 404);
 * the admin credential may name any existing client (an unknown id is 404).
 */
export async function resolveClientId(c: AppContext, clientIdFromPath: string): Promise<string> {
  const id = scopeClient(c, clientIdFromPath);
  if (principalOf(c).kind === "admin" && !(await clientExists(c.get("deps").db, id))) {
    throw new NotFoundError("Client not found", "client_not_found");
  }
  return id;
}

/** True when the caller is the admin credential (admin dashboard shapes). */
export function isAdmin(c: AppContext): boolean {
  return principalOf(c).kind === "admin";
}
