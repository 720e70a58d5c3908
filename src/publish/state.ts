import type { Reporter } from "../events.js";
import { type Journal, readJournal } from "../manifest/journal.js";
import { type LiveState, readLive, UnreadableLiveError } from "../manifest/live.js";
import type { PublishRequest } from "./request.js";

/**
 * Reads the live state (pointer and manifest root) for one publish. With --force, a pointer or
 * manifest that cannot be read is reported and treated as absent, and its ETag is kept: the
 * pointer's compare-and-swap needs it to replace the unreadable one.
 */
export class LiveStateReader {
  private brokenEtag: string | undefined;

  constructor(private readonly req: PublishRequest) {}

  async read(): Promise<LiveState | undefined> {
    try {
      return await readLive(this.req.store, this.req.layout);
    } catch (e) {
      if (!(this.req.force && e instanceof UnreadableLiveError)) throw e;
      reportReplaced(this.req.reporter, e);
      this.brokenEtag = e.pointerEtag;
      return undefined;
    }
  }

  /**
   * Under the lock, the state to build on: it may have moved while we waited. The pointer's ETag
   * tells whether `first` still holds (then it is reused, not read again); the journal tells
   * whether a publish was interrupted.
   */
  async reread(
    first: LiveState | undefined,
  ): Promise<{ live: LiveState | undefined; journal: Journal | undefined; unchanged: boolean }> {
    const { store, layout } = this.req;
    const [now, journal] = await Promise.all([store.getVersioned(layout.pointerKey), readJournal(store, layout)]);
    const unchanged =
      first !== undefined ? now?.etag === first.pointerEtag : now === undefined && this.brokenEtag === undefined;
    return { live: unchanged ? first : await this.read(), journal, unchanged };
  }

  /** The ETag the pointer's compare-and-swap expects: the live pointer's, or an unreadable one's being replaced. */
  pointerEtag(live: LiveState | undefined): string | undefined {
    return live?.pointerEtag ?? this.brokenEtag;
  }
}

/** The warning when --force replaces a live record that cannot be read. */
export function reportReplaced(reporter: Reporter, e: UnreadableLiveError): void {
  const what = e.message.replace(/; republish with --force to replace it$/, "");
  reporter.event({ type: "warning", message: `${what}: replacing it (--force), publishing in full` });
}
