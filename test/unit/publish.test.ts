import { describe, expect, it } from "vitest";
import { WspubError } from "../../src/errors.js";
import type { PublishEvent } from "../../src/events.js";
import { verify } from "../../src/inspect/verify.js";
import { journalOf } from "../../src/manifest/journal.js";
import { readLive, readLiveFiles, readPointerState } from "../../src/manifest/live.js";
import { type Pointer, parsePointer, serializePointer } from "../../src/manifest/pointer.js";
import { publish } from "../../src/publish/publish.js";
import type { PublishRequest } from "../../src/publish/request.js";
import { publishRequest } from "../harness/publish-request.js";
import { dirStoreFixture } from "./support/dir-fixture.js";
import { COMMIT, FakeGit, type FakeNode } from "./support/fake-git.js";

const newStore = dirStoreFixture();
const plain = { size: 0, md5: "", contentType: "text/plain", metadata: {} };

const TREE: Record<string, FakeNode> = {
  "index.html": "<h1>hi</h1>\n",
  "src/app.js": "console.log(1)\n",
  "bin/run.sh": { exec: "#!/bin/sh\n" },
  "link.txt": { symlink: "index.html" },
  "node_modules/x/index.js": "ignored\n",
  ".env": "SECRET=1\n",
};

/** A workspace with TREE committed, its store, and a publish request builder that records events. */
function setup(tree: Record<string, FakeNode> = TREE) {
  const git = new FakeGit(tree);
  const fx = newStore();
  const events: PublishEvent[] = [];
  const req = (over: Partial<PublishRequest> = {}) =>
    publishRequest(
      { git, store: fx.store, layout: fx.layout, concurrency: 4 },
      { reporter: { event: (e) => events.push(e) }, ...over },
    );
  const warnings = () => events.flatMap((e) => (e.type === "warning" ? [e.message] : []));
  return { git, ...fx, req, events, warnings };
}

async function refusal(p: Promise<unknown>): Promise<WspubError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(WspubError);
  return e as WspubError;
}

/** A lock record whose holder is gone (expired long ago). */
const staleLock = (holder: string) => ({
  id: "x",
  holder,
  host: "elsewhere",
  pid: 1,
  acquiredAt: "then",
  expiresAt: 0,
});

/** Rewrites the stored pointer behind the publisher's back (not through the recording store). */
async function changePointer(t: ReturnType<typeof setup>, change: (p: Pointer) => Pointer): Promise<void> {
  const seen = (await readPointerState(t.store.inner, t.layout)).seen!;
  await t.store.inner.put(t.layout.pointerKey, serializePointer(change(seen.pointer)), plain);
}

/** Runs `act` just before the publisher's `n`th compare-and-swap of the pointer. */
function beforePointerSwap(t: ReturnType<typeof setup>, n: number, act: () => Promise<void>): void {
  let swaps = 0;
  t.store.before = async (call) => {
    if (call === `putConditional ${t.layout.pointerKey}` && ++swaps === n) await act();
  };
}

