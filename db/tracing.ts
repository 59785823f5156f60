/**
 * OpenTelemetry hooks over Deno's built-in integration (`OTEL_DENO=true`): Deno.serve already
 * opens a server span per request and fetch a client span per call; these add the route template
 * to the request span and a span per database statement. With OTEL_DENO unset nothing here runs:
 * `tracingEnabled` is read once and every hook returns before touching the API.
 * @module
 */
import { type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";

function readEnabled(): boolean {
  try {
    return /^(true|1)$/i.test(Deno.env.get("OTEL_DENO") ?? "");
  } catch {
    // No env permission: Deno's exporter reads the variable itself, but we cannot; stay off.
    return false;
  }
}

/** True when Deno exports telemetry (OTEL_DENO=true at process start). */
export const tracingEnabled: boolean = readEnabled();

const tracer = trace.getTracer("spot-optimizer");

/** The span of the request being handled (Deno.serve's), when tracing is on. */
export function activeRequestSpan(): Span | undefined {
  return tracingEnabled ? trace.getActiveSpan() : undefined;
}

/** Names the request span after its route template (`POST /api/agents/:agent_id/heartbeat`). */
export function nameRequestSpan(span: Span | undefined, method: string, route?: string): void {
  if (!span || !route) return;
  span.setAttribute("http.route", route);
  span.updateName(`${method} ${route}`);
}

/** First keyword of a statement (`SELECT`, `INSERT`, `BEGIN`, ...), upper-cased. */
export function sqlOperation(sql: string): string {
  const m = /^\s*(\w+)/.exec(sql);
  return m ? m[1].toUpperCase() : "SQL";
}

/**
 * Runs one database statement inside a client span `db <OPERATION>` carrying the statement text
 * (placeholders only, never the values). Without tracing it is `fn()`.
 */
export function traceStatement<T>(sql: string, fn: () => Promise<T>): Promise<T> {
  if (!tracingEnabled) return fn();
  const op = sqlOperation(sql);
  return tracer.startActiveSpan(`db ${op}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      "db.system.name": "mysql",
      "db.operation.name": op,
      "db.query.text": sql.length > 2000 ? sql.slice(0, 2000) : sql,
    },
  }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.name ?? "error" });
      throw err;
    } finally {
      span.end();
    }
  });
}
