/**
 * The one error vocabulary of wspub. Every error the library throws on purpose is a WspubError
 * with a stable `code` and the process exit code the CLI uses for it; anything else is a bug.
 */
export const ExitCode = {
  ok: 0,
  /** The publish (or another command) failed: git, network, store. Safe to retry. */
  failure: 1,
  /** Bad command line, config, workspace name, ref or repository: fix the input. */
  usage: 2,
  /** Refused on purpose: ordering guard (non-ancestor without --force), lock held. */
  refused: 3,
  /** `wspub verify` found drift between the bucket and the live manifest. */
  drift: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode = "usage" | "config" | "git" | "store" | "refused" | "drift" | "internal";

const exitFor: Record<ErrorCode, ExitCode> = {
  usage: ExitCode.usage,
  config: ExitCode.usage,
  git: ExitCode.usage,
  store: ExitCode.failure,
  refused: ExitCode.refused,
  drift: ExitCode.drift,
  internal: ExitCode.failure,
};

export class WspubError extends Error {
  readonly exitCode: ExitCode;
  /**
   * Whether trying again later can succeed (a background publish retries these): failures of the
   * network, the store or git (exit 1), and credentials the store rejected (they may be renewed).
   * Refusals and bad input are not retried.
   */
  readonly retryable: boolean;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; exitCode?: ExitCode; retryable?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WspubError";
    this.exitCode = options?.exitCode ?? exitFor[code];
    this.retryable = options?.retryable ?? (this.exitCode === ExitCode.failure && code !== "internal");
  }
}

/** Whether a background publish should try again after `error` (anything but a WspubError is a bug: no). */
export const isRetryable = (error: unknown): boolean => error instanceof WspubError && error.retryable;

export const usageError = (message: string, cause?: unknown) => new WspubError("usage", message, { cause });
export const configError = (file: string, message: string, cause?: unknown) =>
  new WspubError("config", `${file}: ${message}`, { cause });
/** A git problem caused by the input (not a repository, unknown ref): exit 2. */
export const gitInputError = (message: string, cause?: unknown) => new WspubError("git", message, { cause });
/** git itself failed while reading a repository that looked valid: exit 1. */
export const gitFailure = (message: string, cause?: unknown) =>
  new WspubError("git", message, { cause, exitCode: ExitCode.failure });
export const storeError = (message: string, cause?: unknown) => new WspubError("store", message, { cause });
export const refusedError = (message: string) => new WspubError("refused", message);
export const internalError = (message: string, cause?: unknown) => new WspubError("internal", message, { cause });
