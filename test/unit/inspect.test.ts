import { describe, expect, it } from "vitest";
import { silentReporter } from "../../src/events.js";
import { listWorkspaces } from "../../src/inspect/list.js";
import { repair } from "../../src/inspect/repair.js";
import { status } from "../../src/inspect/status.js";
import { verify } from "../../src/inspect/verify.js";
import { journalOf, readLegacyJournal } from "../../src/manifest/journal.js";
import { readPointerState } from "../../src/manifest/live.js";
import { serializePointer } from "../../src/manifest/pointer.js";
import { publish } from "../../src/publish/publish.js";
import { Layout } from "../../src/store/layout.js";
import { publishRequest } from "../harness/publish-request.js";
import { dirStoreFixture } from "./support/dir-fixture.js";
import { COMMIT, FakeGit } from "./support/fake-git.js";

const newStore = dirStoreFixture();
const write = { size: 0, md5: "", contentType: "text/plain", metadata: {} };

async function published() {
  const git = new FakeGit({ "a.txt": "a\n", "b/c.txt": "c\n", "d.txt": "d\n" });
  const fx = newStore();
  await publish(publishRequest({ git, store: fx.store, layout: fx.layout, concurrency: 2 }));
  return { git, ...fx };
}

describe("verify", () => {
  it("passes on what publish wrote, and names the target with its URL", async () => {
    const t = await published();
    const r = await verify(t.store, t.layout, { deep: false, concurrency: 2 });
    expect(r).toMatchObject({
      ok: true,
      checked: 3,
      commit: COMMIT,
      target: t.root,
      endpoint: null,
      interrupted: null,
    });
  });

  it("finds missing, changed and unexpected objects; --deep reads every object", async () => {
    const t = await published();
    await t.store.deleteMany([t.layout.objectKey("a.txt")]);
    await t.store.put(t.layout.objectKey("b/c.txt"), Buffer.from("C\n"), write);
    await t.store.put(t.layout.objectKey("extra.txt"), Buffer.from("x"), write);
    for (const deep of [false, true]) {
      const r = await verify(t.store, t.layout, { deep, concurrency: 2 });
      expect(r.ok).toBe(false);
      expect(r.missing.map((d) => d.object)).toEqual(["a.txt"]);
      expect(r.changed.map((d) => d.object)).toEqual(["b/c.txt"]);
      expect(r.unexpected).toEqual(["extra.txt"]);
    }
  });

  it("says when a publish was interrupted (its journal is in the pointer)", async () => {
    const t = await published();
    const seen = (await readPointerState(t.store, t.layout)).seen!;
    const journal = journalOf("e".repeat(40), "h", ["a.txt"], []);
    await t.store.put(t.layout.pointerKey, serializePointer({ ...seen.pointer, journal }), write);
    expect((await verify(t.store, t.layout, { deep: false, concurrency: 2 })).interrupted).toBe("e".repeat(40));
  });

  it("an older wspub's unreadable journal.json reads as 'anything may be dirty' (no commit, everything listed)", async () => {
    const t = await published();
    await t.store.put(t.layout.journalKey, Buffer.from('{"version": 1, "comm'), write);
    expect(await readLegacyJournal(t.store, t.layout)).toEqual({
      commit: "",
      startedAt: "",
      holder: "",
      writes: "all",
      deletes: "all",
    });
  });

  it("a workspace never published is a usage error naming the target", async () => {
    const fx = newStore();
    await expect(verify(fx.store, fx.layout, { deep: false, concurrency: 2 })).rejects.toThrow(
      new RegExp(`nothing is published for workspace "app" at ${fx.root}`),
    );
  });
});

describe("repair", () => {
  it("rewrites missing and changed objects from git and deletes unexpected ones, under the lock", async () => {
    const t = await published();
    await t.store.deleteMany([t.layout.objectKey("a.txt")]);
    await t.store.put(t.layout.objectKey("b/c.txt"), Buffer.from("C\n"), write);
    await t.store.put(t.layout.objectKey("extra.txt"), Buffer.from("x"), write);
    const drift = await verify(t.store, t.layout, { deep: false, concurrency: 2 });
    t.store.calls.length = 0;
    const r = await repair(
      {
        git: t.git,
        dir: "",
        store: t.store,
        layout: t.layout,
        reporter: silentReporter,
        env: {},
        concurrency: 2,
        holder: "fixer",
      },
      drift,
    );
    expect(r).toEqual({ rewritten: 2, deleted: 1 });
    // The lock is taken and let go of by swapping the pointer, around the writes.
    expect(t.store.writes[0]).toBe(`putConditional ${t.layout.pointerKey}`);
    expect(t.store.writes.at(-1)).toBe(`putConditional ${t.layout.pointerKey}`);
    expect((await readPointerState(t.store, t.layout)).seen?.pointer).toMatchObject({ lock: null, journal: null });
    expect((await verify(t.store, t.layout, { deep: true, concurrency: 2 })).ok).toBe(true);
    expect(t.files()["app/b/c.txt"]).toBe("c\n");
  });

  it("refuses when the live commit moved since the verify", async () => {
    const t = await published();
    const drift = await verify(t.store, t.layout, { deep: false, concurrency: 2 });
    t.git.commit({ "a.txt": "a2\n" });
    await publish(publishRequest({ git: t.git, store: t.store, layout: t.layout, concurrency: 2 }));
    const options = {
      git: t.git,
      dir: "",
      store: t.store,
      layout: t.layout,
      reporter: silentReporter,
      env: {},
      concurrency: 2,
    };
    await expect(repair({ ...options, holder: "fixer" }, drift)).rejects.toThrow(
      /the live commit changed while verifying/,
    );
  });
});

describe("status and ls", () => {
  it("status: the live commit against HEAD", async () => {
    const t = await published();
    t.git.commit({ "a.txt": "a2\n" });
    t.git.commit({ "a.txt": "a3\n" });
    const s = await status(t.store, t.layout, t.git);
    expect(s).toMatchObject({ published: true, commit: COMMIT, files: 3, behind: 2, ahead: 0, target: t.root });
  });

  it("ls: every published workspace at the target, by name; an unreadable pointer is skipped", async () => {
    const t = await published();
    const other = new Layout(t.layout.target, "zeta");
    await publish(publishRequest({ git: t.git, store: t.store, layout: other, concurrency: 2 }));
    await t.store.put(new Layout(t.layout.target, "broken").pointerKey, Buffer.from("{"), write);
    const rows = await listWorkspaces(t.store, t.layout.target, 2);
    expect(rows.map((r) => [r.workspace, r.commit, r.files])).toEqual([
      ["app", COMMIT, 3],
      ["zeta", COMMIT, 3],
    ]);
  });
});
