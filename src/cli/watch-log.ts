import type { WatchEvent } from "../watch/events.js";

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const delay = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`);

/** One log line of `wspub watch` (without --json), or undefined for an event not worth a line. */
export function formatWatchEvent(e: WatchEvent, at: Date): string {
  const time = at.toISOString();
  switch (e.type) {
    case "started":
      return `${time} watching ${e.paths.join(", ")}${e.listen ? `; /healthz and /metrics on http://${e.listen}` : ""}`;
    case "repository":
      return `${time} ${e.change === "added" ? "watching" : "no longer watching"} ${e.dir}`;
    case "published": {
      const r = e.result;
      const what = r.noop
        ? "already live"
        : `published: ${r.uploaded} uploaded, ${r.copied} copied, ${r.deleted} deleted in ${seconds(r.durationMs)}`;
      const visible = r.visibility ? (r.visibility.visible ? "; visible in the mounts" : "; mounts NOT refreshed") : "";
      return `${time} ${r.workspace} ${r.commit.slice(0, 12)} ${what} (${e.trigger})${visible}`;
    }
    case "failed": {
      const next = e.retryInMs === null ? "not retried until the branch moves" : `retrying in ${delay(e.retryInMs)}`;
      return `${time} ${e.dir} ${e.commit?.slice(0, 12) ?? ""} FAILED (${e.trigger}): ${e.message}; ${next}`;
    }
    case "skipped":
      return `${time} ${e.dir}: not published: ${e.reason}`;
    case "notice":
    case "warning":
      return `${time} ${e.dir ?? "wspub"}: ${e.type === "warning" ? "warning: " : ""}${e.message}`;
    case "stopped": {
      const abandoned = e.abandoned > 0 ? ` (${e.abandoned} publish(es) abandoned; the next run finishes them)` : "";
      return `${time} stopped${abandoned}`;
    }
  }
}

/** The same event as one JSON line: `{"time", "event", ...fields}`. */
export function watchEventJson(e: WatchEvent, at: Date): string {
  const { type, ...fields } = e;
  return JSON.stringify({ time: at.toISOString(), event: type, ...fields });
}
