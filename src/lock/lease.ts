import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { refusedError, WspubError } from "../errors.js";
import type { Reporter } from "../events.js";
import { LEASE_MS } from "../limits.js";
import { type Journal, journalNames, mergeJournals } from "../manifest/journal.js";
import { readPointerState } from "../manifest/live.js";
import { describeHolder, isStale, type LockRecord } from "../manifest/lock-record.js";
import { emptyPointer, parsePointer, type Pointer, type Seen, serializePointer } from "../manifest/pointer.js";
import { messages } from "../messages.js";
import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";

export interface LeaseOptions {
  store: ObjectStore;
  layout: Layout;
  holder: string;
  reporter: Reporter;
  /** WSPUB_LEASE_MS (tests shorten the lease) and WSPUB_LOCK_TRACE. */
  env: NodeJS.ProcessEnv;
  /** Give up waiting for a held lock after this long (0: do not wait). */
  waitMs: number;
  /** false with --unsafe-no-lock: the journal is recorded, no lock is taken or honoured. */
  lock: boolean;
  /** A preview's first publish: what it previews, in the pointer from the moment the lock is taken. */
  preview?: Pointer["preview"] | undefined;
  /** When the server was found to honour conditional writes, recorded in the pointer. */
  verified?: string | undefined;
}

const leaseMs = (env: NodeJS.ProcessEnv) => Number(env["WSPUB_LEASE_MS"] ?? LEASE_MS);

/**
 * The publish lock of one workspace, kept in its pointer (live.json): taking it, renewing it,
 * recording the journal, moving the live commit and letting go are all compare-and-swaps of that
 * one object on its ETag. So taking the lock also proves that nobody moved the live commit since
 * the publisher read it, and costs one request with the journal in it. A lock that expired, or
 * whose holder was a process on this machine that is gone, is taken over (its journal with it). A
 * write whose response was lost and whose retry saw 412 is recognised as our own by its content.
 */
