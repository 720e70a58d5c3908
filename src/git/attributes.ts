import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runGit } from "./exec.js";

/** A `.gitattributes` file of a commit: its repository-relative path and blob. */
export interface AttributeSource {
  path: string;
  blob: string;
}

/**
 * The value git gives attribute `name` for each path (`lfs`, `set`, `unset`, `unspecified`...),
 * with the attributes of exactly these `.gitattributes` blobs: git answers from a throwaway index
 * that holds only them (`check-attr --cached`; git 2.39 has no `--source`), so the answer is the
 * commit's, whatever the working tree holds. The user's and the system's attribute files are not
 * read; the repository's `$GIT_DIR/info/attributes` is (git has no switch for it).
 */
export async function attributeValues(
  root: string,
  sources: readonly AttributeSource[],
  paths: readonly string[],
  name: string,
): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  if (paths.length === 0) return values;
  const dir = await mkdtemp(join(tmpdir(), "wspub-attributes-"));
  try {
    const env = { GIT_INDEX_FILE: join(dir, "index"), GIT_ATTR_NOSYSTEM: "1" };
    // The throwaway index stays one plain file (no shared index, fsmonitor or untracked cache in .git).
    const plain = ["-c", "core.splitIndex=false", "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false"];
    const entries = sources.map((s) => `100644 ${s.blob}\t${s.path}\0`).join("");
    await runGit(root, [...plain, "update-index", "-z", "--index-info"], { env, input: entries });
    const asked = paths.map((p) => `${p}\0`).join("");
    // The user's own attributes file differs between machines: not used (the system's neither).
    const args = [...plain, "-c", "core.attributesFile=", "check-attr", "--cached", "--stdin", "-z", name];
    const out = (await runGit(root, args, { env, input: asked })).stdout;
    // -z output: <path> NUL <attribute> NUL <value> NUL, per path.
    const fields = out.split("\0");
    for (let i = 0; i + 2 < fields.length; i += 3) values.set(fields[i]!, fields[i + 2]!);
    return values;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
