import { homedir } from "node:os";
import { describe, expect, it } from "vitest";
import { resolveStoreSettings, type StoreFlags, type StoreSettings } from "../../src/config/settings.js";
import { CONCURRENCY } from "../../src/limits.js";
import type { Config } from "../../src/config/schema.js";
import { WspubError } from "../../src/errors.js";

const paths = { cwd: "/work/repo/sub", repoRoot: "/work/repo" };
const DATA = "/xdg/data"; // keeps the default store independent of the machine
const resolve = (flags: StoreFlags, env: NodeJS.ProcessEnv, config: Config) =>
  resolveStoreSettings(flags, { XDG_DATA_HOME: DATA, ...env }, config, paths);

/** The endpoint and region an S3 target carries. */
function connection(s: StoreSettings): { endpoint: string | undefined; region: string | undefined } {
  if (s.target.kind !== "s3") throw new Error("expected an S3 target");
  return s.target;
}

function usageFailure(fn: () => unknown): WspubError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WspubError);
    expect((e as WspubError).code).toBe("usage");
    return e as WspubError;
  }
  throw new Error("expected a usage error, got none");
}

describe("resolveStoreSettings: defaults", () => {
  it("nothing configured: the embedded local store, no endpoint, no region, concurrency 16", () => {
    expect(resolve({}, {}, {})).toEqual({
      target: { kind: "dir", root: `${DATA}/wspub/store`, prefix: "", url: `${DATA}/wspub/store` },
      concurrency: 16,
      layout: "rclone",
      isDefault: true,
    });
    expect(CONCURRENCY.default).toBe(16);
  });

  it("the default store follows XDG_DATA_HOME, else ~/.local/share", () => {
    const t = resolveStoreSettings({}, {}, {}, paths).target;
    expect(t).toEqual({
      kind: "dir",
      root: `${homedir()}/.local/share/wspub/store`,
      prefix: "",
      url: `${homedir()}/.local/share/wspub/store`,
    });
  });
});

describe("resolveStoreSettings: target (flags > WSPUB_TARGET > config > default)", () => {
  it.each<[string, StoreFlags, NodeJS.ProcessEnv, Config, string, boolean]>([
    ["flag wins", { target: "s3://flag" }, { WSPUB_TARGET: "s3://env" }, { target: "s3://config" }, "s3://flag", false],
    ["env beats config", {}, { WSPUB_TARGET: "s3://env/p" }, { target: "s3://config" }, "s3://env/p", false],
    ["config", {}, {}, { target: "s3://config/sites/" }, "s3://config/sites", false],
    ["empty flag falls through to env", { target: "" }, { WSPUB_TARGET: "s3://env" }, {}, "s3://env", false],
    ["empty env falls through to config", {}, { WSPUB_TARGET: "" }, { target: "s3://config" }, "s3://config", false],
    ["relative flag path: relative to the cwd", { target: "out" }, {}, {}, "/work/repo/sub/out", false],
    ["relative WSPUB_TARGET: relative to the cwd", {}, { WSPUB_TARGET: "../env-out" }, {}, "/work/repo/env-out", false],
    ["relative config path: relative to the repository", {}, {}, { target: "store" }, "/work/repo/store", false],
    ["file:// in config", {}, {}, { target: "file:///srv/store" }, "/srv/store", false],
    ["nothing: default", {}, {}, {}, `${DATA}/wspub/store`, true],
  ])("%s", (_, flags, env, config, url, isDefault) => {
    const s = resolve(flags, env, config);
    expect(s.target.url).toBe(url);
    expect(s.isDefault).toBe(isDefault);
  });

  it("the layout: flag > WSPUB_LAYOUT > config > rclone; an unknown one, or s3fs for a directory, is a usage error", () => {
    const s3 = { target: "s3://bucket" };
    expect(resolve(s3, {}, {}).layout).toBe("rclone");
    expect(resolve(s3, {}, { layout: "s3fs" }).layout).toBe("s3fs");
    expect(resolve(s3, { WSPUB_LAYOUT: "s3fs" }, { layout: "rclone" }).layout).toBe("s3fs");
    expect(resolve({ ...s3, layout: "rclone" }, { WSPUB_LAYOUT: "s3fs" }, {}).layout).toBe("rclone");
    expect(() => resolve(s3, { WSPUB_LAYOUT: "goofys" }, {})).toThrow(/invalid layout "goofys": give rclone or s3fs/);
    expect(() => resolve({ target: "/tmp/x" }, { WSPUB_LAYOUT: "s3fs" }, {})).toThrow(
      /s3fs layout is for an S3 bucket/,
    );
  });

  it("a bad target in any source is a usage error", () => {
    usageFailure(() => resolve({ target: "http://x" }, {}, {}));
    usageFailure(() => resolve({}, { WSPUB_TARGET: "s3://bucket/../x" }, {}));
    usageFailure(() => resolve({}, {}, { target: "s3://" }));
  });
});

