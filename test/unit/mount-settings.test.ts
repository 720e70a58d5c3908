import { describe, expect, it } from "vitest";
import type { Config } from "../../src/config/schema.js";
import { configSchema } from "../../src/config/schema.js";
import { WspubError } from "../../src/errors.js";
import { DEFAULT_ATTR_TIMEOUT_MS } from "../../src/limits.js";
import { resolveNotifySettings, type NotifyFlags } from "../../src/notify/notify-settings.js";

const resolve = (flags: NotifyFlags, env: NodeJS.ProcessEnv, config: Config) =>
  resolveNotifySettings(flags, env, config);

describe("resolveNotifySettings: mounts (flags > WSPUB_MOUNT_RC > config)", () => {
  const config: Config = {
    mounts: [{ url: "http://config:5572", root: "sites", attrTimeoutMs: 2000, user: "cu", passEnv: "RC_SECRET" }],
  };

  it("nothing configured: nothing to notify", () => {
    expect(resolve({}, {}, {})).toEqual({ mounts: [], webhook: undefined, warnings: [] });
  });

  it("the config's mounts, with the password from the variable passEnv names", () => {
    expect(resolve({}, { RC_SECRET: "s3cret" }, config).mounts).toEqual([
      {
        url: "http://config:5572",
        display: "http://config:5572",
        user: "cu",
        pass: "s3cret",
        fs: undefined,
        root: "sites",
        attrTimeoutMs: 2000,
      },
    ]);
  });

  it("WSPUB_MOUNT_RC (comma or space separated) replaces the config; credentials from WSPUB_MOUNT_RC_USER/PASS", () => {
    const s = resolve(
      {},
      { WSPUB_MOUNT_RC: "http://a:5572, http://b:5572", WSPUB_MOUNT_RC_USER: "eu", WSPUB_MOUNT_RC_PASS: "ep" },
      config,
    );
    expect(s.mounts.map((m) => [m.url, m.user, m.pass, m.root, m.attrTimeoutMs])).toEqual([
      ["http://a:5572", "eu", "ep", "", DEFAULT_ATTR_TIMEOUT_MS],
      ["http://b:5572", "eu", "ep", "", DEFAULT_ATTR_TIMEOUT_MS],
    ]);
  });

  it("--mount-rc replaces both; user info in the URL wins and is not shown", () => {
    const s = resolve(
      { mountRc: ["http://fu:fp@flag:5572/"] },
      { WSPUB_MOUNT_RC: "http://env:5572", WSPUB_MOUNT_RC_PASS: "ep" },
      config,
    );
    expect(s.mounts).toHaveLength(1);
    expect(s.mounts[0]).toMatchObject({ url: "http://flag:5572", display: "http://flag:5572", user: "fu", pass: "fp" });
  });

  it("--no-notify and WSPUB_NO_NOTIFY=1 turn everything off", () => {
    const full: Config = { ...config, webhook: "http://hook/" };
    expect(resolve({ notify: false, mountRc: ["http://x:1"] }, {}, full)).toEqual({
      mounts: [],
      webhook: undefined,
      warnings: [],
    });
    expect(resolve({}, { WSPUB_NO_NOTIFY: "1" }, full)).toEqual({ mounts: [], webhook: undefined, warnings: [] });
    expect(resolve({}, { WSPUB_NO_NOTIFY: "0" }, full).mounts).toHaveLength(1);
  });

  it("a password in the config works but is warned about; an unset passEnv is warned about", () => {
    const s = resolve(
      {},
      {},
      {
        mounts: [
          { url: "http://x:1", pass: "committed" },
          { url: "http://y:1", passEnv: "UNSET_VAR" },
        ],
      },
    );
    expect(s.mounts.map((m) => m.pass)).toEqual(["committed", undefined]);
    expect(s.warnings).toHaveLength(2);
    expect(s.warnings[0]).toMatch(/mounts\[0\]\.pass: .*committed.*passEnv.*WSPUB_MOUNT_RC_PASS/);
    expect(s.warnings[0]).not.toContain('committed"');
    expect(s.warnings[1]).toBe("mounts[1].passEnv: UNSET_VAR is not set");
  });

  it("a bad URL or root is a usage error that names its source", () => {
    const fails = (fn: () => unknown, message: RegExp) => {
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(WspubError);
      expect((error as WspubError).exitCode).toBe(2);
      expect((error as WspubError).message).toMatch(message);
    };
    fails(() => resolve({ mountRc: ["rclone:5572"] }, {}, {}), /invalid --mount-rc URL "rclone:5572"/);
    fails(() => resolve({}, { WSPUB_MOUNT_RC: "ftp://x" }, {}), /invalid WSPUB_MOUNT_RC URL/);
    fails(() => resolve({}, {}, { mounts: [{ url: "http://x:1", root: "a/../b" }] }), /invalid mounts\[0\]\.root/);
    fails(() => resolve({ webhook: "nope" }, {}, {}), /invalid webhook URL/);
  });
});

describe("resolveNotifySettings: webhook (flag > WSPUB_WEBHOOK_URL > config)", () => {
  it("precedence", () => {
    expect(
      resolve({ webhook: "http://flag/h" }, { WSPUB_WEBHOOK_URL: "http://env/h" }, { webhook: "http://config/h" })
        .webhook?.url,
    ).toBe("http://flag/h");
    expect(resolve({}, { WSPUB_WEBHOOK_URL: "http://env/h" }, { webhook: "http://config/h" }).webhook?.url).toBe(
      "http://env/h",
    );
    expect(resolve({}, {}, { webhook: "http://config/h" }).webhook?.url).toBe("http://config/h");
  });
  it("WSPUB_WEBHOOK_TOKEN becomes a bearer token; user info becomes basic auth; the query is sent but not shown", () => {
    const bearer = resolve({ webhook: "https://hook.example/in?key=k" }, { WSPUB_WEBHOOK_TOKEN: "tok" }, {}).webhook!;
    expect(bearer).toEqual({
      url: "https://hook.example/in?key=k",
      display: "https://hook.example/in",
      headers: { "content-type": "application/json", authorization: "Bearer tok" },
    });
    const basic = resolve({ webhook: "http://u:p@hook/" }, {}, {}).webhook!;
    expect(basic.headers["authorization"]).toBe(`Basic ${Buffer.from("u:p").toString("base64")}`);
    expect(basic.display).toBe("http://hook");
  });
});

describe("config: mounts and webhook fields", () => {
  it("accepts a full mount entry and rejects unknown or wrong fields", () => {
    expect(
      configSchema.safeParse({
        mounts: [
          {
            url: "http://rclone:5572",
            user: "wspub",
            passEnv: "RC_PASS",
            root: "",
            fs: "minio:workspaces",
            attrTimeoutMs: 1000,
          },
        ],
        webhook: "https://h/x",
      }).success,
    ).toBe(true);
    expect(configSchema.safeParse({ mounts: [{ url: "rclone:5572" }] }).success).toBe(false);
    expect(configSchema.safeParse({ mounts: [{ url: "http://x:1", password: "p" }] }).success).toBe(false);
    expect(configSchema.safeParse({ mounts: [{ url: "http://x:1", attrTimeoutMs: -1 }] }).success).toBe(false);
    expect(configSchema.safeParse({ mounts: [{ url: "http://x:1", passEnv: "not a name" }] }).success).toBe(false);
    expect(configSchema.safeParse({ webhook: "ftp://x" }).success).toBe(false);
  });
});
