import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { type Fields, parseRecord } from "./record.js";

/**
 * What a publish under way will write and delete, kept in the pointer (live.json) from the moment
 * it takes the lock until it is done. If it is still there, a publish died midway: the objects it
 * meant to write may hold either content, and the objects it meant to delete may still exist. The
 * next publish treats the first as unknown (never kept, never a copy source) and both as
 * candidates for deletion, so it converges to exactly its own manifest. "all": too many to list;
 * anything under the workspace's prefix may be affected (a listing finds it).
 */
export interface Journal {
  commit: string;
  startedAt: string;
  holder: string;
  /** Object names (relative to the workspace prefix) being written. */
  writes: string[] | "all";
  /** Object names to delete after the pointer moves. */
  deletes: string[] | "all";
}

/** Beyond this many names a journal says "all": the pointer stays small. */
export const JOURNAL_MAX_NAMES = 1000;

const NAMES = { anyOf: ["string[]", { literal: "all" }] } as const;
export const JOURNAL_FIELDS: Fields = {
  commit: "string",
  startedAt: "string",
  holder: "string",
  writes: NAMES,
  deletes: NAMES,
};

/** Object names as a journal lists them: "all" past JOURNAL_MAX_NAMES. */
export const journalNames = (names: readonly string[]): string[] | "all" =>
  names.length > JOURNAL_MAX_NAMES ? "all" : [...names];

/** A journal of these writes and deletes. */
export function journalOf(
  commit: string,
  holder: string,
  writes: readonly string[],
  deletes: readonly string[],
): Journal {
  return {
    commit,
    startedAt: new Date().toISOString(),
    holder,
    writes: journalNames(writes),
    deletes: journalNames(deletes),
  };
}

/**
 * Both journals' objects (the one of a publish that died, and the one that finishes its job). The
 * commit is kept only when both publish the same one ("" otherwise), with the earlier start.
 */
export function mergeJournals(a: Journal, b: Journal): Journal {
  const both = (x: string[] | "all", y: string[] | "all") =>
    x === "all" || y === "all" || x.length + y.length > JOURNAL_MAX_NAMES
      ? ("all" as const)
      : [...new Set([...x, ...y])];
  const same = a.commit === b.commit;
  return {
    ...b,
    commit: same ? b.commit : "",
    startedAt: same && a.startedAt < b.startedAt ? a.startedAt : b.startedAt,
    writes: both(a.writes, b.writes),
    deletes: both(a.deletes, b.deletes),
  };
}

/** What an unreadable journal means: everything may be dirty, which a listing of the prefix finds. */
const UNKNOWN = { commit: "", startedAt: "", holder: "", writes: "all", deletes: "all" } as const;

/**
 * The journal.json of a wspub from before the journal moved into the pointer (version 1
 * pointers): read once, when such a bucket is published to for the first time.
 */
export async function readLegacyJournal(store: ObjectStore, layout: Layout): Promise<Journal | undefined> {
  const body = await store.get(layout.journalKey);
  if (!body) return undefined;
  try {
    const old = parseRecord<Journal & { version: 1 }>(
      body.toString("utf8"),
      { version: { literal: 1 }, ...JOURNAL_FIELDS },
      "the journal",
    );
    // Only the known fields: the record is copied into the pointer.
    const { commit, startedAt, holder, writes, deletes } = old;
    return { commit, startedAt, holder, writes, deletes };
  } catch {
    return { ...UNKNOWN };
  }
}
