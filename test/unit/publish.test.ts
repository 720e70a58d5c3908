import { describe, expect, it } from "vitest";
import { WspubError } from "../../src/errors.js";
import type { PublishEvent } from "../../src/events.js";
import { verify } from "../../src/inspect/verify.js";
import { readJournal, writeJournal } from "../../src/manifest/journal.js";
import { readLive, readLiveFiles } from "../../src/manifest/live.js";
import { publish } from "../../src/publish/publish.js";
import type { PublishRequest } from "../../src/publish/request.js";
import { publishRequest } from "../harness/publish-request.js";
import { dirStoreFixture } from "./support/dir-fixture.js";
import { COMMIT, FakeGit, type FakeNode } from "./support/fake-git.js";

const newStore = dirStoreFixture();

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
    expect((await verify(t.store, t.layout, { deep: true, concurrency: 2 })).ok).toBe(true);
  });

  it("republishing the live commit is a no-op that writes nothing", async () => {
    const t = setup();
    await publish(t.req());
    t.store.calls.length = 0;
    const r = await publish(t.req());
    expect(r).toMatchObject({ noop: true, uploaded: 0, files: 4 });
    expect(t.store.writes).toEqual([]);
  });

  it("a one-file change is incremental: one upload, one shard, the root and the pointer; nothing listed", async () => {
    const t = setup();
    await publish(t.req());
    t.git.commit({ ...TREE, "src/app.js": "console.log(2)\n" });
    t.store.calls.length = 0;
    const r = await publish(t.req());
    expect(r).toMatchObject({ incremental: true, uploaded: 1, copied: 0, deleted: 0, unchanged: 3 });
    expect(r.changes.uploaded).toEqual(["src/app.js"]);
    expect(t.store.calls.filter((c) => c.startsWith("list"))).toEqual([]);
    const puts = t.store.writes.filter((c) => c.startsWith("put "));
    expect(puts.filter((c) => c.includes("/shards/"))).toHaveLength(1);
    expect(puts.filter((c) => c.startsWith("put app/"))).toEqual(["put app/src/app.js"]);
    expect(t.files()["app/src/app.js"]).toBe("console.log(2)\n");
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
    await writeJournal(t.store, t.layout, {
      version: 1,
      commit: "f".repeat(40),
      startedAt: "then",
      holder: "someone",
      writes: ["index.html", "stray.txt"],
      deletes: ["src/app.js"],
    });
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
    expect(await readJournal(t.store, t.layout)).toBeUndefined();
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

  it("without the lock (--unsafe-no-lock) it says so, and takes no lock", async () => {
    const t = setup();
    await publish(t.req({ lock: false }));
    expect(t.warnings()).toEqual([expect.stringMatching(/publishing without the lock/)]);
    expect(t.store.calls.filter((c) => c.includes("lock.json"))).toEqual([]);
  });

  it("stops writing when another publisher moved the pointer while it held the lock", async () => {
    const t = setup();
    await publish(t.req());
    t.git.commit({ ...TREE, "x.txt": "x\n" });
    let moved = false;
    t.store.before = async (call) => {
      if (!moved && call === `putConditional ${t.layout.pointerKey}`) {
        moved = true;
        const text = (await t.store.inner.get(t.layout.pointerKey))!.toString().replace("tester", "someone else");
        await t.store.inner.put(t.layout.pointerKey, Buffer.from(text), {
          size: text.length,
          md5: "",
          contentType: "",
          metadata: {},
        });
      }
    };
    expect((await refusal(publish(t.req()))).message).toMatch(
      /live pointer of app changed while this publish held the lock/,
    );
  });
});
