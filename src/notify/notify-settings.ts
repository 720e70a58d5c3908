import type { Config } from "../config/schema.js";
import { usageError } from "../errors.js";
import { DEFAULT_ATTR_TIMEOUT_MS } from "../limits.js";
import { messages } from "../messages.js";
import { normaliseRoot } from "./mount-dir.js";
import type { RcTarget } from "./rc-client.js";
import { splitCredentials } from "./url-credentials.js";

/** The push flags that control notifications. */
export interface NotifyFlags {
  /** --mount-rc URL (repeatable): replaces WSPUB_MOUNT_RC and the config's "mounts". */
  mountRc?: readonly string[] | undefined;
  /** --webhook URL: replaces WSPUB_WEBHOOK_URL and the config's "webhook". */
  webhook?: string | undefined;
  /** false with --no-notify (or WSPUB_NO_NOTIFY=1): neither mounts nor the webhook are told. */
  notify?: boolean | undefined;
}

export interface MountTarget extends RcTarget {
  /** The rc URL as messages show it (never with credentials). */
  display: string;
  /** The path inside the bucket that the mount's remote points at ("" for the bucket itself). */
  root: string;
  /** The mount's --attr-timeout: the kernel may show old attributes this long after the refresh. */
  attrTimeoutMs: number;
}

export interface WebhookTarget {
  url: string;
  display: string;
  headers: Record<string, string>;
}

export interface NotifySettings {
  mounts: MountTarget[];
  webhook: WebhookTarget | undefined;
  /** Things to tell the user (e.g. a password committed in the config). */
  warnings: string[];
}

const isOn = (v: string | undefined) => v !== undefined && /^(1|true|yes)$/i.test(v);

/**
 * Flags > environment > config, like every other setting. Mount URLs given by a flag or
 * WSPUB_MOUNT_RC (comma-separated) mount the bucket itself (root "") with the default attribute
 * timeout; the config's "mounts" can say otherwise. Credentials: the URL's user info, else the
 * mount's user / pass / passEnv, else WSPUB_MOUNT_RC_USER / WSPUB_MOUNT_RC_PASS.
 */
export function resolveNotifySettings(flags: NotifyFlags, env: NodeJS.ProcessEnv, config: Config): NotifySettings {
  if (flags.notify === false || isOn(env["WSPUB_NO_NOTIFY"])) return { mounts: [], webhook: undefined, warnings: [] };
  const warnings: string[] = [];
  const fromEnv = (env["WSPUB_MOUNT_RC"] ?? "").split(/[\s,]+/).filter((s) => s !== "");
  type Entry = NonNullable<Config["mounts"]>[number];
  let entries: { entry: Entry; source: string }[];
  if (flags.mountRc && flags.mountRc.length > 0)
    entries = flags.mountRc.map((url) => ({ entry: { url }, source: "--mount-rc" }));
  else if (fromEnv.length > 0) entries = fromEnv.map((url) => ({ entry: { url }, source: "WSPUB_MOUNT_RC" }));
  else entries = (config.mounts ?? []).map((entry, i) => ({ entry, source: `mounts[${i}]` }));

  const mounts = entries.map(({ entry, source }): MountTarget => {
    const split = splitCredentials(entry.url);
    if (!split)
      throw usageError(
        `invalid ${source} URL ${JSON.stringify(entry.url)}: expected http(s)://host:port of rclone's remote ` +
          `control (rclone mount --rc)`,
      );
    const root = normaliseRoot(entry.root ?? "");
    if (root === undefined)
      throw usageError(
        `invalid ${source}.root ${JSON.stringify(entry.root)}: give the path after the bucket in the mount's ` +
          `remote, without "." or ".." segments`,
      );
    if (entry.pass !== undefined) warnings.push(messages.mountPassInConfig(source));
    let pass = split.pass ?? entry.pass;
    if (pass === undefined && entry.passEnv !== undefined) {
      pass = env[entry.passEnv];
      if (pass === undefined) warnings.push(`${source}.passEnv: ${entry.passEnv} is not set`);
    }
    return {
      url: split.url,
      display: split.display,
      user: split.user ?? entry.user ?? env["WSPUB_MOUNT_RC_USER"],
      pass: pass ?? env["WSPUB_MOUNT_RC_PASS"],
      fs: entry.fs,
      root,
      attrTimeoutMs: entry.attrTimeoutMs ?? DEFAULT_ATTR_TIMEOUT_MS,
    };
  });

  const hook = [flags.webhook, env["WSPUB_WEBHOOK_URL"], config.webhook].find((v) => v !== undefined && v !== "");
  let webhook: WebhookTarget | undefined;
  if (hook !== undefined) {
    const split = splitCredentials(hook);
    if (!split) throw usageError(`invalid webhook URL ${JSON.stringify(hook)}: expected http(s)://...`);
    const headers: Record<string, string> = { "content-type": "application/json" };
    const token = env["WSPUB_WEBHOOK_TOKEN"];
    if (token) headers["authorization"] = `Bearer ${token}`;
    else if (split.user !== undefined || split.pass !== undefined) {
      headers["authorization"] =
        `Basic ${Buffer.from(`${split.user ?? ""}:${split.pass ?? ""}`, "utf8").toString("base64")}`;
    }
    // The query string is kept for the request (some receivers take a token there) but not shown.
    webhook = { url: `${split.url}${new URL(hook).search}`, display: split.display, headers };
  }
  return { mounts, webhook, warnings };
}
