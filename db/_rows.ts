/**
 * Row decoders declared once: a spec maps each camelCase field to a column decoder; the column
 * read is the field's snake_case name (alias it in the SELECT when the column differs), and the
 * item type is derived from the spec, so a query's row type, domain type and mapping are one
 * declaration. Values arrive already cast by db/client.ts (numbers, ISO timestamps, parsed JSON).
 */
import { snakeCase } from "../core/case.ts";
import { bool as toBool, num } from "./client.ts";

/** A text column. */
export const str = (v: unknown): string => v as string;
/** A nullable text or timestamp column. */
export const opt = (v: unknown): string | null => (v ?? null) as string | null;
/** A TINYINT(1) column. */
export const bool = (v: unknown): boolean => toBool(v);
/** A nullable numeric column. */
export const nnum = (v: unknown): number | null => num(v);
/** A numeric column, 0 when NULL (COUNT/SUM over no rows, LEFT JOINed counts). */
export const num0 = (v: unknown): number => num(v) ?? 0;

/** `dec` reading the column (or SELECT alias) `column` instead of the field's snake_case name. */
export function col<T>(
  column: string,
  dec: (v: unknown) => T,
): ((v: unknown) => T) & { column: string } {
  return Object.assign((v: unknown) => dec(v), { column });
}

type Spec = Record<string, (v: unknown) => unknown>;

/** The item a spec decodes to. */
export type Decoded<S extends Spec> = { -readonly [K in keyof S]: ReturnType<S[K]> };

/** A decoder of rows into the spec's items. */
export function decoder<const S extends Spec>(spec: S): (row: unknown) => Decoded<S> {
  const cols = Object.entries(spec).map(([k, f]) =>
    [k, (f as { column?: string }).column ?? snakeCase(k), f] as const
  );
  return (row) => {
    const r = row as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, c, f] of cols) out[k] = f(r[c]);
    return out as Decoded<S>;
  };
}
