import { describe, expect, it } from "vitest";
import { LINK_SUFFIX, objectName } from "../../src/store/layout.js";
import {
  manifestDigest,
  parseManifest,
  serializeManifest,
  statMode,
  totalBytes,
  type Manifest,
} from "../../src/manifest/entry.js";
import type { GitMode } from "../../src/git/parse.js";

const entry = (blob: string, size: number, mode: "100644" | "100755" | "120000" = "100644") => ({
  blob,
  sha256: `${blob}-sha`,
  md5: `${blob}-md5`,
  size,
  mode,
  mtime: 1_700_000_000,
});

const manifest: Manifest = {
  version: 1,
  workspace: "www",
  commit: "c".repeat(40),
  committedAt: 1_700_000_000,
  files: {
    "z.txt": entry("z", 3),
    "a/b.txt": entry("b", 5, "100755"),
    link: entry("l", 7, "120000"),
    "A.txt": entry("a", 0),
  },
};

describe("objectName / statMode", () => {
  it.each<[string, GitMode, string, number]>([
    ["a.txt", "100644", "a.txt", 0o100644],
    ["bin/run", "100755", "bin/run", 0o100755],
    ["dir/link", "120000", "dir/link.rclonelink", 0o120777],
    ["x.rclonelink", "100644", "x.rclonelink", 0o100644],
  ])("%s (%s) -> %s, st_mode %o", (path, mode, object, st) => {
    expect(objectName(path, mode)).toBe(object);
    expect(statMode(mode)).toBe(st);
  });

  it("the link suffix is rclone's", () => {
    expect(LINK_SUFFIX).toBe(".rclonelink");
  });
});

describe("serializeManifest / parseManifest / manifestDigest", () => {
  it("serialises with sorted paths and a final newline, and parses back", () => {
    const text = serializeManifest(manifest);
    expect(Object.keys(JSON.parse(text).files)).toEqual(["A.txt", "a/b.txt", "link", "z.txt"]);
    expect(text.endsWith("}\n")).toBe(true);
    expect(parseManifest(text)).toEqual(manifest);
  });

  it("equal manifests give equal bytes and digests whatever the insertion order", () => {
    const reordered: Manifest = { ...manifest, files: Object.fromEntries(Object.entries(manifest.files).reverse()) };
    expect(serializeManifest(reordered)).toBe(serializeManifest(manifest));
    expect(manifestDigest(serializeManifest(reordered))).toBe(manifestDigest(serializeManifest(manifest)));
    expect(manifestDigest(serializeManifest(manifest))).toMatch(/^[0-9a-f]{16}$/);
  });

  it("a different manifest gives a different digest", () => {
    const other: Manifest = { ...manifest, files: { ...manifest.files, "new.txt": entry("n", 1) } };
    expect(manifestDigest(serializeManifest(other))).not.toBe(manifestDigest(serializeManifest(manifest)));
  });

  it.each([
    ["wrong version", { ...manifest, version: 2 }],
    ["gitlink mode", { ...manifest, files: { sub: { ...entry("s", 0), mode: "160000" } } }],
    ["negative size", { ...manifest, files: { a: { ...entry("s", 0), size: -1 } } }],
    ["missing md5", { ...manifest, files: { a: { blob: "b", sha256: "s", size: 1, mode: "100644", mtime: 1 } } }],
  ])("rejects %s", (_, value) => {
    expect(() => parseManifest(JSON.stringify(value))).toThrow();
  });

  it("totalBytes sums the sizes", () => {
    expect(totalBytes(manifest.files)).toBe(15);
    expect(totalBytes({})).toBe(0);
  });
});