export class Lease {
  private lost: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly o: LeaseOptions,
    private current: Pointer,
    private etag: string,
  ) {}

  /** The pointer as this lease last wrote it, and its ETag (its live part is what the publish builds on). */
  get seen(): Seen {
    return { pointer: this.current, etag: this.etag };
  }

  /**
   * Takes the lock with `journal` in it. `seen` is the pointer as the caller read it (read again if
   * the first swap fails). Returns the journal of a publish that died, taken over with its lock.
   */
  static async acquire(
    o: LeaseOptions,
    seen: Seen | undefined,
    journal: Journal,
  ): Promise<{ lease: Lease; interrupted: Journal | undefined }> {
    const { store, layout } = o;
    const record: LockRecord | null = o.lock ? newRecord(o.holder, leaseMs(o.env)) : null;
    const deadline = Date.now() + o.waitMs;
    let delay = 100;
    let told = false;
    let state: Seen | undefined = seen;
    for (let fresh = false; ; fresh = true) {
      if (fresh) state = await readPointer(store, layout);
      const held = state?.pointer.lock;
      if (held && held.id !== record?.id && !isStale(held)) {
        if (!o.lock) throw refusedError(messages.lockHeldUnsafe(describeHolder(held), layout.workspace));
        if (Date.now() >= deadline) throw refusedError(messages.lockHeld(describeHolder(held), layout.workspace));
        if (!told)
          o.reporter.event({ type: "notice", message: `waiting for the publish lock held by ${describeHolder(held)}` });
        told = true;
        await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
        delay = Math.min(delay * 2, 2_000);
        continue;
      }
      const interrupted = state?.pointer.journal ?? undefined;
      if (record) record.expiresAt = Date.now() + leaseMs(o.env);
      // A first publish's pointer says at once what the workspace previews (prune and delete events see it).
      const base = state?.pointer ?? { ...emptyPointer(layout.workspace), preview: o.preview ?? null };
      const next: Pointer = {
        ...base,
        conditionalWrites: o.verified ?? base.conditionalWrites,
        lock: record,
        journal: interrupted ? mergeJournals(interrupted, journal) : journal,
      };
      const body = serializePointer(next);
      const r = await store.putConditional(
        layout.pointerKey,
        body,
        state ? { ifMatch: state.etag } : { ifNoneMatch: true },
      );
      let etag: string | undefined = r === "conflict" ? undefined : r.etag;
      if (etag === undefined) {
        // Our own write whose response was lost, retried and answered 412?
        const now = await store.getVersioned(layout.pointerKey);
        if (now?.body.equals(body)) etag = now.etag;
      }
      if (etag === undefined) continue;
      if (held && record && held.id !== record.id) {
        o.reporter.event({
          type: "warning",
          message: `took over a stale publish lock held by ${describeHolder(held)}`,
        });
      }
      const lease = new Lease(o, next, etag);
      lease.start();
      return { lease, interrupted };
    }
  }

  /** Throws if the lease was lost: a publisher that lost it must stop writing. */
  assertHeld(): void {
    if (this.lost !== undefined) throw new WspubError("refused", messages.lockLost(this.lost));
  }

  /**
   * Says nothing is live any more, keeping the lock and the journal (a workspace being removed: if
   * the removal is cut short, the next publish is a first publish over whatever is left).
   */
  unpublish(): Promise<void> {
    const nothing = { commit: null, manifest: null, previous: null, publishedAt: null, publishedBy: null };
    return this.swap((p) => ({ ...p, ...nothing, files: 0, bytes: 0, root: null, slot: null }));
  }

  /** Replaces the journal (a plan made again under the lock). */
  setJournal(journal: Journal): Promise<void> {
    return this.swap((p) => ({ ...p, journal }));
  }

  /**
   * Moves the live commit: writes `live` into the pointer. With objects still to delete, the lock
   * and a journal of those deletes stay until `release`; otherwise the lock goes with this write.
   */
  finish(live: Partial<Pointer>, deletes: readonly string[]): Promise<void> {
    if (deletes.length === 0) {
      this.stopRenewals();
      this.traceRelease();
    }
    return this.swap((p) => {
      const pending =
        deletes.length > 0 && p.journal ? { ...p.journal, writes: [], deletes: journalNames(deletes) } : null;
      return { ...p, ...live, lock: pending ? p.lock : null, journal: pending };
    });
  }

  /**
   * Lets go: the lock, and the journal unless `keepJournal` (a publish that stopped after it may
   * have written: the next one finishes the job). A failure here is a warning: the lock expires.
   */
  async release(keepJournal = false): Promise<void> {
    this.stopRenewals();
    if (this.lost !== undefined || (this.current.lock === null && this.current.journal === null)) return;
    try {
      this.traceRelease();
      await this.swap((p) => ({ ...p, lock: null, journal: keepJournal ? p.journal : null }));
    } catch (e) {
      const message = `could not release the publish lock (${(e as Error).message}); it expires by itself`;
      this.o.reporter.event({ type: "warning", message });
    }
  }

  /** Stops renewing (the lease then expires by itself, unless released). */
  stopRenewals(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Traced before the write that lets go: another publisher may take the lock the moment it lands. */
  private traceRelease(): void {
    if (this.current.lock) trace(this.o.env, `release ${this.current.lock.id} ${Date.now()}`);
  }

  private start(): void {
    trace(this.o.env, `acquire ${this.current.lock?.id ?? "-"} ${Date.now()}`);
    if (!this.current.lock) return;
    this.timer = setInterval(() => {
      this.renew().catch(() => undefined);
    }, leaseMs(this.o.env) / 3);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (!this.current.lock) return;
    const expiresAt = Date.now() + leaseMs(this.o.env);
    try {
      await this.swap((p) => (p.lock ? { ...p, lock: { ...p.lock, expiresAt } } : p));
    } catch {
      // Retried at the next tick; past the expiry the lease counts as lost.
      if (this.current.lock && Date.now() > this.current.lock.expiresAt) this.lost ??= "expiry (renewals failed)";
    }
  }

  /**
   * One compare-and-swap of the pointer, after the ones before it (renewals and the publish never
   * race each other). A 412 whose pointer holds exactly what we sent is our own write, its
   * response lost; one that no longer holds our lock means we lost it.
   */
  private swap(change: (p: Pointer) => Pointer): Promise<void> {
    const run = async () => {
      for (let attempt = 1; ; attempt++) {
        this.assertHeld();
        const next = change(this.current);
        const body = serializePointer(next);
        const { store, layout } = this.o;
        const r = await store.putConditional(layout.pointerKey, body, { ifMatch: this.etag });
        if (r !== "conflict") {
          this.current = next;
          this.etag = r.etag;
          return;
        }
        const now = await store.getVersioned(layout.pointerKey);
        if (now?.body.equals(body)) {
          this.current = next;
          this.etag = now.etag;
          return;
        }
        const ours = this.current.lock;
        const theirs = now ? lockIn(now.body) : null;
        if (ours && now && theirs?.id === ours.id && attempt === 1) {
          // Still our lock, yet not what we last knew: an earlier write of ours (a renewal whose
          // response was lost) landed. Nobody else writes under our lock: go on from it.
          this.current = parsePointer(now.body.toString("utf8")).pointer;
          this.etag = now.etag;
          continue;
        }
        if (ours && theirs?.id !== ours.id) {
          this.lost = theirs ? describeHolder(theirs) : "nobody (the lock was removed, e.g. by wspub unlock)";
        } else if (!ours) {
          this.lost = "another publisher, which moved the pointer (publishing without the lock)";
        }
        this.assertHeld();
        throw refusedError(messages.pointerMoved(layout.workspace));
      }
    };
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }
}

/** The lock a pointer holds (null when none, or when the pointer cannot be read). */
function lockIn(body: Buffer): LockRecord | null {
  try {
    return parsePointer(body.toString("utf8")).pointer.lock;
  } catch {
    return null;
  }
}

function newRecord(holder: string, ms: number): LockRecord {
  return {
    id: randomUUID(),
    holder,
    host: hostname(),
    pid: process.pid,
    acquiredAt: new Date().toISOString(),
    expiresAt: Date.now() + ms,
  };
}

/** The pointer and its ETag (an older wspub's lock and journal read into it); undefined when there is none. */
async function readPointer(store: ObjectStore, layout: Layout): Promise<Seen | undefined> {
  return (await readPointerState(store, layout)).seen;
}

/** WSPUB_LOCK_TRACE=<file>: the tests' record of who held the lock when. */
function trace(env: NodeJS.ProcessEnv, line: string): void {
  const file = env["WSPUB_LOCK_TRACE"];
  if (file) appendFileSync(file, `${line}\n`);
}

/**
 * `wspub unlock`: removes the lock whatever holds it (a journal stays: the next publish finishes
 * that job), and the lock record of an older wspub. Returns who held it, or undefined.
 */
export async function removeLock(store: ObjectStore, layout: Layout): Promise<string | undefined> {
  const legacy = await store.getVersioned(layout.lockKey);
  if (legacy) await store.deleteMany([layout.lockKey]);
  for (;;) {
    const seen = await readPointer(store, layout);
    const lock = seen?.pointer.lock;
    if (!seen || !lock) return legacy ? "an older wspub's lock record" : undefined;
    const r = await store.putConditional(layout.pointerKey, serializePointer({ ...seen.pointer, lock: null }), {
      ifMatch: seen.etag,
    });
    if (r !== "conflict") return describeHolder(lock);
  }
}
