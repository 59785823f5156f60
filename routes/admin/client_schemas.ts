/** Zod schemas of the admin client-management routes (CONTRACT E54-E60) and of /api/client/validate. */
import { z } from "@hono/zod-openapi";
import { decimalInt, identifier, wellFormedText } from "../_validators.ts";

// Deliberately loose (one @, no spaces, a dot in the domain): the address is a contact field,
// not a login, and operators paste all sorts of valid addresses.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// The shared error and success bodies (routes/_schemas.ts).

/** Path parameter `client_id`. */
export const ClientIdParam = z.object({
  client_id: identifier(64).openapi({ param: { name: "client_id", in: "path" } }),
});

/** Body of POST /api/admin/clients/create. */
export const CreateClientBody = z.object({
  name: wellFormedText(255).trim().min(1, "name is required"),
  email: wellFormedText(255).trim().refine((v) => v === "" || EMAIL.test(v), {
    message: "email must be an e-mail address",
  }).nullable().optional().openapi({
    description:
      "Optional. When omitted or empty a unique placeholder `<name>-<id8>@no-email.invalid` is stored (never deliverable, never colliding).",
  }),
}).openapi("CreateClientBody");

/** Answer of POST /api/admin/clients/create. */
export const CreateClientResponse = z.object({
  success: z.literal(true),
  client: z.object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    token: z.string().openapi({ description: "The client token; shown only here." }),
    status: z.literal("active"),
  }),
}).openapi("CreateClientResponse");

/** One row of GET /api/admin/clients (AD field names). */
export const ClientListItem = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  status: z.enum(["active", "inactive"]),
  agentsOnline: z.number().int(),
  agentsTotal: z.number().int(),
  instances: z.number().int(),
  totalSavings: z.number(),
  lastSync: z.string().nullable(),
  createdAt: z.string(),
}).openapi("AdminClient");

/** GET /api/admin/clients/{client_id}: the list row plus token metadata (never the token). */
export const ClientDetail = ClientListItem.extend({
  tokenVersion: z.number().int(),
  tokenFingerprint: z.string().nullable(),
  tokenRotatedAt: z.string().nullable(),
  hasLegacyToken: z.boolean(),
}).openapi("AdminClientDetail");

/** Query of GET /api/admin/clients. */
export const ListClientsQuery = z.object({
  limit: decimalInt(1, 1000, 500),
  offset: decimalInt(0, 100_000, 0),
});

/** Query of GET /api/admin/clients/growth. */
export const GrowthQuery = z.object({
  days: decimalInt(1, 365, 30),
});

/** One day of GET /api/admin/clients/growth; `count` = `total` (the admin dashboard charts it). */
export const GrowthPoint = z.object({
  date: z.string(),
  total: z.number().int(),
  new: z.number().int(),
  active: z.number().int(),
  count: z.number().int(),
}).openapi("ClientGrowthPoint");

/** Answer of DELETE /api/admin/clients/{client_id}. */
export const DeleteClientResponse = z.object({
  success: z.literal(true),
  message: z.string(),
  deleted: z.record(z.string(), z.number().int()).openapi({
    description: "Rows removed per table.",
  }),
}).openapi("DeleteClientResponse");

/** Answer of POST /api/admin/clients/{client_id}/regenerate-token. */
export const RegenerateTokenResponse = z.object({
  success: z.literal(true),
  token: z.string(),
  message: z.string(),
}).openapi("RegenerateTokenResponse");

/** 200 of GET /api/client/validate. */
export const ValidateOk = z.object({
  valid: z.literal(true),
  client_id: z.string(),
  name: z.string(),
  email: z.string(),
}).openapi("ValidateOk");

/** 401/403/429 of GET /api/client/validate. */
export const ValidateFail = z.object({
  valid: z.literal(false),
  error: z.string(),
  code: z.string(),
}).openapi("ValidateFail");
