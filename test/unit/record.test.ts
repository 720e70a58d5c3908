import { describe, expect, it } from "vitest";
import { checkRecord } from "../../src/manifest/record.js";
import { emptyPointer, parsePointer, serializePointer, type Pointer } from "../../src/manifest/pointer.js";

const fields = {
  version: { literal: 1 },
  name: "string",
  count: "integer",
  ratio: "number",
  previous: "string|null",
  items: "string[]",
} as const;
const good = { version: 1, name: "x", count: 3, ratio: 0.5, previous: null, items: ["a", "b"], extra: true };

describe("checkRecord", () => {
  it("accepts a record with every field of the right kind (extra fields are kept)", () => {
    expect(checkRecord(good, fields, "the record")).toBe(good);
    expect(checkRecord({ ...good, previous: "p", items: [] }, fields, "the record")).toMatchObject({ previous: "p" });
  });

  it.each([
    ["not an object", [1, 2], /the record is not a JSON object/],
    ["null", null, /not a JSON object/],
    ["a missing field", { ...good, name: undefined }, /field "name" is missing/],
    ["a wrong literal", { ...good, version: 2 }, /field "version" is not 1/],
    ["a fraction where an integer belongs", { ...good, count: 1.5 }, /field "count" is not a integer/],
    ["a string where a number belongs", { ...good, ratio: "1" }, /field "ratio" is not a number/],
    ["an infinite number", { ...good, ratio: Infinity }, /field "ratio"/],
    ["a number where string|null belongs", { ...good, previous: 0 }, /field "previous" is not a string or null/],
    ["a list with a non-string", { ...good, items: ["a", 1] }, /field "items" is not a list of strings/],
  ])("rejects %s", (_, value, message) => {
    expect(() => checkRecord(value, fields, "the record")).toThrow(message);
  });
});

describe("parsePointer", () => {
  const pointer: Pointer = {
    ...emptyPointer("www"),
    commit: "c".repeat(40),
    manifest: "m",
    publishedAt: "t",
    publishedBy: "me",
    files: 2,
    bytes: 10,
    journal: { commit: "c".repeat(40), startedAt: "t", holder: "me", writes: "all", deletes: ["a"] },
  };
  it("round-trips", () => {
    expect(parsePointer(serializePointer(pointer).toString("utf8"))).toEqual({ pointer, legacy: false });
    const preview = { ...pointer, preview: { of: "app", branch: "feature/x" } };
    expect(parsePointer(serializePointer(preview).toString("utf8"))).toEqual({ pointer: preview, legacy: false });
    expect(() => parsePointer(JSON.stringify({ ...pointer, preview: { of: "app" } }))).toThrow(/field "preview"/);
  });
  it("reads an older wspub's pointer (version 1) as one with no root, lock or journal inside", () => {
    const { root, conditionalWrites, lock, journal, ...common } = pointer;
    const v1 = JSON.stringify({ ...common, version: 1 });
    expect(parsePointer(v1)).toEqual({ pointer: { ...pointer, journal: null }, legacy: true });
  });
  it("names the field that is wrong", () => {
    expect(() => parsePointer(JSON.stringify({ ...pointer, files: "2" }))).toThrow(/the pointer: field "files"/);
    expect(() => parsePointer(JSON.stringify({ ...pointer, journal: { ...pointer.journal, writes: "some" } }))).toThrow(
      /the pointer: field "journal"/,
    );
  });
});
