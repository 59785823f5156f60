/**
 * Client account operations shared by the admin routes, `deno task client:create` and the dev
 * seed: create (the only time a token is shown), regenerate the token, delete with every row.
 * Each runs in one transaction together with its notification, system event and audit row.
 */
import type { AppDeps } from "./types.ts";
import { signClientToken, tokenFingerprint } from "../core/tokens.ts";
import { isDuplicateKey } from "../db/client.ts";
import {
  deleteClientCascade,
  findClientById,
  findClientConflict,
  insertAuditLog,
  insertClient,
  lockClientTokenVersion,
  ownedTableColumns,
  rotateClientToken,
} from "../db/clients.ts";
import type { ClientRecord } from "../db/clients.ts";
import { insertNotification, insertSystemEvent } from "../db/events.ts";
import { Conflict, NotFound } from "../core/errors.ts";

/** Who performs an operation (written to the audit log; never a credential). */
export interface Actor {
  type: "admin" | "cli" | "system";
  id: string;
  requestId?: string | null;
  ipAddress?: string | null;
  userAgent?: string | null;
}

/** A unique, never-deliverable placeholder e-mail (RFC 2606 `.invalid`) for a client without one. */
export function placeholderEmail(name: string, clientId: string): string {
  const slug = name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "").slice(0, 40) || "client";
  return `${slug}-${clientId.slice(0, 8)}@no-email.invalid`;
}

function conflictError(field: "name" | "email", name: string, email: string): Conflict {
  return field === "name"
    ? new Conflict(`Client "${name}" already exists`, "client_exists")
    : new Conflict(`A client with e-mail "${email}" already exists`, "email_exists");
}

/** Creates an active client and returns it with its first token (a JWT with ver = 1). */
export async function createClientAccount(
  deps: AppDeps,
  input: { name: string; email?: string | null },
  actor: Actor,
): Promise<{ client: ClientRecord; token: string }> {
  const { db, services, config, clock } = deps;
  const name = input.name.trim();
  const id = crypto.randomUUID();
  const email = input.email?.trim() || placeholderEmail(name, id);
  const taken = await findClientConflict(db, { name, email });
  if (taken) throw conflictError(taken, name, email);
  const token = await signClientToken(services.keys, {
    clientId: id,
    version: 1,
    now: clock(),
    ttlSeconds: config.CLIENT_TOKEN_TTL ?? null,
  });
  const fingerprint = await tokenFingerprint(token);
  try {
    await db.transaction(async (tx) => {
      await insertClient(tx, { id, name, email, tokenFingerprint: fingerprint });
      await insertNotification(tx, {
        clientId: id,
        type: "client_created",
        message: `New client created: ${name}`,
      });
      await insertSystemEvent(tx, {
        type: "client_created",
        clientId: id,
        message: `Client "${name}" created`,
        metadata: { actor: actor.id, token_fingerprint: fingerprint },
        requestId: actor.requestId,
      });
      await insertAuditLog(tx, auditOf(actor, "create", id, { name, email }));
    });
  } catch (err) {
    // Lost a race with a concurrent create of the same name or e-mail.
    if (isDuplicateKey(err)) {
      throw conflictError(await findClientConflict(db, { name, email }) ?? "name", name, email);
    }
    throw err;
  }
  const client = await findClientById(db, id);
  if (!client) throw new Error("client vanished right after creation");
  deps.log.info("client created", { clientId: id, tokenFingerprint: fingerprint });
  return { client, token };
}

