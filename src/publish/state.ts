import type { Reporter } from "../events.js";
import { type PointerState, readPointerState, UnreadableLiveError } from "../manifest/live.js";
import { emptyPointer } from "../manifest/pointer.js";
import type { PublishRequest } from "./request.js";

/**
 * The pointer (and what it names as live) for one publish. With --force, a pointer or manifest
 * that cannot be read is reported and treated as absent, and its ETag is kept: the compare-and-swap
 * that takes the lock needs it to replace the unreadable one.
 */
export async function readState(req: PublishRequest): Promise<PointerState> {
  try {
    return await readPointerState(req.store, req.layout);
  } catch (e) {
    if (!(req.force && e instanceof UnreadableLiveError)) throw e;
    reportReplaced(req.reporter, e);
    return {
      seen: { pointer: emptyPointer(req.layout.workspace), etag: e.pointerEtag },
      live: undefined,
      legacy: false,
    };
  }
}

/** The warning when --force replaces a live record that cannot be read. */
export function reportReplaced(reporter: Reporter, e: UnreadableLiveError): void {
  const what = e.message.replace(/; republish with --force to replace it$/, "");
  reporter.event({ type: "warning", message: `${what}: replacing it (--force), publishing in full` });
}
