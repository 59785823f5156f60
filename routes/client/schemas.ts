/**
 * Schemas shared by the dashboard routes (client, admin, notifications): path parameters,
 * timestamps and the credential notes every description carries. OpenAPI helpers: ../_openapi.ts.
 */
import { z } from "@hono/zod-openapi";
import { identifier } from "../_validators.ts";

/** Credential note of routes shared by both dashboards. */
export const CLIENT_AUTH =
  "Credential: `Authorization: Bearer <client token>` (its own client only: another client's ids answer 404) or the admin credential (any client). The admin dashboard must now send the admin credential as a Bearer token; the predecessor's sent none.";

/** Shape note of routes whose answer is a list. */
export const SHAPE_BY_CREDENTIAL =
  "Shape follows the credential (CONTRACT T-20): a client token gets the client dashboard's wrapper object with snake_case items; the admin credential gets the admin dashboard's bare camelCase array.";

/** `{client_id}` path parameter. */
export const ClientParams = z.object({
  client_id: identifier(64).describe("Client id"),
});

/** `{agent_id}` path parameter. */
export const AgentParams = z.object({
  agent_id: identifier(64).describe("Agent id (the server's uuid)"),
});

/** `{instance_id}` path parameter. */
export const InstanceParams = z.object({
  instance_id: identifier(64).describe(
    "EC2 instance id; an agent id or the agent's current instance id also resolves",
  ),
});

/** An ISO-8601 UTC timestamp. */
export const Timestamp = z.string().describe("ISO-8601 UTC timestamp");