describe("resolveStoreSettings: endpoint and region", () => {
  it.each<[string, StoreFlags, NodeJS.ProcessEnv, Config, string | undefined]>([
    [
      "flag beats everything",
      { endpoint: "http://flag:1" },
      { AWS_ENDPOINT_URL_S3: "http://s3env:2", AWS_ENDPOINT_URL: "http://env:3" },
      { endpoint: "http://config:4" },
      "http://flag:1",
    ],
    [
      "AWS_ENDPOINT_URL_S3 beats AWS_ENDPOINT_URL",
      {},
      { AWS_ENDPOINT_URL_S3: "http://s3env:2", AWS_ENDPOINT_URL: "http://env:3" },
      { endpoint: "http://config:4" },
      "http://s3env:2",
    ],
    [
      "AWS_ENDPOINT_URL beats config",
      {},
      { AWS_ENDPOINT_URL: "http://env:3" },
      { endpoint: "http://config:4" },
      "http://env:3",
    ],
    ["config", {}, {}, { endpoint: "https://config:4" }, "https://config:4"],
    [
      "empty values are unset",
      { endpoint: "" },
      { AWS_ENDPOINT_URL_S3: "", AWS_ENDPOINT_URL: "" },
      { endpoint: "http://config:4" },
      "http://config:4",
    ],
    ["none", {}, {}, {}, undefined],
  ])("endpoint: %s", (_, flags, env, config, endpoint) => {
    expect(connection(resolve({ target: "s3://bucket", ...flags }, env, config)).endpoint).toBe(endpoint);
  });

  it.each(["localhost:8333", "ftp://host", "http://", "s3://bucket", "//host"])(
    "endpoint %j is a usage error",
    (endpoint) => {
      expect(usageFailure(() => resolve({ endpoint }, {}, {})).message).toBe(
        `invalid endpoint ${JSON.stringify(endpoint)}: expected http(s)://host[:port]`,
      );
    },
  );

  it.each<[string, StoreFlags, NodeJS.ProcessEnv, Config, string | undefined]>([
    [
      "flag",
      { region: "eu-flag-1" },
      { AWS_REGION: "eu-env-1", AWS_DEFAULT_REGION: "eu-def-1" },
      { region: "eu-config-1" },
      "eu-flag-1",
    ],
    [
      "AWS_REGION beats AWS_DEFAULT_REGION",
      {},
      { AWS_REGION: "eu-env-1", AWS_DEFAULT_REGION: "eu-def-1" },
      { region: "eu-config-1" },
      "eu-env-1",
    ],
    ["AWS_DEFAULT_REGION beats config", {}, { AWS_DEFAULT_REGION: "eu-def-1" }, { region: "eu-config-1" }, "eu-def-1"],
    ["config", {}, {}, { region: "eu-config-1" }, "eu-config-1"],
    ["no region, no endpoint: left to the SDK", {}, {}, {}, undefined],
    ["no region, custom endpoint (flag): us-east-1", { endpoint: "http://127.0.0.1:8333" }, {}, {}, "us-east-1"],
    ["no region, custom endpoint (env): us-east-1", {}, { AWS_ENDPOINT_URL: "http://minio:9000" }, {}, "us-east-1"],
    ["no region, custom endpoint (config): us-east-1", {}, {}, { endpoint: "http://minio:9000" }, "us-east-1"],
    [
      "a region given with a custom endpoint is kept",
      {},
      { AWS_REGION: "garage" },
      { endpoint: "http://garage:3900" },
      "garage",
    ],
    ["empty AWS_REGION is unset", {}, { AWS_REGION: "", AWS_DEFAULT_REGION: "eu-def-1" }, {}, "eu-def-1"],
  ])("region: %s", (_, flags, env, config, region) => {
    expect(connection(resolve({ target: "s3://bucket", ...flags }, env, config)).region).toBe(region);
  });
});

describe("resolveStoreSettings: concurrency", () => {
  it.each<[string, StoreFlags, NodeJS.ProcessEnv, Config, number]>([
    ["flag", { concurrency: 4 }, { WSPUB_CONCURRENCY: "8" }, { concurrency: 12 }, 4],
    ["env", {}, { WSPUB_CONCURRENCY: "8" }, { concurrency: 12 }, 8],
    ["config", {}, {}, { concurrency: 12 }, 12],
    ["empty env is unset", {}, { WSPUB_CONCURRENCY: "" }, { concurrency: 12 }, 12],
    ["default", {}, {}, {}, 16],
    ["bounds: 1", { concurrency: 1 }, {}, {}, 1],
    ["bounds: 64", {}, { WSPUB_CONCURRENCY: "64" }, {}, 64],
  ])("%s", (_, flags, env, config, concurrency) => {
    expect(resolve(flags, env, config).concurrency).toBe(concurrency);
  });

  it.each<[StoreFlags, NodeJS.ProcessEnv]>([
    [{ concurrency: 0 }, {}],
    [{ concurrency: 65 }, {}],
    [{ concurrency: 1.5 }, {}],
    [{}, { WSPUB_CONCURRENCY: "abc" }],
    [{}, { WSPUB_CONCURRENCY: "0" }],
    [{}, { WSPUB_CONCURRENCY: "100" }],
  ])("%j %j is a usage error", (flags, env) => {
    expect(usageFailure(() => resolve(flags, env, {})).message).toMatch(
      /^invalid concurrency .*: give an integer from 1 to 64$/,
    );
  });
});
