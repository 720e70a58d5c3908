/** What the notifications after a publish achieved; part of `wspub push --json` and the webhook. */
export interface Visibility {
  /** True when every configured mount confirmed the refresh and its attribute timeout has passed. */
  visible: boolean;
  /** From the end of the publish until it was reported visible (or the notifications gave up). */
  waitedMs: number;
  mounts: MountOutcome[];
  webhook: WebhookOutcome | null;
}

export interface MountOutcome {
  /** The rc URL, without credentials. */
  url: string;
  /** The workspace's directory inside the mount; null when the workspace is not under the mount's root. */
  dir: string | null;
  ok: boolean;
  /** How long the forget + refresh took. */
  refreshMs: number;
  error?: string;
}

export interface WebhookOutcome {
  url: string;
  ok: boolean;
  status: number | null;
  error?: string;
}
