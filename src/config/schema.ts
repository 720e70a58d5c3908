import { z } from "zod";
import { CONCURRENCY } from "../limits.js";

/** An rclone mount to notify after a publish: its remote control (`rclone mount --rc`). See src/mount/. */
export const mountSchema = z
  .object({
    /** The rc address, e.g. http://127.0.0.1:5572 (any --rc-baseurl included). */
    url: z.url({ protocol: /^https?$/ }),
    user: z.string().min(1).optional(),
    /** Discouraged (the config is committed): prefer passEnv or WSPUB_MOUNT_RC_PASS. */
    pass: z.string().min(1).optional(),
    /** The name of an environment variable holding the password. */
    passEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    /** The path inside the bucket that the mount's remote points at (remote:bucket/<root>); default "". */
    root: z.string().optional(),
    /** The VFS to address when one rclone serves several (`fs` of the vfs/* calls). */
    fs: z.string().min(1).optional(),
    /** The mount's --attr-timeout: how long the kernel may keep showing old attributes. Default 1000. */
    attrTimeoutMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict();

/** wspub.config.json, or the "wspub" key of package.json, at the repository root. */
export const configSchema = z
  .object({
    $schema: z.string().optional(),
    target: z.string().min(1).optional(),
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    region: z.string().min(1).optional(),
    concurrency: z.number().int().min(CONCURRENCY.min).max(CONCURRENCY.max).optional(),
    exclude: z.array(z.string()).optional(),
    workspaces: z.record(z.string(), z.string().min(1)).optional(),
    /** Branches the git hooks publish (names or globs); default: the repository's default branch. */
    branches: z.array(z.string().min(1)).min(1).optional(),
    /** rclone mounts to refresh after each publish, so that the new commit is visible at once. */
    mounts: z.array(mountSchema).optional(),
    /**
     * How background publishes (hooks, wspub watch) retry: delays in seconds (the last repeats), for at
     * most maxSeconds.
     */
    retry: z
      .object({
        delays: z.array(z.number().min(0)).min(1).optional(),
        maxSeconds: z.number().min(0).optional(),
      })
      .strict()
      .optional(),
    /** A URL that receives each publish's summary as JSON (POST). */
    webhook: z.url({ protocol: /^https?$/ }).optional(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
