import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { WspubError } from "../../src/errors.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wspub-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: unknown) =>
  writeFileSync(join(dir, name), typeof content === "string" ? content : JSON.stringify(content, null, 2));

async function configFailure(): Promise<WspubError> {
  const error = await loadConfig(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WspubError);
  expect((error as WspubError).code).toBe("config");
  expect((error as WspubError).exitCode).toBe(2);
  return error as WspubError;
}

const full = {
  $schema: "https://example.com/wspub.schema.json",
  target: "s3://bucket/sites",
  endpoint: "http://127.0.0.1:8333",
  region: "eu-west-1",
  concurrency: 8,
  exclude: ["*.bak", "docs/internal/"],
  workspaces: { www: "apps/www", api: "services/api", root: "." },
};

describe("loadConfig: where the config comes from", () => {
  it("no config anywhere: empty config, no file, no warnings", async () => {
    expect(await loadConfig(dir)).toEqual({ config: {}, file: undefined, warnings: [] });
  });

  it("wspub.config.json", async () => {
    write("wspub.config.json", full);
    expect(await loadConfig(dir)).toEqual({ config: full, file: join(dir, "wspub.config.json"), warnings: [] });
  });

  it('the "wspub" key of package.json', async () => {
    write("package.json", { name: "x", version: "1.0.0", wspub: { target: "s3://b", exclude: ["*.tmp"] } });
    expect(await loadConfig(dir)).toEqual({
      config: { target: "s3://b", exclude: ["*.tmp"] },
      file: `${join(dir, "package.json")} ("wspub" key)`,
      warnings: [],
    });
  });

  it('package.json without a "wspub" key: no config', async () => {
    write("package.json", { name: "x" });
    expect(await loadConfig(dir)).toEqual({ config: {}, file: undefined, warnings: [] });
  });

  it("wspub.config.json wins over package.json, with a warning", async () => {
    write("wspub.config.json", { target: "s3://own" });
    write("package.json", { name: "x", wspub: { target: "s3://pkg" } });
    expect(await loadConfig(dir)).toEqual({
      config: { target: "s3://own" },
      file: join(dir, "wspub.config.json"),
      warnings: [
        `${join(dir, "package.json")}: the "wspub" key is ignored because ${join(dir, "wspub.config.json")} exists`,
      ],
    });
  });

  it("an empty object is a valid config", async () => {
    write("wspub.config.json", "{}");
    expect(await loadConfig(dir)).toEqual({ config: {}, file: join(dir, "wspub.config.json"), warnings: [] });
  });
});

describe("loadConfig: errors name the file and the field", () => {
  it("invalid JSON in wspub.config.json", async () => {
    write("wspub.config.json", '{ "target": "s3://b", }');
    const e = await configFailure();
    expect(e.message.startsWith(`${join(dir, "wspub.config.json")}: not valid JSON: `)).toBe(true);
  });

  it.each<[string, unknown, string]>([
    ["concurrency", { concurrency: "8" }, "concurrency"],
    ["concurrency", { concurrency: 0 }, "concurrency"],
    ["concurrency", { concurrency: 65 }, "concurrency"],
    ["concurrency", { concurrency: 2.5 }, "concurrency"],
    ["target", { target: 5 }, "target"],
    ["target", { target: "" }, "target"],
    ["endpoint", { endpoint: "ftp://host" }, "endpoint"],
    ["endpoint", { endpoint: "not a url" }, "endpoint"],
    ["region", { region: ["eu"] }, "region"],
    ["exclude", { exclude: "*.bak" }, "exclude"],
    ["exclude item", { exclude: ["ok", 3] }, "exclude.1"],
    ["workspaces", { workspaces: ["apps/www"] }, "workspaces"],
    ["workspace path", { workspaces: { www: 5 } }, "workspaces.www"],
    ["workspace path", { workspaces: { www: "" } }, "workspaces.www"],
  ])("wrong type for %s in wspub.config.json", async (_, content, field) => {
    write("wspub.config.json", content);
    const e = await configFailure();
    expect(e.message.startsWith(`${join(dir, "wspub.config.json")}: ${field}: `)).toBe(true);
  });

  it('wrong type in package.json\'s "wspub" key names package.json and the field', async () => {
    write("package.json", { name: "x", wspub: { concurrency: "many" } });
    const e = await configFailure();
    expect(e.message.startsWith(`${join(dir, "package.json")} ("wspub" key): concurrency: `)).toBe(true);
  });

  it("the top level must be an object", async () => {
    write("wspub.config.json", "[]");
    const e = await configFailure();
    expect(e.message.startsWith(`${join(dir, "wspub.config.json")}: (top level): `)).toBe(true);
  });

  it("an unknown field is an error that names it", async () => {
    write("wspub.config.json", { target: "s3://b", targt: "s3://typo" });
    const e = await configFailure();
    expect(e.message.startsWith(`${join(dir, "wspub.config.json")}: `)).toBe(true);
    expect(e.message).toContain('"targt"');
  });

  it.each(["../outside", "apps/../../outside", "/abs/path", "..", "a/../.."])(
    "workspace path %j outside the repository",
    async (path) => {
      write("wspub.config.json", { workspaces: { www: path } });
      const e = await configFailure();
      expect(e.message).toBe(
        `${join(dir, "wspub.config.json")}: workspaces.www: ${JSON.stringify(path)} must be a path inside the repository, relative to its root`,
      );
    },
  );

  it.each(["apps/../www", "apps/www/", "./apps/www", "..apps/www", "apps/..www"])(
    "workspace path %j inside the repository is accepted",
    async (path) => {
      write("wspub.config.json", { workspaces: { www: path } });
      expect((await loadConfig(dir)).config).toEqual({ workspaces: { www: path } });
    },
  );

  it("an invalid workspace name names the field and the file", async () => {
    write("wspub.config.json", { workspaces: { ".hidden": "apps/www" } });
    const e = await configFailure();
    expect(
      e.message.startsWith(`${join(dir, "wspub.config.json")}: workspaces..hidden: invalid workspace name ".hidden"`),
    ).toBe(true);
  });

  it("an unreadable config (a directory) is a config error naming it", async () => {
    mkdirSync(join(dir, "wspub.config.json"));
    const e = await configFailure();
    expect(e.message.startsWith(`${join(dir, "wspub.config.json")}: cannot read: `)).toBe(true);
  });
});
