import { checkShape } from "./record.js";
import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";

/**
 * `<prefix>/.wspub/<name>/journal.json`: written before a publish touches any object, removed
 * when it is done. If it is still there, a publish died midway: the objects it meant to write may
 * hold either content, and the objects it meant to delete may still exist. The next publish treats
 * the first as unknown (never kept, never a copy source) and both as candidates for deletion, so
 * it converges to exactly its own manifest.
 */
export interface Journal {
  version: 1;
  commit: string;
  startedAt: string;
  holder: string;
  /** Object names (relative to the workspace prefix) being written. */
  writes: string[];
  /** Object names to delete after the pointer moves. */
  deletes: string[];
}

const JOURNAL_FIELDS = {
  version: { literal: 1 },
  commit: "string",
  startedAt: "string",
  holder: "string",
  writes: "string[]",
  deletes: "string[]",
} as const;

export const journalKey = (layout: Layout) => `${layout.metaPrefix}journal.json`;

export async function readJournal(store: ObjectStore, layout: Layout): Promise<Journal | undefined> {
  const body = await store.get(journalKey(layout));
  if (!body) return undefined;
  try {
    return checkShape<Journal>(JSON.parse(body.toString("utf8")), JOURNAL_FIELDS, "the journal");
  } catch {
    // Unreadable (cut short): the safe reading is "everything may be dirty", which a full
    // listing of the prefix gives the caller anyway.
    return { version: 1, commit: "", startedAt: "", holder: "", writes: [], deletes: [] };
  }
}
