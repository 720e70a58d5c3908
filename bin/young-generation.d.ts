// Types of bin/young-generation.js (plain JavaScript: it runs before the bundle loads).
export declare const YOUNG_GENERATION_FLAG: string;
export declare const LARGE_INDEX_BYTES: number;
export declare function youngGenerationRestart(
  proc: Pick<NodeJS.Process, "argv" | "env" | "execArgv" | "execPath" | "cwd"> & { execve?: unknown },
): [string, string[], NodeJS.ProcessEnv] | undefined;
export declare function indexBytes(dir: string): number;