/** Issues a new token (version + 1); every earlier token, legacy ones included, stops working. */
export async function regenerateClientToken(
  deps: AppDeps,
  clientId: string,
  actor: Actor,
): Promise<{ token: string; version: number }> {
  const { db, services, config, clock } = deps;
  const result = await db.transaction(async (tx) => {
    const current = await lockClientTokenVersion(tx, clientId);
    if (current === null) throw new NotFound("Client not found", "client_not_found");
    const version = current + 1;
    const now = clock();
    const token = await signClientToken(services.keys, {
      clientId,
      version,
      now,
      ttlSeconds: config.CLIENT_TOKEN_TTL ?? null,
    });
    const fingerprint = await tokenFingerprint(token);
    await rotateClientToken(tx, { id: clientId, version, fingerprint, now });
    await insertNotification(tx, {
      clientId,
      type: "token_regenerated",
      severity: "warning",
      message:
        "Your client token was regenerated; agents and dashboards must use the new token (the old one no longer works).",
    });
    await insertSystemEvent(tx, {
      type: "token_regenerated",
      severity: "warning",
      clientId,
      message: `Client token regenerated (version ${version})`,
      metadata: { actor: actor.id, version, token_fingerprint: fingerprint },
      requestId: actor.requestId,
    });
    await insertAuditLog(tx, auditOf(actor, "regenerate_token", clientId, { version }));
    return { token, version };
  });
  // After the commit, so a lookup racing the rotation cannot re-cache the old token here.
  forgetClientTokens(deps, clientId);
  deps.log.info("client token regenerated", { clientId, version: result.version });
  return result;
}

/** Deletes a client and every row that belongs to it; returns rows removed per table. */
export async function deleteClientAccount(
  deps: AppDeps,
  clientId: string,
  actor: Actor,
): Promise<{ name: string; deleted: Record<string, number> }> {
  const { db } = deps;
  const columns = await ownedTableColumns(db);
  const result = await db.transaction(async (tx) => {
    const client = await findClientById(tx, clientId);
    if (!client) throw new NotFound("Client not found", "client_not_found");
    const deleted = await deleteClientCascade(tx, clientId, columns);
    if (!deleted) throw new NotFound("Client not found", "client_not_found");
    // These two rows outlive the client: they carry its id only in the metadata.
    await insertSystemEvent(tx, {
      type: "client_deleted",
      severity: "warning",
      message: `Client "${client.name}" deleted`,
      metadata: { actor: actor.id, client_id: clientId, name: client.name, deleted },
      requestId: actor.requestId,
    });
    await insertAuditLog(tx, {
      ...auditOf(actor, "delete", clientId, { name: client.name, deleted }),
      clientId: null,
    });
    return { name: client.name, deleted };
  });
  forgetClientTokens(deps, clientId);
  deps.log.info("client deleted", { clientId, deleted: result.deleted });
  return result;
}

function auditOf(actor: Actor, action: string, clientId: string, details: Record<string, unknown>) {
  return {
    entityType: "client",
    entityId: clientId,
    action,
    actorType: actor.type,
    actorId: actor.id,
    clientId,
    details,
    ipAddress: actor.ipAddress ?? null,
    userAgent: actor.userAgent ?? null,
    requestId: actor.requestId ?? null,
  };
}

/** One day of the growth chart. */
export interface GrowthPoint {
  date: string;
  total: number;
  new: number;
  active: number;
  count: number;
}

/**
 * The last `days` UTC days up to `today` from per-day creation counts (existing clients only:
 * deleted clients are gone from history too). `active` counts clients active now.
 */
export function growthSeries(
  creations: { date: string; created: number; active: number }[],
  opts: { today: Date; days: number },
): GrowthPoint[] {
  const end = Date.UTC(
    opts.today.getUTCFullYear(),
    opts.today.getUTCMonth(),
    opts.today.getUTCDate(),
  );
  const byDate = new Map(creations.map((c) => [c.date, c]));
  const firstDay = new Date(end - (opts.days - 1) * 86_400_000).toISOString().slice(0, 10);
  let total = 0;
  let active = 0;
  for (const c of creations) {
    if (c.date < firstDay) {
      total += c.created;
      active += c.active;
    }
  }
  const out: GrowthPoint[] = [];
  for (let i = opts.days - 1; i >= 0; i--) {
    const date = new Date(end - i * 86_400_000).toISOString().slice(0, 10);
    const day = byDate.get(date);
    total += day?.created ?? 0;
    active += day?.active ?? 0;
    out.push({ date, total, new: day?.created ?? 0, active, count: total });
  }
  return out;
}

/** Drops every cached token of a client (after regenerate or delete). */
function forgetClientTokens(deps: AppDeps, clientId: string): void {
  deps.services.authCache.deleteWhere((p) => p.clientId === clientId);
}
