/**
 * Deactivating and reactivating a client account (console admin page). An inactive client's
 * tokens are refused with 403 `client_inactive` by the auth middleware, so its agents, dashboards
 * and console sessions stop at once on this instance (cached principals are dropped) and within
 * AUTH_CACHE_TTL elsewhere. The change, its system event and its audit row are one transaction.
 */
import type { AppDeps } from "./types.ts";
import { setClientActive } from "../db/client_status.ts";
import { insertAuditLog } from "../db/clients.ts";
import { insertSystemEvent } from "../db/events.ts";
import { NotFound } from "../core/errors.ts";
import type { Actor } from "./client_accounts.ts";

/** Sets a client active or inactive; throws NotFound for an unknown client. */
export async function setClientAccountActive(
  deps: AppDeps,
  opts: { clientId: string; active: boolean; actor: Actor },
): Promise<void> {
  const { clientId, active, actor } = opts;
  await deps.db.transaction(async (tx) => {
    if (!await setClientActive(tx, { id: clientId, active })) {
      throw new NotFound("Client not found", "client_not_found");
    }
    await insertSystemEvent(tx, {
      type: active ? "client_activated" : "client_deactivated",
      severity: active ? "info" : "warning",
      clientId,
      message: active ? "Client account reactivated" : "Client account deactivated",
      metadata: { actor: actor.id },
      requestId: actor.requestId ?? null,
    });
    await insertAuditLog(tx, {
      entityType: "client",
      entityId: clientId,
      action: active ? "activate" : "deactivate",
      actorType: actor.type,
      actorId: actor.id,
      clientId,
      ipAddress: actor.ipAddress ?? null,
      userAgent: actor.userAgent ?? null,
      requestId: actor.requestId ?? null,
    });
  });
  // After the commit, so a lookup racing the change cannot re-cache the client here.
  deps.services.authCache.deleteWhere((p) => p.clientId === clientId);
  deps.log.info(active ? "client activated" : "client deactivated", { clientId });
}
