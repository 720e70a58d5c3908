import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { type Fields, parseRecord } from "./record.js";
import { putJson } from "./put-json.js";

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

const JOURNAL_FIELDS: Fields = {
  version: { literal: 1 },
  commit: "string",
  startedAt: "string",
  holder: "string",
  writes: "string[]",
  deletes: "string[]",
};

/** What an unreadable journal (cut short) means: everything may be dirty, which a full listing of the prefix gives. */
const UNKNOWN: Journal = { version: 1, commit: "", startedAt: "", holder: "", writes: [], deletes: [] };

export async function readJournal(store: ObjectStore, layout: Layout): Promise<Journal | undefined> {
  const body = await store.get(layout.journalKey);
  if (!body) return undefined;
  try {
    return parseRecord<Journal>(body.toString("utf8"), JOURNAL_FIELDS, "the journal");
  } catch {
    return { ...UNKNOWN };
  }
}

export async function writeJournal(store: ObjectStore, layout: Layout, journal: Journal): Promise<void> {
  await putJson(store, layout.journalKey, JSON.stringify(journal));
}

export async function removeJournal(store: ObjectStore, layout: Layout): Promise<void> {
  await store.deleteMany([layout.journalKey]);
}
