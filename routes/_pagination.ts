/**
 * Paging of list routes: every list takes `limit` and `offset` (decimal digits only), with
 * a default and a maximum per route, so no route ever returns an unbounded table.
 */
import type { z } from "@hono/zod-openapi";
import { decimalInt } from "./_validators.ts";

/** Default and maximum page size of one list route. */
export interface PageLimits {
  defaultLimit: number;
  maxLimit: number;
}

/** A validated page request. */
export interface Page {
  limit: number;
  offset: number;
}

/** Largest offset accepted (deep paging through OFFSET is a table scan; past this use filters). */
export const MAX_OFFSET = 100_000;

/** The `limit`/`offset` query fields for a route with these limits (spread into its query schema). */
export function pageQuery(limits: PageLimits): {
  limit: z.ZodDefault<z.ZodType<number, string>>;
  offset: z.ZodDefault<z.ZodType<number, string>>;
} {
  return {
    limit: decimalInt(1, limits.maxLimit, limits.defaultLimit)
      .describe(`Page size (default ${limits.defaultLimit}, maximum ${limits.maxLimit}).`),
    offset: decimalInt(0, MAX_OFFSET, 0).describe("Rows to skip (default 0)."),
  };
}

/** Shared limits: dashboard lists that the real dashboards read without paging get a generous default. */
export const LIMITS = {
  /** Agents, instances, replicas of one client (the dashboards page nothing). */
  fleet: { defaultLimit: 500, maxLimit: 1000 },
  /** Switch histories, logs, activity feeds. */
  history: { defaultLimit: 100, maxLimit: 500 },
  /** Notifications (AD asks for 20 or 50). */
  notifications: { defaultLimit: 10, maxLimit: 200 },
  /** Admin cross-tenant lists. */
  admin: { defaultLimit: 500, maxLimit: 500 },
  /** Search hits per category. */
  search: { defaultLimit: 20, maxLimit: 100 },
  /** CSV exports (rows per file; page with `offset` beyond that). */
  export: { defaultLimit: 10_000, maxLimit: 10_000 },
} as const satisfies Record<string, PageLimits>;
