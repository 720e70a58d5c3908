import type { Published } from "../app/push.js";

/** Why a repository is being published. */
export type Trigger = "start" | "change" | "reconcile" | "retry";

/** What `wspub watch` tells its caller; the CLI prints one line per event (a JSON line with --json). */
export type WatchEvent =
  | { type: "started"; paths: string[]; listen: string | null }
  | { type: "repository"; dir: string; change: "added" | "removed" }
  | { type: "published"; dir: string; trigger: Trigger; result: Published }
  | {
      type: "failed";
      dir: string;
      trigger: Trigger;
      commit: string | null;
      message: string;
      exitCode: number;
      /** When the next attempt is due; null when it is not retried (bad input, a refusal, or retrying ran out). */
      retryInMs: number | null;
    }
  | { type: "skipped"; dir: string; reason: string }
  | { type: "notice" | "warning"; dir: string | null; message: string }
  | { type: "stopped"; abandoned: number };

export interface WatchReporter {
  event(e: WatchEvent): void;
}
