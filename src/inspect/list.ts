import { parsePointer, type Pointer, type PreviewOf } from "../manifest/pointer.js";
import { isPublished } from "../manifest/live.js";
import { runBounded } from "../queue.js";
import { Layout, workspacesMetaRoot } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import type { Target } from "../store/target.js";

export interface ListedWorkspace {
  workspace: string;
  commit: string;
  publishedAt: string;
  publishedBy: string;
  files: number;
  bytes: number;
  /** A preview workspace: the workspace it previews and the branch it publishes; null otherwise. */
  preview: PreviewOf | null;
}

/** Every workspace with a readable pointer at the target, by name. */
export async function listWorkspaces(
  store: ObjectStore,
  target: Target,
  concurrency: number,
): Promise<ListedWorkspace[]> {
  const names = await store.listDirs(workspacesMetaRoot(target));
  const rows: ListedWorkspace[] = [];
  await runBounded(names, concurrency, async (name) => {
    const text = await store.get(new Layout(target, name).pointerKey);
    if (!text) return;
    let p: Pointer;
    try {
      p = parsePointer(text.toString("utf8")).pointer;
    } catch {
      return;
    }
    if (!isPublished(p)) return; // its first publish is under way
    rows.push({
      workspace: name,
      commit: p.commit,
      publishedAt: p.publishedAt,
      publishedBy: p.publishedBy,
      files: p.files,
      bytes: p.bytes,
      preview: p.preview ?? null,
    });
  });
  return rows.sort((a, b) => (a.workspace < b.workspace ? -1 : 1));
}
