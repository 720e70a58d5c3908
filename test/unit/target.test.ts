import { homedir } from "node:os";
import { describe, expect, it } from "vitest";
import { defaultStoreDir, parseTarget } from "../../src/store/target.js";
import { WspubError } from "../../src/errors.js";

const CWD = "/home/dev/repo/sub";

function usageFailure(fn: () => unknown): WspubError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WspubError);
    expect((e as WspubError).code).toBe("usage");
    expect((e as WspubError).exitCode).toBe(2);
    return e as WspubError;
  }
  throw new Error("expected a usage error, got none");
}

describe("parseTarget: s3", () => {
  it.each([
    ["s3://bucket", { kind: "s3", bucket: "bucket", prefix: "", url: "s3://bucket" }],
    ["s3://bucket/", { kind: "s3", bucket: "bucket", prefix: "", url: "s3://bucket" }],
    ["s3://bucket//", { kind: "s3", bucket: "bucket", prefix: "", url: "s3://bucket" }],
    ["s3://bucket/sites", { kind: "s3", bucket: "bucket", prefix: "sites", url: "s3://bucket/sites" }],
    ["s3://bucket/sites/", { kind: "s3", bucket: "bucket", prefix: "sites", url: "s3://bucket/sites" }],
    ["s3://bucket/a/b/c", { kind: "s3", bucket: "bucket", prefix: "a/b/c", url: "s3://bucket/a/b/c" }],
    ["s3://bucket//a/b//", { kind: "s3", bucket: "bucket", prefix: "a/b", url: "s3://bucket/a/b" }],
    ["s3://my.bucket-01/p", { kind: "s3", bucket: "my.bucket-01", prefix: "p", url: "s3://my.bucket-01/p" }],
    [
      "s3://bucket/with space/ünï",
      { kind: "s3", bucket: "bucket", prefix: "with space/ünï", url: "s3://bucket/with space/ünï" },
    ],
    ["s3://bucket/..x/x..", { kind: "s3", bucket: "bucket", prefix: "..x/x..", url: "s3://bucket/..x/x.." }],
  ])("%s", (text, expected) => {
    expect(parseTarget(text, CWD)).toEqual(expected);
  });

  it.each(["s3://", "s3:///prefix", "s3://a", "s3://-bucket/x", "s3://bu cket", "s3://bucket!/x", "s3://.bucket"])(
    "bad bucket %j",
    (text) => {
      expect(usageFailure(() => parseTarget(text, CWD)).message).toContain(
        `invalid target ${JSON.stringify(text)}: expected s3://bucket[/prefix]`,
      );
    },
  );

  it.each([
    "s3://bucket/..",
    "s3://bucket/../x",
    "s3://bucket/a/../b",
    "s3://bucket/a/./b",
    "s3://bucket/.",
    "s3://bucket/a//b",
  ])("bad prefix %j", (text) => {
    expect(usageFailure(() => parseTarget(text, CWD)).message).toContain(
      "the prefix must not contain empty, '.' or '..' segments",
    );
  });
});

describe("parseTarget: directories", () => {
  it.each([
    ["file:///srv/store", "/srv/store"],
    ["file:///srv/with%20space", "/srv/with space"],
    ["file://localhost/srv/x", "/srv/x"],
    ["/abs/store", "/abs/store"],
    ["/abs/store/", "/abs/store"],
    ["store", "/home/dev/repo/sub/store"],
    ["./store", "/home/dev/repo/sub/store"],
    ["../out", "/home/dev/repo/out"],
    ["a/../b", "/home/dev/repo/sub/b"],
    [".", "/home/dev/repo/sub"],
    ["s3-looking-dir", "/home/dev/repo/sub/s3-looking-dir"],
  ])("%s -> %s", (text, root) => {
    expect(parseTarget(text, CWD)).toEqual({ kind: "dir", root, prefix: "", url: root });
  });

  it("file:// with a remote host is a usage error", () => {
    expect(usageFailure(() => parseTarget("file://server/share", CWD)).message).toContain(
      'invalid target "file://server/share"',
    );
  });
});

describe("parseTarget: other schemes", () => {
  it.each([
    "http://example.com/bucket",
    "https://s3.amazonaws.com/bucket",
    "gs://bucket",
    "S3://bucket",
    "ftp://x/y",
    "s3a://bucket",
  ])("%s is rejected", (text) => {
    expect(usageFailure(() => parseTarget(text, CWD)).message).toBe(
      `unsupported target ${JSON.stringify(text)}: use s3://bucket[/prefix], file:///abs/dir or a directory path`,
    );
  });
});

describe("defaultStoreDir", () => {
  it.each([
    [{ XDG_DATA_HOME: "/xdg/data" }, "/xdg/data/wspub/store"],
    [{ XDG_DATA_HOME: "relative/data" }, `${homedir()}/.local/share/wspub/store`],
    [{ XDG_DATA_HOME: "" }, `${homedir()}/.local/share/wspub/store`],
    [{}, `${homedir()}/.local/share/wspub/store`],
  ])("%j -> %s", (env, expected) => {
    expect(defaultStoreDir(env)).toBe(expected);
  });
});
