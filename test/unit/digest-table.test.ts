import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { digestBuffer } from "../../src/publish/content.js";
import { DigestTable } from "../../src/publish/digest-table.js";

describe("DigestTable", () => {
  it("gives back exactly the digests it was given, packed", () => {
    const table = new DigestTable();
    const bodies = ["", "a", "hello\n", "x".repeat(100_000)].map((s) => Buffer.from(s));
    for (const [i, body] of bodies.entries()) table.set(`oid${i}`, digestBuffer(body));
    expect(table.size).toBe(4);
    bodies.forEach((body, i) => {
      expect(table.get(`oid${i}`)).toEqual({
        sha256: createHash("sha256").update(body).digest("hex"),
        md5: createHash("md5").update(body).digest("base64"),
      });
    });
    expect(table.get("other")).toBeUndefined();
  });

  it.each([
    ["upper-case hex", { sha256: "A".repeat(64), md5: "1B2M2Y8AsgTpgAmY7PhCfg==" }],
    ["a short SHA-256", { sha256: "ab", md5: "1B2M2Y8AsgTpgAmY7PhCfg==" }],
    ["an MD5 that is not base64 of 16 bytes", { sha256: "a".repeat(64), md5: "not base64!" }],
    ["base64 without padding", { sha256: "a".repeat(64), md5: "1B2M2Y8AsgTpgAmY7PhCfg" }],
  ])("keeps digests that do not pack (%s) as given", (_, digests) => {
    const table = new DigestTable();
    table.set("x", digests);
    expect(table.get("x")).toEqual(digests);
  });

  it("a later set replaces an earlier one, packed or not", () => {
    const table = new DigestTable();
    const packed = digestBuffer(Buffer.from("a"));
    table.set("x", { sha256: "odd", md5: "odd" });
    table.set("x", packed);
    expect(table.get("x")).toEqual(packed);
    table.set("x", { sha256: "odd", md5: "odd" });
    expect(table.get("x")).toEqual({ sha256: "odd", md5: "odd" });
    expect(table.size).toBe(1);
  });
});
