import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { WspubError } from "../../src/errors.js";
import type { PublishEvent } from "../../src/events.js";
import { checkConditionalWrites } from "../../src/lock/conditional-writes.js";
import { Lease, removeLock } from "../../src/lock/lease.js";
import { type LockRecord, parseLockRecord, serializeLockRecord } from "../../src/manifest/lock-record.js";
import type { Condition } from "../../src/store/port.js";
import { dirStoreFixture } from "./support/dir-fixture.js";
import type { RecordingStore } from "./support/recording-store.js";

const newStore = dirStoreFixture();

function leaseOptions(
  fx: ReturnType<typeof newStore>,
  over: { holder?: string; waitMs?: number; env?: NodeJS.ProcessEnv } = {},
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
    },
  };
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

async function lockOf(store: RecordingStore, key: string): Promise<LockRecord | undefined> {
  const body = await store.inner.get(key);
  return body ? parseLockRecord(body) : undefined;
}

describe("Lease", () => {
  it("takes the lock with a record naming its holder, and release removes it", async () => {
    const fx = newStore();
    const lease = await Lease.acquire(leaseOptions(fx).options);
    expect(await lockOf(fx.store, fx.layout.lockKey)).toMatchObject({
      holder: "me",
      host: hostname(),
      pid: process.pid,
    });
    lease.assertHeld();
    await lease.release();
    expect(await fx.store.inner.get(fx.layout.lockKey)).toBeUndefined();
  });

  it("a lock held by a live publisher is refused at once with --lock-wait 0 (exit 3), naming the holder", async () => {
    const fx = newStore();
    const held = await Lease.acquire(leaseOptions(fx, { holder: "first" }).options);
    const e = await Lease.acquire(leaseOptions(fx, { holder: "second" }).options).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WspubError);
    expect((e as WspubError).exitCode).toBe(3);
    expect((e as WspubError).message).toMatch(/being published by first \(pid \d+ on /);
    await held.release();
  });

  it("waits for a held lock and takes it when it is released", async () => {
    const fx = newStore();
    const held = await Lease.acquire(leaseOptions(fx, { holder: "first" }).options);
    const { options, events } = leaseOptions(fx, { holder: "second", waitMs: 5_000 });
    const waiting = Lease.acquire(options);
    await sleep(150);
    await held.release();
    const second = await waiting;
    expect(events.map((e) => e.type === "notice" && e.message)).toContainEqual(
      expect.stringMatching(/waiting for the publish lock held by first/),
    );
    expect(await lockOf(fx.store, fx.layout.lockKey)).toMatchObject({ holder: "second" });
    await second.release();
  });

  it.each([
    ["expired", record({ expiresAt: Date.now() - 1 })],
    ["held by a process on this host that is gone", record({ host: hostname(), pid: 2 ** 22 + 12345 })],
  ])("takes over a lock %s, with a warning", async (_, stale) => {
    const fx = newStore();
    await fx.store.inner.put(fx.layout.lockKey, serializeLockRecord(stale), {
      size: 0,
      md5: "",
      contentType: "",
      metadata: {},
    });
    const { options, events } = leaseOptions(fx);
    const lease = await Lease.acquire(options);
    expect(events).toContainEqual({
      type: "warning",
      message: expect.stringMatching(/took over a stale publish lock held by someone/),
    });
    expect(await lockOf(fx.store, fx.layout.lockKey)).toMatchObject({ holder: "me" });
    await lease.release();
  });

  it("recognises its own create whose response was lost (the retry saw 412)", async () => {
    const fx = newStore();
    const inner = fx.store.inner;
    let first = true;
    fx.store.putConditional = async (key: string, body: Buffer, condition: Condition) => {
      const r = await inner.putConditional(key, body, condition);
      if (!first) return r;
      first = false;
      return "conflict"; // applied, but the answer never came back
    };
    const { options, events } = leaseOptions(fx);
    const lease = await Lease.acquire(options);
    expect(events).toEqual([]);
    lease.assertHeld();
    await lease.release();
    expect(await inner.get(fx.layout.lockKey)).toBeUndefined();
  });

  it("a holder whose lock was taken by another publisher learns it at its next renewal and stops", async () => {
    const fx = newStore();
    const lease = await Lease.acquire(leaseOptions(fx, { env: { WSPUB_LEASE_MS: "90" } }).options);
    await fx.store.inner.put(fx.layout.lockKey, serializeLockRecord(record({ holder: "thief" })), {
      size: 0,
      md5: "",
      contentType: "",
      metadata: {},
    });
    await sleep(120);
    expect(() => lease.assertHeld()).toThrow(/lost the publish lock to thief/);
    await lease.release();
    // A lost lease does not delete the new holder's record.
    expect(await lockOf(fx.store, fx.layout.lockKey)).toMatchObject({ holder: "thief" });
  });

  it("wspub unlock removes whatever holds the lock and says who it was", async () => {
    const fx = newStore();
    expect(await removeLock(fx.store, fx.layout)).toBeUndefined();
    await Lease.acquire(leaseOptions(fx, { holder: "gone-for-good" }).options);
    expect(await removeLock(fx.store, fx.layout)).toMatch(/^gone-for-good \(pid \d+ on /);
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