describe("publish (FakeGit + directory store)", () => {
  it("a first publish writes the filtered tree, its manifest and the pointer, and leaves no lock or journal", async () => {
    const t = setup();
    const r = await publish(t.req());
    expect(r).toMatchObject({
      commit: COMMIT,
      previous: null,
      uploaded: 4,
      copied: 0,
      deleted: 0,
      files: 4,
      excluded: 2,
    });
    expect(r.target).toBe(t.root);
    const objects = Object.keys(t.files()).filter((k) => k.startsWith("app/"));
    expect(objects.sort()).toEqual(["app/bin/run.sh", "app/index.html", "app/link.txt.rclonelink", "app/src/app.js"]);
    expect(t.files()["app/link.txt.rclonelink"]).toBe("index.html");
    const keys = Object.keys(t.files());
    expect(keys).toContain(".wspub/app/live.json");
    expect(keys).toContain(".wspub/app/capabilities.json");
    expect(keys).not.toContain(".wspub/app/lock.json");
    expect(keys).not.toContain(".wspub/app/journal.json");
    // The pointer carries the manifest's root and the conditional-writes verdict; the lock is gone.
    const { seen, live } = await readPointerState(t.store, t.layout);
    expect(seen?.pointer).toMatchObject({ lock: null, journal: null, conditionalWrites: expect.any(String) });
    expect(seen?.pointer.root?.commit).toBe(COMMIT);
    expect(live?.stored).toEqual({ version: 2, root: seen?.pointer.root });
    expect((await verify(t.store, t.layout, { deep: true, concurrency: 2 })).ok).toBe(true);
  });

  it("republishing the live commit is a no-op that writes nothing", async () => {
    const t = setup();
    await publish(t.req());
    t.store.reset();
    const r = await publish(t.req());
    expect(r).toMatchObject({ noop: true, uploaded: 0, files: 4 });
    expect(t.store.calls).toEqual([`getVersioned ${t.layout.pointerKey}`]);
  });

  it("a one-file change is incremental: one upload, one shard, the root and the pointer; nothing listed", async () => {
    const t = setup();
    await publish(t.req());
    t.git.commit({ ...TREE, "src/app.js": "console.log(2)\n" });
    t.store.reset();
    const r = await publish(t.req());
    expect(r).toMatchObject({ incremental: true, uploaded: 1, copied: 0, deleted: 0, unchanged: 3 });
    expect(r.changes.uploaded).toEqual(["src/app.js"]);
    expect(t.store.calls.filter((c) => c.startsWith("list"))).toEqual([]);
    const puts = t.store.writes.filter((c) => c.startsWith("put "));
    expect(puts.filter((c) => c.includes("/shards/"))).toHaveLength(1);
    expect(puts.filter((c) => c.startsWith("put app/"))).toEqual(["put app/src/app.js"]);
    expect(t.files()["app/src/app.js"]).toBe("console.log(2)\n");
    // Five round trips: read the pointer, read the shard, take the lock (the journal in it), write
    // the file, shard and root together, move the pointer (which lets go of the lock).
    const pointer = t.layout.pointerKey;
    expect(t.store.calls.filter((c) => !c.startsWith("put "))).toEqual([
      `getVersioned ${pointer}`,
      expect.stringMatching(/^get .*\/shards\//),
      `putConditional ${pointer}`,
      `putConditional ${pointer}`,
    ]);
    expect(t.store.rounds).toBe(5);
  });

  it("a rename is a server-side copy and a delete", async () => {
    const t = setup();
    await publish(t.req());
    const { "src/app.js": app, ...rest } = TREE;
    t.git.commit({ ...rest, "lib/app.js": app! });
    const r = await publish(t.req());
    expect(r).toMatchObject({ uploaded: 0, copied: 1, deleted: 1 });
    expect(Object.keys(t.files())).not.toContain("app/src/app.js");
    expect(t.files()["app/lib/app.js"]).toBe("console.log(1)\n");
  });

  it("the ordering guard refuses an older commit and changes nothing; --force rolls back", async () => {
    const t = setup();
    await publish(t.req());
    t.git.commit({ ...TREE, "new.txt": "new\n" });
    await publish(t.req());
    const before = t.files();
    const e = await refusal(publish(t.req({ ref: COMMIT })));
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/older than the live commit/);
    expect(t.files()).toEqual(before);
    const r = await publish(t.req({ ref: COMMIT, force: true }));
    expect(r).toMatchObject({ commit: COMMIT, deleted: 1 });
    expect(Object.keys(t.files())).not.toContain("app/new.txt");
  });

  it("a commit on another line of history is refused as not a descendant", async () => {
    const t = setup();
    t.git.commit({ ...TREE, "a.txt": "a\n" });
    await publish(t.req());
    t.git.checkout(COMMIT);
    t.git.commit({ ...TREE, "b.txt": "b\n" });
    expect((await refusal(publish(t.req()))).message).toMatch(/is not an ancestor of/);
  });

  it("a dry run reports the plan and writes nothing", async () => {
    const t = setup();
    const r = await publish(t.req({ dryRun: true }));
    expect(r).toMatchObject({ dryRun: true, uploaded: 4, manifest: null });
    expect(t.store.writes).toEqual([]);
    expect(t.files()).toEqual({});
    expect(t.events.filter((e) => e.type === "plan")).toHaveLength(1);
  });

  it("bad input is refused before anything is written: an empty publish set, a symlink leaving the workspace", async () => {
    const empty = setup({ "node_modules/a.js": "x\n" });
    expect((await refusal(publish(empty.req()))).message).toMatch(/nothing to publish/);
    expect(empty.store.writes).toEqual([]);
    const outside = setup({ "a.txt": "a\n", evil: { symlink: "../../etc/passwd" } });
    expect((await refusal(publish(outside.req()))).message).toMatch(/points outside the workspace/);
    expect(outside.store.writes).toEqual([]);
  });

  it("after an interrupted publish (its journal left behind) the next one compares in full and converges", async () => {
    const t = setup();
    await publish(t.req());
    // What a publish killed after its first upload leaves: the journal, a half-written object, a stray.
    const journal = journalOf("f".repeat(40), "someone", ["index.html", "stray.txt"], ["src/app.js"]);
    await changePointer(t, (p) => ({ ...p, journal }));
    await t.store.put(t.layout.objectKey("index.html"), Buffer.from("torn"), {
      size: 4,
      md5: "",
      contentType: "text/plain",
      metadata: {},
    });
    await t.store.put(t.layout.objectKey("stray.txt"), Buffer.from("x"), {
      size: 1,
      md5: "",
      contentType: "text/plain",
      metadata: {},
    });
    const r = await publish(t.req());
    expect(r).toMatchObject({ noop: false, incremental: false });
    expect(t.warnings().some((w) => /an earlier publish of ffffffffffff was interrupted/.test(w))).toBe(true);
    expect((await readPointerState(t.store, t.layout)).seen?.pointer).toMatchObject({ lock: null, journal: null });
    expect(t.files()["app/index.html"]).toBe("<h1>hi</h1>\n");
    expect(Object.keys(t.files())).not.toContain("app/stray.txt");
    expect((await verify(t.store, t.layout, { deep: true, concurrency: 2 })).ok).toBe(true);
  });

  it("--force of the live commit rewrites a lost manifest shard", async () => {
    const t = setup();
    await publish(t.req());
    const live = (await readLive(t.store, t.layout))!;
    if (live.stored?.version !== 2) throw new Error("expected a version 2 manifest");
    await t.store.deleteMany([t.layout.shardKey(live.stored.root.shards[0]!)]);
    expect(await readLiveFiles(t.store, t.layout, live)).toBeUndefined();
    // Without the manifest nothing says what the objects hold: they are all written again.
    const r = await publish(t.req({ force: true }));
    expect(r).toMatchObject({ incremental: false, uploaded: 4, deleted: 0 });
    expect(await readLiveFiles(t.store, t.layout, (await readLive(t.store, t.layout))!)).toBeDefined();
    expect((await verify(t.store, t.layout, { deep: true, concurrency: 2 })).ok).toBe(true);
  });

  it("without the lock (--unsafe-no-lock) it says so, takes no lock and does not probe the server", async () => {
    const t = setup();
    const written: Pointer[] = [];
    const inner = t.store.inner;
    const put = inner.putConditional.bind(inner);
    inner.putConditional = (key, body, condition) => {
      written.push(parsePointer(body.toString("utf8")).pointer);
      return put(key, body, condition);
    };
    await publish(t.req({ lock: false }));
    expect(t.warnings()).toEqual([expect.stringMatching(/publishing without the lock/)]);
    expect(t.store.calls.filter((c) => c.includes("capabilities") || c.includes("probe-"))).toEqual([]);
    expect(written.map((p) => p.lock)).toEqual([null, null]);
    expect(written[0]?.journal?.writes).toHaveLength(4);
    expect((await readPointerState(t.store, t.layout)).seen?.pointer).toMatchObject({ lock: null, journal: null });
  });

  it("stops writing when another publisher took the lock and moved the pointer while it held the lock", async () => {
    const t = setup();
    await publish(t.req());
    t.git.commit({ ...TREE, "x.txt": "x\n" });
    // The second swap of the pointer is the one that moves the live commit (the first took the lock).
    beforePointerSwap(t, 2, () =>
      changePointer(t, (p) => ({
        ...p,
        commit: "e".repeat(40),
        lock: { ...p.lock!, id: "theirs", holder: "someone else" },
      })),
    );
    const e = await refusal(publish(t.req()));
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/lost the publish lock to someone else/);
    expect((await readLive(t.store, t.layout))?.pointer.commit).toBe("e".repeat(40));
  });

  it("a journal that appears between the plan and the lock (a publisher died meanwhile) is found, and the plan made again", async () => {
    const t = setup();
    await publish(t.req());
    t.git.commit({ ...TREE, "src/app.js": "console.log(2)\n" });
    beforePointerSwap(t, 1, async () => {
      const journal = journalOf("f".repeat(40), "dead", ["stray.txt"], []);
      await t.store.inner.put(t.layout.objectKey("stray.txt"), Buffer.from("x"), plain);
      await changePointer(t, (p) => ({ ...p, lock: staleLock("dead"), journal }));
    });
    const r = await publish(t.req());
    expect(r).toMatchObject({ incremental: false, uploaded: 1, deleted: 1 });
    expect(t.warnings()).toContainEqual(expect.stringMatching(/took over a stale publish lock held by dead/));
    expect(Object.keys(t.files())).not.toContain("app/stray.txt");
    expect((await verify(t.store, t.layout, { deep: true, concurrency: 2 })).ok).toBe(true);
  });

  it("a lock held when the pointer was first read: the plan is made again under the lock (its holder may have written more)", async () => {
    const t = setup();
    await publish(t.req());
    t.git.commit({ ...TREE, "src/app.js": "console.log(2)\n" });
    const journal = { ...journalOf("f".repeat(40), "dying", [], []), writes: "all" as const };
    await changePointer(t, (p) => ({ ...p, lock: staleLock("dying"), journal }));
    // The holder wrote one more object after this publisher listed the prefix, then died.
    beforePointerSwap(t, 1, () => t.store.inner.put(t.layout.objectKey("later.txt"), Buffer.from("x"), plain));
    await publish(t.req());
    expect(Object.keys(t.files())).not.toContain("app/later.txt");
    expect((await verify(t.store, t.layout, { deep: true, concurrency: 2 })).ok).toBe(true);
  });

  it("a bucket an older wspub published (version 1 pointer, lock.json, journal.json) is taken over and converted", async () => {
    const t = setup();
    await publish(t.req());
    const { live } = await readPointerState(t.store, t.layout);
    const { root } = live!.stored as { root: unknown };
    const manifest = live!.pointer.manifest;
    const v1 = { ...live!.pointer, version: 1 };
    for (const k of ["root", "conditionalWrites", "lock", "journal"]) delete (v1 as Record<string, unknown>)[k];
    await t.store.inner.put(t.layout.pointerKey, Buffer.from(JSON.stringify(v1)), plain);
    await t.store.inner.put(manifest, Buffer.from(JSON.stringify(root)), plain);
    await t.store.inner.put(t.layout.lockKey, Buffer.from(JSON.stringify(staleLock("old"))), plain);
    const old = { version: 1, commit: COMMIT, startedAt: "then", holder: "old", writes: ["x.txt"], deletes: [] };
    await t.store.inner.put(t.layout.journalKey, Buffer.from(JSON.stringify(old)), plain);
    await t.store.inner.put(t.layout.objectKey("x.txt"), Buffer.from("x"), plain);

    t.git.commit({ ...TREE, "src/app.js": "console.log(2)\n" });
    await publish(t.req());
    const keys = Object.keys(t.files());
    expect(keys).not.toContain(".wspub/app/lock.json");
    expect(keys).not.toContain(".wspub/app/journal.json");
    expect(keys).not.toContain("app/x.txt");
    expect((await readPointerState(t.store, t.layout)).seen?.pointer).toMatchObject({ version: 2, lock: null });
    expect((await verify(t.store, t.layout, { deep: true, concurrency: 2 })).ok).toBe(true);
  });
});
