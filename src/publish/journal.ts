import { z } from "zod";
import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";

/**
 * `<prefix>/.wspub/<name>/journal.json`: written before a publish touches any object, removed
 * when it is done. If it is still there, a publish died midway: the objects it meant to write may
 * hold either content, and the objects it meant to delete may still exist. The next publish treats
 * the first as unknown (never kept, never a copy source) and both as candidates for deletion, so
 * it converges to exactly its own manifest.
 */
const journalSchema = z.object({
  version: z.literal(1),
  commit: z.string(),
  startedAt: z.string(),
  holder: z.string(),
  /** Object names (relative to the workspace prefix) being written. */
  writes: z.array(z.string()),
  /** Object names to delete after the pointer moves. */
  deletes: z.array(z.string()),
});
export type Journal = z.infer<typeof journalSchema>;

export const journalKey = (layout: Layout) => `${layout.metaPrefix}journal.json`;

export async function readJournal(store: ObjectStore, layout: Layout): Promise<Journal | undefined> {
  const body = await store.get(journalKey(layout));
  if (!body) return undefined;
  try {
    return journalSchema.parse(JSON.parse(body.toString("utf8")));
  } catch {
    // Unreadable (cut short): the safe reading is "everything may be dirty", which a full
    // listing of the prefix gives the caller anyway.
    return { version: 1, commit: "", startedAt: "", holder: "", writes: [], deletes: [] };
  }
}
