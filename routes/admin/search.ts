/** GET /api/admin/search (CONTRACT E65): clients, instances and agents matching a text. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { decimalInt, wellFormedText } from "../_validators.ts";
import type { AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { LIMITS } from "../_pagination.ts";
import { searchAll } from "../../db/admin_search.ts";
import { heartbeatCutoff } from "../../db/dashboard.ts";
import { COMMON_ERRORS, json } from "../_openapi.ts";
import { ADMIN_AUTH, SearchResponse } from "./schemas.ts";

const route = defineRoute("admin", {
  method: "get",
  path: "/api/admin/search",
  tags: ["admin"],
  summary: "Search clients, instances and agents",
  description:
    `${ADMIN_AUTH} \`q\` shorter than 2 characters answers empty lists. Substring match on names, e-mails and ids; \`%\` and \`_\` are matched literally (B-07). At most \`limit\` hits per category (default 20, maximum 100). An agent \`isActive\` when enabled and not deleted.`,
  request: {
    query: z.object({
      q: wellFormedText(100).default(""),
      limit: decimalInt(1, LIMITS.search.maxLimit, LIMITS.search.defaultLimit)
        .default(LIMITS.search.defaultLimit),
    }),
  },
  responses: { 200: json(SearchResponse, "Hits"), ...COMMON_ERRORS },
});

/** Registers E65. */
export function registerAdminSearchRoute(app: OpenAPIHono<AppEnv>): void {
  app.openapi(route, async (c) => {
    const { db, clock, config } = c.get("deps");
    const { q, limit } = c.req.valid("query");
    const text = q.trim();
    if (text.length < 2) return c.json({ clients: [], instances: [], agents: [] }, 200);
    const hits = await searchAll(db, {
      q: text,
      heartbeatCutoff: heartbeatCutoff(clock(), config.AGENT_HEARTBEAT_TIMEOUT),
      limit,
    });
    return c.json(hits, 200);
  });
}
