import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { WspubError } from "../../src/errors.js";
import type { PublishEvent } from "../../src/events.js";
import { checkConditionalWrites } from "../../src/lock/conditional-writes.js";
import { Lease, removeLock } from "../../src/lock/lease.js";
import { type Journal, journalOf } from "../../src/manifest/journal.js";
import { readPointerState } from "../../src/manifest/live.js";
import type { LockRecord } from "../../src/manifest/lock-record.js";
import { emptyPointer, type Pointer, parsePointer, serializePointer } from "../../src/manifest/pointer.js";
import type { Condition } from "../../src/store/port.js";
import { dirStoreFixture } from "./support/dir-fixture.js";

const newStore = dirStoreFixture();

function leaseOptions(
  fx: ReturnType<typeof newStore>,
  over: { holder?: string; waitMs?: number; env?: NodeJS.ProcessEnv; lock?: boolean } = {},
) {
  const events: PublishEvent[] = [];
  return {
    events,
    options: {
      store: fx.store,
      layout: fx.layout,
      holder: over.holder ?? "me",
      reporter: { event: (e: PublishEvent) => events.push(e) },
      env: over.env ?? {},
      waitMs: over.waitMs ?? 0,
      lock: over.lock ?? true,
    },
  };
}

const C1 = "c".repeat(40);
const journal = (over: Partial<Journal> = {}): Journal => ({ ...journalOf(C1, "me", ["a.txt"], []), ...over });

/** Takes the lock the way a publish does: on the pointer as read. */
async function take(
  fx: ReturnType<typeof newStore>,
  over: Parameters<typeof leaseOptions>[1] = {},
  mine: Journal = journal({ holder: over.holder ?? "me" }),
) {
  const { options, events } = leaseOptions(fx, over);
  const { seen } = await readPointerState(fx.store, fx.layout);
  return { ...(await Lease.acquire(options, seen, mine)), events };
}

const record = (over: Partial<LockRecord> = {}): LockRecord => ({
  id: "other-id",
  holder: "someone",
  host: "elsewhere",
  pid: 12345,
  acquiredAt: "2026-01-01T00:00:00Z",
  expiresAt: Date.now() + 60_000,
  ...over,
});

const plain = { size: 0, md5: "", contentType: "", metadata: {} };

/** Polls `done` every 10 ms, for up to 10 s (timers run late on a loaded machine). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await sleep(10);
  expect(done()).toBe(true);
}

/** The pointer as stored (undefined: none). */
async function pointerOf(fx: ReturnType<typeof newStore>): Promise<Pointer | undefined> {
  const body = await fx.store.inner.get(fx.layout.pointerKey);
  return body ? parsePointer(body.toString("utf8")).pointer : undefined;
}

async function writePointer(fx: ReturnType<typeof newStore>, over: Partial<Pointer>): Promise<void> {
  await fx.store.inner.put(fx.layout.pointerKey, serializePointer({ ...emptyPointer("app"), ...over }), plain);
}

