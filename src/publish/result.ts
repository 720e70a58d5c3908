import { MAX_LISTED_CHANGES } from "../limits.js";
import type { LiveState } from "../manifest/live.js";
import type { ManifestRoot } from "../manifest/sharded.js";
import type { Plan } from "../plan/plan.js";
import { targetFields } from "../store/target.js";
import type { Proposal } from "./proposal.js";
import type { Publishing, PublishResult } from "./request.js";

type Outcome = Pick<Proposal, "plan" | "files" | "excluded" | "submodules" | "incremental">;

/** The result of a publish (or a dry run, with `manifest` null) that made `proposal`. */
export function resultOf(
  p: Publishing,
  started: number,
  live: LiveState | undefined,
  proposal: Outcome,
  manifest: { key: string; bytes: number } | null,
  noop = false,
): PublishResult {
  const { plan } = proposal;
  const { req } = p;
  const list = <T>(items: readonly T[], name: (t: T) => string) => items.slice(0, MAX_LISTED_CHANGES).map(name);
  return {
    workspace: req.layout.workspace,
    preview: req.preview ?? null,
    commit: p.commit.oid,
    previous: live?.pointer.commit ?? null,
    ...targetFields(req.layout.target),
    uploaded: plan.put.length,
    copied: plan.copy.length,
    deleted: plan.delete.length,
    unchanged: proposal.files - plan.put.length - plan.copy.length,
    bytesUploaded: noop ? 0 : plan.put.reduce((sum, a) => sum + a.file.size, 0),
    manifest: manifest?.key ?? null,
    durationMs: Date.now() - started,
    dryRun: req.dryRun,
    noop,
    incremental: proposal.incremental,
    files: proposal.files,
    bytes: manifest?.bytes ?? null,
    excluded: proposal.excluded,
    submodules: proposal.submodules,
    changes: {
      uploaded: list(plan.put, (a) => a.file.path),
      copied: list(plan.copy, (a) => a.file.path),
      deleted: list(plan.delete, (n) => n),
      truncated: Math.max(plan.put.length, plan.copy.length, plan.delete.length) > MAX_LISTED_CHANGES,
    },
  };
}

/** The commit is already live with the same files: nothing was written. */
export function noopResult(
  p: Publishing,
  started: number,
  live: LiveState & { stored: { version: 2; root: ManifestRoot } },
): PublishResult {
  const { root } = live.stored;
  const plan: Plan = { put: [], copy: [], keep: [], delete: [], added: [] };
  const outcome = { plan, files: root.files, excluded: root.excluded, submodules: [], incremental: true };
  return resultOf(p, started, live, outcome, { key: live.pointer.manifest, bytes: root.bytes }, true);
}
