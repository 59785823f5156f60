/** Key-case conversion shared by the row decoders (db/) and the dashboard dialects (routes/). */

/** `lastHeartbeatAt` → `last_heartbeat_at`, at the type level. */
export type SnakeCase<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<T>}`
  : S;

/** `lastHeartbeatAt` → `last_heartbeat_at`. */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
