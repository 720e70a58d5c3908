import { describe, expect, it } from "vitest";
import { MAX_KEY_BYTES } from "../../src/limits.js";
import {
  keyTooLong,
  Layout,
  objectNameTwin,
  validateWorkspaceName,
  workspacesMetaRoot,
} from "../../src/store/layout.js";
import { layoutOf, testTarget } from "../harness/layout.js";
import { WspubError } from "../../src/errors.js";

describe("Layout", () => {
  it.each([
    { prefix: "", ws: "www", files: "www/", meta: ".wspub/www/" },
    { prefix: "sites", ws: "www", files: "sites/www/", meta: "sites/.wspub/www/" },
    { prefix: "a/b/c", ws: "api_v2", files: "a/b/c/api_v2/", meta: "a/b/c/.wspub/api_v2/" },
  ])("prefix $prefix, workspace $ws", ({ prefix, ws, files, meta }) => {
    const layout = layoutOf(ws, prefix);
    expect(layout.filesPrefix).toBe(files);
    expect(layout.metaPrefix).toBe(meta);
    expect(layout.objectKey("src/index.ts")).toBe(`${files}src/index.ts`);
    expect(layout.objectKey("link.rclonelink")).toBe(`${files}link.rclonelink`);
    expect(layout.pointerKey).toBe(`${meta}live.json`);
    expect(layout.manifestKey("abc123", "0011223344556677")).toBe(`${meta}manifests/abc123-0011223344556677.json`);
    expect(layout.nameOf(`${files}docs/a b.md`)).toBe("docs/a b.md");
    expect(layout.nameOf(layout.objectKey("x/y"))).toBe("x/y");
    expect(layout.lockKey).toBe(`${meta}lock.json`);
    expect(layout.journalKey).toBe(`${meta}journal.json`);
    expect(layout.capabilitiesKey).toBe(`${meta}capabilities.json`);
    expect(layout.probeKey("id")).toBe(`${meta}probe-id.json`);
    expect(layout.shardKey("ab")).toBe(`${meta}manifests/shards/ab.json`);
    expect(workspacesMetaRoot(testTarget(prefix))).toBe(`${prefix === "" ? "" : `${prefix}/`}.wspub/`);
    expect(layout.location).toBe(`${testTarget(prefix).url}/${ws}/`);
  });

  it("names the object-name twin of a symlink or of a file named like a link object", () => {
    expect(objectNameTwin("x", "120000")).toBe("x.rclonelink");
    expect(objectNameTwin("x.rclonelink", "100644")).toBe("x");
    expect(objectNameTwin("x", "100644")).toBeUndefined();
  });

  it("the metadata of a workspace never lies under its files prefix", () => {
    const layout = layoutOf("www", "p");
    expect(layout.pointerKey.startsWith(layout.filesPrefix)).toBe(false);
    expect(layout.manifestKey("c", "d").startsWith(layout.filesPrefix)).toBe(false);
  });
});

describe("workspace names that would be another's link", () => {
  it("are refused: `app.rclonelink` is the link of workspace `app`", () => {
    expect(() => validateWorkspaceName("app.rclonelink")).toThrow(/nor ending in \.rclonelink/);
    expect(validateWorkspaceName("app.rclone")).toBe("app.rclone");
  });
});

describe("Layout of an atomic workspace", () => {
  it("keeps each slot's files and records apart from the workspace's, and the link beside the workspace", () => {
    const l = layoutOf("app", "prod");
    expect(l.linkKey).toBe("prod/app.rclonelink");
    expect(l.linkBody("b")).toBe(".wspub-slots/app/b");
    expect(l.slot("a").filesPrefix).toBe("prod/.wspub-slots/app/a/");
    expect(l.slot("a").pointerKey).toBe("prod/.wspub/app/slots/a/live.json");
    expect(l.slotPrefixes).toEqual(["prod/.wspub-slots/app/", "prod/.wspub/app/slots/"]);
    const s3fs = new Layout(testTarget("prod"), "app", "s3fs");
    expect([s3fs.linkKey, s3fs.slot("b").linkKey, s3fs.slot("b").style]).toEqual(["prod/app", "prod/app", "s3fs"]);
    expect(l.linkKeys).toEqual(["prod/app.rclonelink", "prod/app"]);
    expect(s3fs.slotMarkerKeys).toEqual(["prod/.wspub-slots/", "prod/.wspub-slots/app/"]);
    expect([l.slotOfLink(".wspub-slots/app/a"), l.slotOfLink(".wspub-slots/apple/a"), l.slotOfLink("x")]).toEqual([
      "a",
      undefined,
      undefined,
    ]);
  });
});

describe("validateWorkspaceName", () => {
  it.each(["www", "api", "A", "a1", "_private", "my-site", "my.site", "v1.2.3", "x".repeat(200), "0", "a..b"])(
    "accepts %j",
    (name) => {
      expect(validateWorkspaceName(name)).toBe(name);
    },
  );

  it.each([
    "",
    ".",
    "..",
    ".hidden",
    "-dash",
    "a/b",
    "a\\b",
    "a b",
    "ünï",
    "x".repeat(201),
    "a\n",
    "www/",
    "/www",
    ".wspub",
    "a:b",
    "a*",
  ])("rejects %j with a usage error naming it", (name) => {
    let error: unknown;
    try {
      validateWorkspaceName(name);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WspubError);
    expect((error as WspubError).code).toBe("usage");
    expect((error as WspubError).exitCode).toBe(2);
    expect((error as WspubError).message).toContain(`invalid workspace name ${JSON.stringify(name)}`);
  });
});

describe("keyTooLong", () => {
  it("the limit is S3's 1024 bytes", () => {
    expect(MAX_KEY_BYTES).toBe(1024);
  });

  it.each([
    ["", false],
    ["a".repeat(1024), false],
    ["a".repeat(1025), true],
    ["é".repeat(512), false], // 2 bytes each: 1024
    [`${"é".repeat(512)}a`, true],
    [`${"€".repeat(341)}a`, false], // 3 bytes each: 1023 + 1
    ["€".repeat(342), true], // 1026
    ["😀".repeat(256), false], // 4 bytes each: 1024 (2 UTF-16 units each)
    [`${"😀".repeat(256)}a`, true],
  ])("%#: %j... -> %s", (key, expected) => {
    expect(keyTooLong(key)).toBe(expected);
  });
});
