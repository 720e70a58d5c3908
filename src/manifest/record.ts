/**
 * A small hand-written check of the JSON records wspub reads from the bucket on every publish
 * (pointer, journal, lock). A schema library cost ~25 ms of start-up for these few fields; the
 * config file, read only where there is one, keeps its zod schema (config/schema.ts).
 */
export type FieldKind = "string" | "number" | "integer" | "string|null" | "string[]" | { literal: string | number };

export function checkShape<T>(value: unknown, fields: Readonly<Record<string, FieldKind>>, what: string): T {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error(`${what} is not a JSON object`);
  const record = value as Record<string, unknown>;
  for (const [name, kind] of Object.entries(fields)) {
    const v = record[name];
    if (!fits(v, kind))
      throw new Error(`${what}: field "${name}" ${v === undefined ? "is missing" : `is not ${describe(kind)}`}`);
  }
  return value as T;
}

function fits(v: unknown, kind: FieldKind): boolean {
  if (typeof kind === "object") return v === kind.literal;
  switch (kind) {
    case "string":
      return typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "integer":
      return Number.isSafeInteger(v);
    case "string|null":
      return v === null || typeof v === "string";
    case "string[]":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
  }
}

function describe(kind: FieldKind): string {
  return typeof kind === "object"
    ? JSON.stringify(kind.literal)
    : kind === "string[]"
      ? "a list of strings"
      : `a ${kind.replace("|", " or ")}`;
}
