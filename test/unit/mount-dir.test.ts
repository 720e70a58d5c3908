import { describe, expect, it } from "vitest";
import { forgetParams, normaliseRoot, workspaceDirInMount } from "../../src/notify/mount-dir.js";
import { displayUrl, splitCredentials } from "../../src/notify/url-credentials.js";

describe("workspaceDirInMount: <prefix>/<name> relative to the mounted path", () => {
  it.each<[string, string, string | undefined]>([
    ["myapp/", "", "myapp"],
    ["sites/myapp/", "", "sites/myapp"],
    ["sites/myapp/", "sites", "myapp"],
    ["a/b/myapp/", "a/b", "myapp"],
    ["sites/myapp/", "sites/myapp", ""],
    ["sites/myapp/", "other", undefined],
    ["sites/myapp/", "site", undefined],
    ["sites/myapp/", "sites/myapp/src", undefined],
    ["myapp/", "myap", undefined],
  ])("files under %j, mount root %j -> %j", (prefix, root, dir) => {
    expect(workspaceDirInMount(prefix, root)).toBe(dir);
  });
});

describe("normaliseRoot", () => {
  it.each<[string, string | undefined]>([
    ["", ""],
    ["/", ""],
    ["sites", "sites"],
    ["/sites/", "sites"],
    ["a/b", "a/b"],
    ["a//b", undefined],
    ["a/../b", undefined],
    ["./a", undefined],
  ])("%j -> %j", (root, out) => expect(normaliseRoot(root)).toBe(out));
});

describe("forgetParams: the workspace and every ancestor marked stale, nothing dropped", () => {
  it("a workspace at the mount's root: the workspace as a file (marks the root stale)", () => {
    expect(forgetParams("myapp")).toEqual({ file1: "myapp" });
  });
  it("under a prefix: each ancestor and the workspace as files, never as dir= (which drops cached nodes)", () => {
    expect(forgetParams("a/b/myapp")).toEqual({ file1: "a", file2: "a/b", file3: "a/b/myapp" });
  });
  it("the mount shows the workspace itself: nothing to forget", () => {
    expect(forgetParams("")).toEqual({});
  });
});

describe("splitCredentials / displayUrl: credentials never reach a message", () => {
  it("takes user info out of the URL", () => {
    expect(splitCredentials("http://wspub:s%40cret@rclone:5572/")).toEqual({
      url: "http://rclone:5572",
      display: "http://rclone:5572",
      user: "wspub",
      pass: "s@cret",
    });
  });
  it("keeps a base path (--rc-baseurl), drops query and fragment", () => {
    expect(splitCredentials("https://host/rc/?token=x#f")).toEqual({
      url: "https://host/rc",
      display: "https://host/rc",
      user: undefined,
      pass: undefined,
    });
    expect(displayUrl("https://u:p@host/hook?token=x")).toBe("https://host/hook");
  });
  it("rejects what is not an http(s) URL", () => {
    expect(splitCredentials("rclone:5572")).toBeUndefined();
    expect(splitCredentials("ftp://h/")).toBeUndefined();
    expect(splitCredentials("not a url")).toBeUndefined();
    expect(displayUrl("x")).toBe("(invalid URL)");
  });
});
