import type { StoreFlags } from "../config/settings.js";
import type { Reporter } from "../events.js";
import { type RepairResult, repair } from "../inspect/repair.js";
import { repairAtomicView } from "../inspect/repair-view.js";
import { type VerifyResult, verify } from "../inspect/verify.js";
import { Layout } from "../store/layout.js";
import { defaultActor } from "./actor.js";
import { withContext } from "./context.js";

export interface VerifyOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  workspace: string | undefined;
  store: StoreFlags;
  reporter: Reporter;
  /** Read every object and compare SHA-256 instead of trusting MD5 ETags. */
  deep: boolean;
  /** On drift: restore from git and delete what does not belong, then verify again. */
  repair: boolean;
}

/** `wspub verify [--repair]`: verify; on drift with `repair`, repair under the lock, then verify again. */
export async function verifyWorkspace(
  o: VerifyOptions,
): Promise<{ result: VerifyResult; repaired: RepairResult | null }> {
  return withContext(o, async (ctx) => {
    const layout = ctx.layout(ctx.workspaces[0]!);
    const options = { deep: o.deep, concurrency: ctx.settings.concurrency };
    const first = await verify(ctx.store, layout, options);
    if (first.ok || !o.repair) return { result: first, repaired: null };
    // An atomic workspace: the live slot is repaired as the workspace it is, then its link and prefix.
    const slot = first.atomic?.slot;
    const repaired = await repair(
      {
        git: ctx.git,
        dir: ctx.workspaces[0]!.dir,
        store: ctx.store,
        layout: slot ? new Layout(layout.target, layout.workspace, first.atomic!.style).slot(slot) : layout,
        reporter: o.reporter,
        env: o.env,
        concurrency: ctx.settings.concurrency,
        holder: defaultActor(o.env),
      },
      first,
    );
    // The view (link, markers above the slots, leftovers in place) only when verify found it off:
    // its repair takes the workspace's lock.
    const view = first.atomic;
    if (view && (view.link !== "ok" || view.markers.length > 0 || view.inPlace.length > 0)) {
      const holder = defaultActor(o.env);
      const target = {
        store: ctx.store,
        reporter: o.reporter,
        env: o.env,
        holder,
        concurrency: ctx.settings.concurrency,
      };
      repaired.deleted += await repairAtomicView(target, layout, view);
    }
    return { result: await verify(ctx.store, layout, options), repaired };
  });
}
