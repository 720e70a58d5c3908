import type { ExcludedFile, PublishFile } from "../filter/publish-set.js";
import type { AttributeSource } from "../git/attributes.js";
import type { ManifestEntry } from "../manifest/entry.js";
import type { LiveState } from "../manifest/live.js";
import type { IgnoreSource, ManifestRoot, ShardTexts } from "../manifest/sharded.js";
import { MAX_NAMED_WITHHELD } from "../limits.js";
import { messages } from "../messages.js";
import type { Plan } from "../plan/plan.js";
import { DigestTable } from "./digest-table.js";
import type { MarkerChanges } from "./markers.js";
import type { Publishing } from "./request.js";

/** What a publish will do, and how to make its manifest once the writes are done. */
export interface Proposal {
  plan: Plan;
  /** Content digests by blob id, of live content; the writes add theirs. */
  digests: DigestTable;
  /** Files and (non-gitlink) excluded files of the new commit, as its manifest root will record them. */
  files: number;
  excluded: number;
  submodules: string[];
  /** Whether only the changed paths were looked at (`git diff-tree` against the live commit). */
  incremental: boolean;
  /**
   * Whether the files it keeps must be scanned for credentials too (publish/credential-check.ts): the
   * live manifest was made under other rules (another filter, other ignore files), or there is none.
   */
  rescan: boolean;
  /** Skipped submodules and withheld secrets, for the reporter. */
  notices: string[];
  /**
   * For the delete guard (publish/delete-guard.ts): the live files this plan deletes (not the
   * markers, nor what an interrupted publish left), and how many live files there are.
   */
  guard: { deletes: number; live: number };
  /** The s3fs layout's directory markers to write and directories to check (publish/markers.ts). */
  markers: MarkerChanges;
  /**
   * Shards known to be in the store (read by this publish, or named by the live root and not in doubt):
   * not written again.
   */
  present: ReadonlySet<string>;
  /** The new manifest; `written` makes the entry of a file the publish wrote (its digests are known). */
  manifest: (written: (file: PublishFile) => ManifestEntry) => Promise<NextManifest>;
}

/** A manifest root and its shards (digest -> bytes, made on demand), some of which may already be stored. */
export interface NextManifest {
  root: ManifestRoot;
  texts: ShardTexts;
}

/** Tells the reporter what the publish will do (once, even when the plan is made again under the lock). */
export function reportPlan(p: Publishing, live: LiveState | undefined, proposal: Proposal): Proposal {
  const { plan } = proposal;
  const { reporter, layout } = p.req;
  for (const message of proposal.notices) reporter.event({ type: "notice", message });
  const controls = [...plan.put, ...plan.copy].map((a) => a.file.path).filter(hasControlCharacter);
  if (controls.length > 0) {
    const named = controls.slice(0, MAX_NAMED_WITHHELD).map((path) => JSON.stringify(path));
    reporter.event({ type: "notice", message: messages.controlCharacters(controls.length, named.join(", ")) });
  }
  reporter.event({
    type: "plan",
    workspace: layout.workspace,
    commit: p.commit.oid,
    previous: live?.pointer.commit ?? null,
    put: plan.put.length,
    copy: plan.copy.length,
    delete: plan.delete.length,
    keep: proposal.files - plan.put.length - plan.copy.length,
    bytes: plan.put.reduce((sum, a) => sum + a.file.size, 0),
  });
  return proposal;
}

export function rootOf(
  p: Publishing,
  counts: { files: number; bytes: number; excluded: number },
  ignore: IgnoreSource[],
  shards: string[],
  attributes: readonly AttributeSource[] | undefined,
): ManifestRoot {
  const { commit } = p;
  return {
    version: 2,
    workspace: p.req.layout.workspace,
    commit: commit.oid,
    committedAt: commit.committerTime,
    ...counts,
    filter: p.filter,
    ignore,
    shards,
    ...(p.req.layout.style === "s3fs" ? { layout: "s3fs" as const } : {}),
    ...(attributes !== undefined && attributes.length > 0 ? { attributes: [...attributes] } : {}),
  };
}

export function digestsOf(entries: Iterable<ManifestEntry>): DigestTable {
  const digests = new DigestTable();
  for (const e of entries) digests.set(e.blob, e);
  return digests;
}

/** What a proposal tells the user: skipped submodules, unreadable LFS pointers, withheld secret-looking files. */
export function notices(
  submodules: readonly string[],
  excluded: readonly ExcludedFile[],
  unreadableLfs: readonly string[] = [],
): string[] {
  const out = submodules.map((path) => `skipped submodule ${path} (gitlinks are not published)`);
  if (unreadableLfs.length > 0) {
    const named = unreadableLfs.slice(0, MAX_NAMED_WITHHELD).join(", ");
    out.push(messages.lfsUnreadable(unreadableLfs.length, named, unreadableLfs.length > MAX_NAMED_WITHHELD));
  }
  const withheld = excluded.filter((x) => x.reason.startsWith("secret") || x.reason.startsWith("default: .env"));
  if (withheld.length > 0) {
    const named = withheld.slice(0, MAX_NAMED_WITHHELD).map((x) => x.path);
    out.push(messages.withheld(withheld.length, named.join(", "), withheld.length > named.length));
  }
  return out;
}

/** Control characters a name can still hold (checkNames refuses the others): rclone mounts rename them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const hasControlCharacter = (path: string) => /[\u0000-\u001f\u007f]/.test(path);
