import { describe, expect, it } from "vitest";
import { serializeManifest, type ManifestEntry } from "../../src/manifest/entry.js";
import {
  buildShards,
  ENTRY_PAIRS,
  chooseBits,
  fits,
  parseShard,
  parseStoredManifest,
  serializeRoot,
  serializeShard,
  shardDigest,
  shardIndex,
  type ManifestRoot,
} from "../../src/manifest/sharded.js";
import { parseDiffTree } from "../../src/git/parse.js";

const entry = (blob: string, size = 1): ManifestEntry => ({
  blob,
  sha256: `${blob}-sha`,
  md5: `${blob}-md5`,
  size,
  mode: "100644",
  mtime: 1_700_000_000,
});
const paths = (n: number) => Array.from({ length: n }, (_, i) => `src/dir${i % 97}/file-${i}.ts`);

const root: ManifestRoot = {
  version: 2,
  workspace: "www",
  commit: "c".repeat(40),
  committedAt: 1_700_000_000,
  files: 3,
  bytes: 3,
  excluded: 1,
  filter: "f".repeat(32),
  ignore: [{ path: ".gitignore", blob: "b".repeat(40), kind: "gitignore" }],
  shards: ["0".repeat(32), "1".repeat(32)],
};

describe("shardIndex", () => {
  it("is 0 with no bits, and within range and stable otherwise", () => {
    expect(shardIndex("anything", 0)).toBe(0);
    for (const bits of [1, 4, 7, 12]) {
      for (const p of paths(200)) {
        const i = shardIndex(p, bits);
        expect(i).toBeGreaterThanOrEqual(0);
        expect(i).toBeLessThan(2 ** bits);
        expect(shardIndex(p, bits)).toBe(i);
      }
    }
  });

  it("is FNV-1a 32 (known value), so other tools can find an entry's shard", () => {
    // FNV-1a 32 of "a" is 0xe40c292c: its top 4 bits are 0xe
    expect(shardIndex("a", 4)).toBe(0xe);
    expect(shardIndex("a", 32 - 0)).toBe(0xe40c292c);
  });

  it("spreads similar paths evenly (10,000 paths over 16 shards)", () => {
    const counts = new Array<number>(16).fill(0);
    for (const p of paths(10_000)) counts[shardIndex(p, 4)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(450);
    for (const c of counts) expect(c).toBeLessThan(800);
  });
});

describe("chooseBits / fits", () => {
  it.each([
    [0, 0],
    [256, 0],
    [257, 1],
    [1000, 2],
    [10_000, 6],
    [100_000, 9],
    [1_000_000, 12],
    [100_000_000, 12],
  ])("%i files -> %i bits", (count, bits) => {
    expect(chooseBits(count)).toBe(bits);
  });

  it("keeps the current layout within its bounds (so shards are reused), and lays out again beyond them", () => {
    expect(chooseBits(500, 0)).toBe(0);
    expect(chooseBits(600, 0)).toBe(2);
    expect(chooseBits(300, 2)).toBe(2);
    expect(chooseBits(200, 2)).toBe(0);
    expect(fits(0, 0)).toBe(true);
    expect(fits(250, 2)).toBe(false);
  });
});

describe("buildShards / serializeShard / parseShard", () => {
  const files = Object.fromEntries(paths(3000).map((p, i) => [p, entry(`b${i}`)]));

  it("puts every entry into exactly the shard of its path", () => {
    const { digests, texts, bytes } = buildShards(Object.entries(files), ENTRY_PAIRS, 2);
    expect(bytes).toBe(Object.values(files).reduce((sum, e) => sum + e.size, 0));
    expect(digests).toHaveLength(4);
    const seen = new Set<string>();
    digests.forEach((d, i) => {
      const shard = parseShard(texts.get(d)!());
      for (const p of Object.keys(shard)) {
        expect(shardIndex(p, 2)).toBe(i);
        seen.add(p);
      }
    });
    expect(seen.size).toBe(3000);
  });

  it("names a shard by its bytes: insertion order does not matter, one changed entry changes one shard", () => {
    const a = buildShards(Object.entries(files), ENTRY_PAIRS, 2);
    const reversed = buildShards(Object.entries(files).reverse(), ENTRY_PAIRS, 2);
    expect(reversed.digests).toEqual(a.digests);
    const changed = buildShards(Object.entries({ ...files, [paths(1)[0]!]: entry("other") }), ENTRY_PAIRS, 2);
    expect(changed.digests.filter((d, i) => d !== a.digests[i])).toHaveLength(1);
    expect(shardDigest(serializeShard({}))).toMatch(/^[0-9a-f]{32}$/);
  });

  it("keeps the last entry of a path given twice and counts its bytes once; makes the same text each time", () => {
    const twice = buildShards(
      [
        ["a", entry("x", 5)],
        ["b", entry("y", 7)],
        ["a", entry("z", 11)],
      ] as const,
      ENTRY_PAIRS,
      0,
    );
    expect(twice.bytes).toBe(18);
    const text = twice.texts.get(twice.digests[0]!)!;
    expect(parseShard(text()).a?.blob).toBe("z");
    expect(text()).toBe(text());
    expect(shardDigest(text())).toBe(twice.digests[0]);
  });

  it.each([
    ["version 1", { version: 1, files: {} }],
    ["no files", { version: 2 }],
    ["a gitlink entry", { version: 2, files: { a: { ...entry("x"), mode: "160000" } } }],
    ["a negative size", { version: 2, files: { a: { ...entry("x"), size: -1 } } }],
  ])("rejects a shard with %s", (_, value) => {
    expect(() => parseShard(JSON.stringify(value))).toThrow();
  });
});

describe("parseStoredManifest", () => {
  it("reads a version 2 root", () => {
    expect(parseStoredManifest(serializeRoot(root))).toEqual({ version: 2, root });
  });

  it("reads a version 1 manifest (written by wspub before sharding) whole", () => {
    const v1 = {
      version: 1 as const,
      workspace: "www",
      commit: "c".repeat(40),
      committedAt: 1,
      files: { a: entry("a") },
    };
    expect(parseStoredManifest(serializeManifest(v1))).toEqual({ version: 1, manifest: v1 });
  });

  it.each([
    ["three shards", { ...root, shards: ["0".repeat(32), "1".repeat(32), "2".repeat(32)] }],
    ["no shards", { ...root, shards: [] }],
    ["a shard name that is not a digest", { ...root, shards: ["../../x"] }],
    ["no filter", { ...root, filter: undefined }],
    ["an unknown ignore kind", { ...root, ignore: [{ path: "x", blob: "b", kind: "npmignore" }] }],
    ["a negative file count", { ...root, files: -1 }],
    ["version 3", { ...root, version: 3 }],
  ])("rejects a root with %s", (_, value) => {
    expect(() => parseStoredManifest(JSON.stringify(value))).toThrow();
  });
});

describe("parseDiffTree", () => {
  it("parses added, modified, deleted and type-changed paths, with any characters in names", () => {
    const z = "\0";
    const out =
      `:000000 100644 ${"0".repeat(40)} ${"a".repeat(40)} A${z}new file.txt${z}` +
      `:100644 100755 ${"b".repeat(40)} ${"b".repeat(40)} M${z}dir/ünï.sh${z}` +
      `:100644 000000 ${"c".repeat(40)} ${"0".repeat(40)} D${z}gone${z}` +
      `:100644 120000 ${"d".repeat(40)} ${"e".repeat(40)} T${z}x${z}`;
    expect(parseDiffTree(out)).toEqual([
      {
        path: "new file.txt",
        oldMode: "000000",
        newMode: "100644",
        oldOid: "0".repeat(40),
        newOid: "a".repeat(40),
        status: "A",
      },
      {
        path: "dir/ünï.sh",
        oldMode: "100644",
        newMode: "100755",
        oldOid: "b".repeat(40),
        newOid: "b".repeat(40),
        status: "M",
      },
      {
        path: "gone",
        oldMode: "100644",
        newMode: "000000",
        oldOid: "c".repeat(40),
        newOid: "0".repeat(40),
        status: "D",
      },
      { path: "x", oldMode: "100644", newMode: "120000", oldOid: "d".repeat(40), newOid: "e".repeat(40), status: "T" },
    ]);
    expect(parseDiffTree("")).toEqual([]);
  });

  it("rejects output it does not understand", () => {
    expect(() => parseDiffTree("100644 blob abc\tpath\0")).toThrow(/unexpected diff-tree record/);
  });
});
