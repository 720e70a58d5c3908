import * as z from "zod/mini";
import { CONCURRENCY } from "../limits.js";

// zod/mini: the same checks and messages as zod's classic API, at a third of the load time (the
// config is checked on every command that finds one).
z.config(z.locales.en());

const nonEmpty = () => z.string().check(z.minLength(1));
const httpUrl = () => z.url({ protocol: /^https?$/ });

/** An rclone mount to notify after a publish: its remote control (`rclone mount --rc`). See src/mount/. */
export const mountSchema = z.strictObject({
  /** The rc address, e.g. http://127.0.0.1:5572 (any --rc-baseurl included). */
  url: httpUrl(),
  user: z.optional(nonEmpty()),
  /** Discouraged (the config is committed): prefer passEnv or WSPUB_MOUNT_RC_PASS. */
  pass: z.optional(nonEmpty()),
  /** The name of an environment variable holding the password. */
  passEnv: z.optional(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/))),
  /** The path inside the bucket that the mount's remote points at (remote:bucket/<root>); default "". */
  root: z.optional(z.string()),
  /** The VFS to address when one rclone serves several (`fs` of the vfs/* calls). */
  fs: z.optional(nonEmpty()),
  /** The mount's --attr-timeout: how long the kernel may keep showing old attributes. Default 1000. */
  attrTimeoutMs: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(600_000))),
});

/** wspub.config.json, or the "wspub" key of package.json, at the repository root. */
export const configSchema = z.strictObject({
  $schema: z.optional(z.string()),
  target: z.optional(nonEmpty()),
  endpoint: z.optional(httpUrl()),
  region: z.optional(nonEmpty()),
  concurrency: z.optional(z.number().check(z.int(), z.minimum(CONCURRENCY.min), z.maximum(CONCURRENCY.max))),
  exclude: z.optional(z.array(z.string())),
  workspaces: z.optional(z.record(z.string(), nonEmpty())),
  /** Branches the git hooks publish (names or globs); default: the repository's default branch. */
  branches: z.optional(z.array(nonEmpty()).check(z.minLength(1))),
  /** rclone mounts to refresh after each publish, so that the new commit is visible at once. */
  mounts: z.optional(z.array(mountSchema)),
  /**
   * How background publishes (hooks, wspub watch) retry: delays in seconds (the last repeats), for at
   * most maxSeconds.
   */
  retry: z.optional(
    z.strictObject({
      delays: z.optional(z.array(z.number().check(z.minimum(0))).check(z.minLength(1))),
      maxSeconds: z.optional(z.number().check(z.minimum(0))),
    }),
  ),
  /** A URL that receives each publish's summary as JSON (POST). */
  webhook: z.optional(httpUrl()),
  /** Publish through a link to one of two trees: readers never see half a publish (README, "An atomic view"). */
  atomic: z.optional(z.boolean()),
  /** How objects are laid out for the mount that reads them: "rclone" (default) or "s3fs" (README, "s3fs"). */
  layout: z.optional(z.enum(["rclone", "s3fs"])),
  /** Git LFS files: "content" (default) publishes what they hold, "pointers" the pointer files (README, "Git LFS"). */
  lfs: z.optional(z.enum(["content", "pointers"])),
  /**
   * Preview workspaces (README, "Preview workspaces"): how they are named ("{name}--{branch}" by
   * default) and the branches that hooks and `wspub watch` publish as previews.
   */
  previews: z.optional(
    z.strictObject({
      name: z.optional(nonEmpty().check(z.refine((s) => s.includes("{branch}"), { message: "must contain {branch}" }))),
      branches: z.optional(z.array(nonEmpty())),
    }),
  ),
  /** The most objects one publish may delete (README, "The delete guard"); default: see there. */
  maxDelete: z.optional(z.number().check(z.int(), z.minimum(0))),
});

export type Config = z.infer<typeof configSchema>;
