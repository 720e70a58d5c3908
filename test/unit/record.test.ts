import { describe, expect, it } from "vitest";
import { checkRecord } from "../../src/manifest/record.js";
import { parsePointer, serializePointer, type Pointer } from "../../src/manifest/pointer.js";

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
    version: 1,
    workspace: "www",
    commit: "c".repeat(40),
    manifest: "m",
    previous: null,
    publishedAt: "t",
    publishedBy: "me",
    files: 2,
    bytes: 10,
  };
  it("round-trips", () => {
    expect(parsePointer(serializePointer(pointer))).toEqual(pointer);
  });
  it("names the field that is wrong", () => {
    expect(() => parsePointer(JSON.stringify({ ...pointer, files: "2" }))).toThrow(/the pointer: field "files"/);
  });
});
