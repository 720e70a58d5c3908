import { z } from "zod";

/** wspub.config.json, or the "wspub" key of package.json, at the repository root. */
export const configSchema = z
  .object({
    $schema: z.string().optional(),
    target: z.string().min(1).optional(),
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    region: z.string().min(1).optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
    exclude: z.array(z.string()).optional(),
    workspaces: z.record(z.string(), z.string().min(1)).optional(),
    /** Branches the git hooks publish (names or globs); default: the repository's default branch. */
    branches: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
