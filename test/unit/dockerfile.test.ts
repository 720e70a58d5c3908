import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Script } from "node:vm";
import { describe, expect, it } from "vitest";
import { finalStage, imageCommand, readDockerfile } from "../harness/dockerfile.js";

/**
 * The Dockerfile, checked without a Docker engine: its stages and what the image holds. The
 * image's command itself runs in test/e2e/watch.test.ts, from the same file layout.
 */
const root = resolve(import.meta.dirname, "../..");
const instructions = readDockerfile();

describe("Dockerfile", () => {
  it("builds on Node 24 slim and runs from a second stage that has only git (and git-lfs), the bundle and its entry", () => {
    const froms = instructions.filter((x) => x.keyword === "FROM").map((x) => x.args);
    expect(froms).toEqual(["node:24-slim AS build", "node:24-slim"]);
    const stage = finalStage(instructions);
    const run = stage
      .filter((x) => x.keyword === "RUN")
      .map((x) => x.args)
      .join("\n");
    expect(run).toMatch(/apt-get install -y --no-install-recommends git git-lfs ca-certificates/);
    expect(run).toMatch(/git config --system --add safe.directory '\*'/);
    expect(stage.find((x) => x.keyword === "USER")?.args).toBe("node");
    // The service's memory setting (bench/README.md, the watch soak).
    expect(stage.filter((x) => x.keyword === "ENV").map((x) => x.args)).toContain(
      "NODE_OPTIONS=--max-semi-space-size=2",
    );
    const { copies, argv } = imageCommand();
    expect(copies.map((c) => c.from).sort()).toEqual(
      ["/src/bin", "/src/lib/bundle", "/src/package.json"].map((p) => p.replace("/src/", "")).sort(),
    );
    expect(argv).toEqual(["node", "/opt/wspub/bin/wspub.js", "watch", "/workspaces", "--listen", ":9464"]);
  });

  it("every RUN is valid sh", () => {
    for (const x of instructions.filter((i) => i.keyword === "RUN")) {
      expect(spawnSync("sh", ["-n", "-c", x.args], { encoding: "utf8" }).status, `line ${x.line}`).toBe(0);
    }
  });

  it("the healthcheck asks /healthz on the port the command listens on", () => {
    const hc = finalStage(instructions).find((x) => x.keyword === "HEALTHCHECK")!.args;
    expect(hc).toContain("http://127.0.0.1:9464/healthz");
    const exec = JSON.parse(hc.slice(hc.indexOf("CMD ") + 4)) as string[];
    expect(exec.slice(0, 2)).toEqual(["node", "-e"]);
    expect(() => new Script(exec[2]!)).not.toThrow();
  });

  it("the build context leaves out what the build makes or does not need", () => {
    const ignored = readFileSync(join(root, ".dockerignore"), "utf8").split("\n");
    expect(ignored).toEqual(expect.arrayContaining(["node_modules", ".tools", "lib", ".git"]));
    // What the final stage copies exists once `npm ci` has built the package.
    for (const { from } of imageCommand().copies) expect(existsSync(join(root, from)), from).toBe(true);
  });
});
