/**
 * The one way wspub checks a JSON record it reads back from the bucket (pointer, manifest root and
 * shards, journal, lock, capabilities): a table of fields and their kinds, checked by hand. A
 * schema library cost ~25 ms of start-up for these few fields, and ~0.4 s to check a 100k-file
 * manifest; the config file, read only where there is one, keeps its zod schema
 * (config/schema.ts). Extra fields are allowed: a newer wspub may add some.
 */
export type FieldKind =
  | "string"
  | "number"
  | "integer"
  /** A safe integer >= 0. */
  | "count"
  | "string|null"
  | "string[]"
  | "null"
  /** Absent (a field a newer wspub added: checked when present). */
  | "absent"
  | { literal: string | number | boolean }
  | { oneOf: readonly string[] }
  | { match: RegExp }
  | { listOf: FieldKind; nonEmpty?: boolean }
  | { fields: Fields }
  | { anyOf: readonly FieldKind[] };

export type Fields = Readonly<Record<string, FieldKind>>;

/** Checks `value` against `fields`; throws an Error that names `what` and the first field that is wrong. */
export function checkRecord<T>(value: unknown, fields: Fields, what: string): T {
  if (!isObject(value)) throw new Error(`${what} is not a JSON object`);
  const wrong = firstWrongField(value, fields);
  if (wrong !== undefined) {
    const v = value[wrong];
    throw new Error(
      `${what}: field "${wrong}" ${v === undefined ? "is missing" : `is not ${describe(fields[wrong]!)}`}`,
    );
  }
  return value as T;
}

/** Parses JSON text and checks it (see checkRecord). */
export function parseRecord<T>(text: string, fields: Fields, what: string): T {
  return checkRecord<T>(JSON.parse(text), fields, what);
}

function firstWrongField(record: Record<string, unknown>, fields: Fields): string | undefined {
  for (const name in fields) {
    if (!fits(record[name], fields[name]!)) return name;
  }
  return undefined;
}

function fits(v: unknown, kind: FieldKind): boolean {
  if (typeof kind === "object") {
    if ("literal" in kind) return v === kind.literal;
    if ("oneOf" in kind) return typeof v === "string" && kind.oneOf.includes(v);
    if ("match" in kind) return typeof v === "string" && kind.match.test(v);
    if ("anyOf" in kind) return kind.anyOf.some((k) => fits(v, k));
    if ("listOf" in kind) {
      return Array.isArray(v) && (!kind.nonEmpty || v.length > 0) && v.every((item) => fits(item, kind.listOf));
    }
    return isObject(v) && firstWrongField(v, kind.fields) === undefined;
  }
  switch (kind) {
    case "string":
      return typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "integer":
      return Number.isSafeInteger(v);
    case "count":
      return Number.isSafeInteger(v) && (v as number) >= 0;
    case "string|null":
      return v === null || typeof v === "string";
    case "string[]":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "null":
      return v === null;
    case "absent":
      return v === undefined;
  }
}

function describe(kind: FieldKind): string {
  if (typeof kind === "string") {
    if (kind === "string[]") return "a list of strings";
    if (kind === "count") return "a whole number, 0 or more";
    if (kind === "null") return "null";
    if (kind === "absent") return "absent";
    return `a ${kind.replace("|", " or ")}`;
  }
  if ("literal" in kind) return JSON.stringify(kind.literal);
  if ("oneOf" in kind) return `one of ${kind.oneOf.join(", ")}`;
  if ("match" in kind) return `a string matching ${kind.match}`;
  if ("listOf" in kind)
    return `a ${kind.nonEmpty ? "non-empty " : ""}list of ${describe(kind.listOf).replace(/^an? /, "")}s`;
  if ("anyOf" in kind) return kind.anyOf.map(describe).join(" or ");
  return "an object of the expected shape";
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
