// wspub needs Node.js 22 or later, and says so in one line on an older one (the machine's Node 20).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeTooOld } from "../../bin/node-version.js";

const ROOT = join(import.meta.dirname, "..", "..");
const SYSTEM_NODE = "/usr/bin/node";
const systemNodeIsOld =
  existsSync(SYSTEM_NODE) && nodeTooOld(spawnSync(SYSTEM_NODE, ["--version"], { encoding: "utf8" }).stdout.trim());

describe("the Node.js version", () => {
  it("22 and later are accepted; 20 and 18 are told, in one line, what to do", () => {
    expect(nodeTooOld("v22.0.0")).toBeUndefined();
    expect(nodeTooOld("v24.11.1")).toBeUndefined();
    expect(nodeTooOld("v20.20.2")).toBe(
      "wspub: error: wspub needs Node.js 22 or later, and this is Node v20.20.2: install a current Node.js " +
        "(https://nodejs.org), or use the Docker image or the GitHub Action, which bring their own.",
    );
    expect(nodeTooOld("v18.0.0")).toMatch(/this is Node v18.0.0/);
  });

  // The machine CI runs on has Node 20 as /usr/bin/node (npm test runs Node 24 from devDependencies).
  it.skipIf(!systemNodeIsOld)("bin/wspub.js on an old Node: that one line, exit 2, nothing else", () => {
    const r = spawnSync(SYSTEM_NODE, [join(ROOT, "bin", "wspub.js"), "push"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^wspub: error: wspub needs Node.js 22 or later, and this is Node v20\./);
    const json = spawnSync(SYSTEM_NODE, [join(ROOT, "bin", "wspub.js"), "push", "--json"], { encoding: "utf8" });
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { exitCode: 2, code: "usage" } });
    expect(JSON.parse(json.stdout).error.message).toMatch(/^wspub needs Node.js 22 or later/);
  });
});
