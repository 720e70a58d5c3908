import { setTimeout as sleep } from "node:timers/promises";
import { KERNEL_MARGIN_MS } from "../limits.js";
import { messages } from "../messages.js";
import type { Reporter } from "../events.js";
import type { PublishResult } from "../publish/request.js";
import type { Layout } from "../store/layout.js";
import { workspaceDirInMount } from "./mount-dir.js";
import type { NotifySettings } from "./notify-settings.js";
import { refreshMount, refreshTree } from "./refresh-mount.js";
import type { MountOutcome, Visibility } from "./visibility.js";
import { postWebhook } from "./webhook.js";

export interface NotifyRequest {
  result: PublishResult;
  layout: Layout;
  settings: NotifySettings;
  reporter: Reporter;
  /** Injectable for tests. */
  wait?: (ms: number) => Promise<unknown>;
  /** An atomic publish: its slot was re-read before the flip; the link's directory is refreshed. */
  atomic?: boolean | undefined;
}

/**
 * After a publish that changed the bucket: refreshes every configured mount (in parallel), waits
 * past the longest attribute timeout of the mounts that confirmed, refreshes them once more, then
 * posts the summary to the webhook, so that a monitor reacting to it reads the new tree. Anything that fails here is a
 * warning: the publish itself has succeeded. Returns undefined when nothing is configured.
 */
export async function notifyPublished(req: NotifyRequest): Promise<Visibility | undefined> {
  const { settings, reporter } = req;
  if (settings.mounts.length === 0 && !settings.webhook) return undefined;
  const started = Date.now();
  const mounts = await Promise.all(
    settings.mounts.map(async (m): Promise<MountOutcome> => {
      const dir = req.atomic ? linkDirInMount(req.layout, m.root) : workspaceDirInMount(req.layout.filesPrefix, m.root);
      const t0 = Date.now();
      let error: string;
      if (dir === undefined) {
        error = `the workspace ${req.layout.filesPrefix} is not under the mount's root ${JSON.stringify(m.root)}`;
        if (req.atomic)
          error = `the link ${req.layout.linkKey} is not under the mount's root ${JSON.stringify(m.root)}`;
      } else {
        try {
          await refreshMount(m, dir, !req.atomic);
          return { url: m.display, dir, ok: true, refreshMs: Date.now() - t0 };
        } catch (e) {
          // RcError, or anything unexpected: either way the publish stands.
          error = (e as Error).message;
        }
      }
      reporter.event({ type: "warning", message: messages.mountNotRefreshed(m.display, req.layout.workspace, error) });
      return { url: m.display, dir: dir ?? null, ok: false, refreshMs: Date.now() - t0, error };
    }),
  );
  const refreshed = settings.mounts.filter((_, i) => mounts[i]!.ok);
  if (refreshed.length > 0) {
    // Past the kernel's attribute timeout no reader can still use an entry from before the refresh;
    // a second refresh then drops what readers put back in the meantime (see refreshTree).
    await (req.wait ?? sleep)(Math.max(...refreshed.map((m) => m.attrTimeoutMs)) + KERNEL_MARGIN_MS);
    await Promise.all(
      settings.mounts.map(async (m, i) => {
        const outcome = mounts[i]!;
        if (!outcome.ok || outcome.dir === null) return;
        try {
          // (The link's directory is marked stale again: its listing may have been re-read meanwhile.)
          await (req.atomic ? refreshMount(m, outcome.dir, false) : refreshTree(m, outcome.dir));
        } catch (e) {
          outcome.ok = false;
          outcome.error = (e as Error).message;
          reporter.event({
            type: "warning",
            message: messages.mountNotRefreshed(m.display, req.layout.workspace, outcome.error),
          });
        }
      }),
    );
  }
  const visibility: Visibility = {
    visible: mounts.length > 0 && mounts.every((m) => m.ok),
    waitedMs: Date.now() - started,
    mounts,
    webhook: null,
  };
  if (settings.webhook) {
    const { visible, waitedMs } = visibility;
    const payload = {
      event: "wspub.published",
      ...req.result,
      url: req.layout.location,
      prefix: req.layout.filesPrefix,
      visibility: { visible, waitedMs, mounts },
    };
    visibility.webhook = await postWebhook(settings.webhook, payload);
    if (!visibility.webhook.ok)
      reporter.event({
        type: "warning",
        message: messages.webhookFailed(visibility.webhook.url, visibility.webhook.error ?? ""),
      });
  }
  return visibility;
}

/**
 * Before an atomic publish's flip: every mount re-reads the slot just written (a listing it cached
 * when the slot was live before would otherwise be what readers find). A failure is a warning.
 */
export async function refreshSlot(slot: Layout, settings: NotifySettings, reporter: Reporter): Promise<void> {
  await Promise.all(
    settings.mounts.map(async (m) => {
      const dir = workspaceDirInMount(slot.filesPrefix, m.root);
      try {
        if (dir === undefined)
          throw new Error(`${slot.filesPrefix} is not under the mount's root ${JSON.stringify(m.root)}`);
        await refreshMount(m, dir);
      } catch (e) {
        reporter.event({
          type: "warning",
          message: messages.mountNotRefreshed(m.display, slot.workspace, (e as Error).message),
        });
      }
    }),
  );
}

/** The directory of an atomic workspace's link, relative to the mount's root; undefined when the mount lacks it. */
function linkDirInMount(layout: Layout, root: string): string | undefined {
  const dir = workspaceDirInMount(layout.filesPrefix, root);
  if (dir === undefined || dir === "") return undefined;
  return dir.includes("/") ? dir.slice(0, dir.lastIndexOf("/")) : "";
}
