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

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Lines for the human output of `wspub push`, after the publish's own two lines. */
export function formatVisibility(v: Visibility): string {
  const lines: string[] = [];
  for (const m of v.mounts) {
    const where = m.dir === null ? "" : ` (${m.dir === "" ? "its root" : m.dir})`;
    lines.push(
      m.ok
        ? `  mount ${m.url}${where}: refreshed`
        : `  mount ${m.url}${where}: NOT refreshed: ${m.error ?? "unknown error"}`,
    );
  }
  if (v.mounts.length > 0) {
    lines.push(
      v.visible
        ? `  visible through the mount${v.mounts.length > 1 ? "s" : ""} ${seconds(v.waitedMs)} after the publish`
        : `  not confirmed visible: a mount that was not refreshed shows the new commit when its directory cache expires (--dir-cache-time)`,
    );
  }
  if (v.webhook)
    lines.push(
      `  webhook ${v.webhook.url}: ${v.webhook.ok ? `HTTP ${v.webhook.status}` : `failed: ${v.webhook.error ?? "unknown error"}`}`,
    );
  return lines.join("\n");
}