describe("Lease (the lock is kept in the pointer)", () => {
  it("takes the lock with the journal in one write to the pointer, and release removes both", async () => {
    const fx = newStore();
    fx.store.calls.length = 0;
    const { lease, interrupted } = await take(fx);
    expect(fx.store.writes).toEqual([`putConditional ${fx.layout.pointerKey}`]);
    expect(interrupted).toBeUndefined();
    expect(await pointerOf(fx)).toMatchObject({
      commit: null,
      lock: { holder: "me", host: hostname(), pid: process.pid },
      journal: { commit: C1, writes: ["a.txt"], deletes: [] },
    });
    lease.assertHeld();
    await lease.release();
    expect(await pointerOf(fx)).toMatchObject({ lock: null, journal: null });
  });

  it("a lock held by a live publisher is refused at once with --lock-wait 0 (exit 3), naming the holder", async () => {
    const fx = newStore();
    const held = await take(fx, { holder: "first" });
    const e = await take(fx, { holder: "second" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WspubError);
    expect((e as WspubError).exitCode).toBe(3);
    expect((e as WspubError).message).toMatch(/being published by first \(pid \d+ on /);
    await held.lease.release();
  });

  it("waits for a held lock and takes it when it is released", async () => {
    const fx = newStore();
    const held = await take(fx, { holder: "first" });
    const { options, events } = leaseOptions(fx, { holder: "second", waitMs: 30_000 });
    const { seen } = await readPointerState(fx.store, fx.layout);
    const waiting = Lease.acquire(options, seen, journal({ holder: "second" }));
    // It says it waits before its first pause; let go only then.
    await until(() =>
      events.some((e) => e.type === "notice" && /waiting for the publish lock held by first/.test(e.message)),
    );
    await held.lease.release();
    const second = await waiting;
    expect((await pointerOf(fx))?.lock).toMatchObject({ holder: "second" });
    await second.lease.release();
  });

  it.each([
    ["expired", record({ expiresAt: Date.now() - 1 })],
    ["held by a process on this host that is gone", record({ host: hostname(), pid: 2 ** 22 + 12345 })],
  ])("takes over a lock %s with a warning, and its journal with it", async (_, stale) => {
    const fx = newStore();
    const dead = journal({ commit: "d".repeat(40), writes: ["b.txt"], deletes: ["gone.txt"] });
    await writePointer(fx, { lock: stale, journal: dead });
    const { lease, interrupted, events } = await take(fx);
    expect(events).toContainEqual({
      type: "warning",
      message: expect.stringMatching(/took over a stale publish lock held by someone/),
    });
    expect(interrupted).toEqual(dead);
    // Both publishes' objects, and no commit: they published different ones.
    expect((await pointerOf(fx))?.journal).toMatchObject({
      commit: "",
      writes: ["b.txt", "a.txt"],
      deletes: ["gone.txt"],
    });
    expect((await pointerOf(fx))?.lock).toMatchObject({ holder: "me" });
    // A release after a failure keeps the journal: the next publish finishes both jobs.
    await lease.release(true);
    expect(await pointerOf(fx)).toMatchObject({ lock: null, journal: { writes: ["b.txt", "a.txt"] } });
  });

  it("recognises its own write whose response was lost (the retry saw 412)", async () => {
    const fx = newStore();
    const inner = fx.store.inner;
    let first = true;
    fx.store.putConditional = async (key: string, body: Buffer, condition: Condition) => {
      const r = await inner.putConditional(key, body, condition);
      if (!first) return r;
      first = false;
      return "conflict"; // applied, but the answer never came back
    };
    const { lease, events } = await take(fx);
    expect(events).toEqual([]);
    lease.assertHeld();
    await lease.release();
    expect((await pointerOf(fx))?.lock).toBeNull();
  });

  it("a holder whose lock was taken by another publisher learns it at its next renewal and stops", async () => {
    const fx = newStore();
    const { lease } = await take(fx, { env: { WSPUB_LEASE_MS: "90" } });
    await writePointer(fx, { lock: record({ holder: "thief" }) });
    // The next renewal (every 30 ms) finds the thief.
    await until(() => {
      try {
        lease.assertHeld();
        return false;
      } catch {
        return true;
      }
    });
    expect(() => lease.assertHeld()).toThrow(/lost the publish lock to thief/);
    await lease.release();
    // A lost lease does not touch the new holder's lock.
    expect((await pointerOf(fx))?.lock).toMatchObject({ holder: "thief" });
  });

  it("a renewal that landed although its response was lost: the next write goes on from it", async () => {
    const fx = newStore();
    const { lease } = await take(fx);
    const stored = (await pointerOf(fx))!;
    // What a renewal writes: the same lock, a later expiry (the holder never heard back).
    await writePointer(fx, { ...stored, lock: { ...stored.lock!, expiresAt: stored.lock!.expiresAt + 30_000 } });
    await lease.finish({ commit: C1, manifest: "m.json" }, []);
    expect(await pointerOf(fx)).toMatchObject({ commit: C1, manifest: "m.json", lock: null, journal: null });
  });

  it("a pointer moved under our lock by a write that is not ours twice in a row is refused", async () => {
    const fx = newStore();
    const { lease } = await take(fx);
    const stored = (await pointerOf(fx))!;
    const real = fx.store.putConditional.bind(fx.store);
    let n = 0;
    fx.store.putConditional = async (key, body, condition) => {
      // Before each of our swaps, something rewrites the pointer (still naming our lock).
      await writePointer(fx, { ...stored, lock: { ...stored.lock!, expiresAt: stored.lock!.expiresAt + ++n } });
      return real(key, body, condition);
    };
    const e = await lease.finish({ commit: C1 }, []).catch((x: unknown) => x);
    expect((e as WspubError).exitCode).toBe(3);
    expect(n).toBe(2);
  });

  it("finish moves the live commit; with objects to delete the lock and a journal of them stay until release", async () => {
    const fx = newStore();
    const { lease } = await take(fx);
    await lease.finish({ commit: C1, manifest: "m.json" }, ["old.txt"]);
    expect(await pointerOf(fx)).toMatchObject({
      commit: C1,
      lock: { holder: "me" },
      journal: { writes: [], deletes: ["old.txt"] },
    });
    await lease.release();
    expect(await pointerOf(fx)).toMatchObject({ commit: C1, lock: null, journal: null });

    const again = await take(fx);
    fx.store.calls.length = 0;
    await again.lease.finish({ commit: "e".repeat(40) }, []);
    expect(fx.store.writes).toEqual([`putConditional ${fx.layout.pointerKey}`]);
    expect(await pointerOf(fx)).toMatchObject({ commit: "e".repeat(40), lock: null, journal: null });
    await again.lease.release();
    expect(fx.store.writes).toHaveLength(1); // nothing left to let go of
  });

  it("--unsafe-no-lock records the journal without a lock, and refuses to publish over a held lock", async () => {
    const fx = newStore();
    const { lease } = await take(fx, { lock: false });
    expect(await pointerOf(fx)).toMatchObject({ lock: null, journal: { writes: ["a.txt"] } });
    await lease.release();
    const held = await take(fx, { holder: "first" });
    const e = await take(fx, { lock: false }).catch((x: unknown) => x);
    expect((e as WspubError).exitCode).toBe(3);
    expect((e as WspubError).message).toMatch(/--unsafe-no-lock does not publish over a held lock/);
    await held.lease.release();
  });

  it("an older wspub's lock.json is honoured while it is live, taken over when stale, and its journal finished", async () => {
    const fx = newStore();
    const legacy = { version: 1, workspace: "app", commit: C1, manifest: "m.json", previous: null };
    const v1 = { ...legacy, publishedAt: "2026-01-01T00:00:00Z", publishedBy: "old", files: 1, bytes: 1 };
    await fx.store.inner.put(fx.layout.pointerKey, Buffer.from(JSON.stringify(v1)), plain);
    await fx.store.inner.put(fx.layout.lockKey, Buffer.from(JSON.stringify(record({ holder: "old wspub" }))), plain);
    const e = await take(fx).catch((x: unknown) => x);
    expect((e as WspubError).message).toMatch(/being published by old wspub/);

    const stale = record({ holder: "old wspub", expiresAt: Date.now() - 1 });
    await fx.store.inner.put(fx.layout.lockKey, Buffer.from(JSON.stringify(stale)), plain);
    const old = {
      version: 1,
      commit: C1,
      startedAt: "2026-01-01T00:00:00Z",
      holder: "old",
      writes: ["x"],
      deletes: [],
    };
    await fx.store.inner.put(fx.layout.journalKey, Buffer.from(JSON.stringify(old)), plain);
    const { lease, interrupted } = await take(fx);
    expect(interrupted).toMatchObject({ commit: C1, writes: ["x"] });
    expect(await pointerOf(fx)).toMatchObject({ version: 2, commit: C1, lock: { holder: "me" } });
    await lease.release();
  });

  it("wspub unlock removes whatever holds the lock and says who it was; a journal stays", async () => {
    const fx = newStore();
    expect(await removeLock(fx.store, fx.layout)).toBeUndefined();
    await take(fx, { holder: "gone-for-good" });
    expect(await removeLock(fx.store, fx.layout)).toMatch(/^gone-for-good \(pid \d+ on /);
    expect(await pointerOf(fx)).toMatchObject({ lock: null, journal: { writes: ["a.txt"] } });
    await fx.store.inner.put(fx.layout.lockKey, Buffer.from(JSON.stringify(record())), plain);
    expect(await removeLock(fx.store, fx.layout)).toBe("an older wspub's lock record");
    expect(await fx.store.inner.get(fx.layout.lockKey)).toBeUndefined();
  });
});

describe("checkConditionalWrites", () => {
  it("probes a server once and caches the verdict: the next check is one GET", async () => {
    const fx = newStore();
    await checkConditionalWrites(fx.store, fx.layout);
    expect(JSON.parse((await fx.store.inner.get(fx.layout.capabilitiesKey))!.toString())).toMatchObject({
      conditionalWrites: true,
    });
    expect(Object.keys(fx.files()).filter((k) => k.includes("probe-"))).toEqual([]);
    fx.store.calls.length = 0;
    await checkConditionalWrites(fx.store, fx.layout);
    expect(fx.store.calls).toEqual([`get ${fx.layout.capabilitiesKey}`]);
  });

  it("refuses (exit 3) a server that ignores If-None-Match, and caches nothing", async () => {
    const fx = newStore();
    const inner = fx.store.inner;
    fx.store.putConditional = async (key: string, body: Buffer) => {
      await inner.put(key, body, { size: body.length, md5: "", contentType: "", metadata: {} });
      return { etag: "x" };
    };
    const e = await checkConditionalWrites(fx.store, fx.layout).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WspubError);
    expect((e as WspubError).exitCode).toBe(3);
    expect((e as WspubError).message).toMatch(
      /ignores conditional writes \(If-None-Match: \* did not stop a second create\)/,
    );
    expect(await inner.get(fx.layout.capabilitiesKey)).toBeUndefined();
  });

  it("an unreadable cached verdict is probed again, and replaced", async () => {
    const fx = newStore();
    await fx.store.inner.put(fx.layout.capabilitiesKey, Buffer.from("{cut"), {
      size: 4,
      md5: "",
      contentType: "",
      metadata: {},
    });
    fx.store.calls.length = 0;
    await checkConditionalWrites(fx.store, fx.layout);
    expect(fx.store.calls.filter((c) => c.includes("probe-")).length).toBeGreaterThan(0);
    fx.store.calls.length = 0;
    await checkConditionalWrites(fx.store, fx.layout);
    expect(fx.store.calls).toEqual([`get ${fx.layout.capabilitiesKey}`]);
  });
});
