import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { refusedError, WspubError } from "../errors.js";
import type { Reporter } from "../events.js";
import { LEASE_MS } from "../limits.js";
import {
  describeHolder,
  isStale,
  type LockRecord,
  parseLockRecord,
  serializeLockRecord,
} from "../manifest/lock-record.js";
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
}

const leaseMs = (env: NodeJS.ProcessEnv) => Number(env["WSPUB_LEASE_MS"] ?? LEASE_MS);

/**
 * The publish lock of one workspace (Layout.lockKey), taken with a conditional create
 * (If-None-Match: *) and renewed with compare-and-swap (If-Match), so two publishers never both
 * believe they hold it. A lease that expired, or whose holder was a process on this machine that
 * is gone, is taken over with If-Match on the stale record. A write whose response was lost and
 * whose retry saw 412 is recognised by the record's id as our own.
 */
export class Lease {
  private lost: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly o: LeaseOptions,
    private readonly record: LockRecord,
    private etag: string,
  ) {}

  static async acquire(o: LeaseOptions): Promise<Lease> {
    const key = o.layout.lockKey;
    const ms = leaseMs(o.env);
    const record: LockRecord = {
      id: randomUUID(),
      holder: o.holder,
      host: hostname(),
      pid: process.pid,
      acquiredAt: new Date().toISOString(),
      expiresAt: Date.now() + ms,
    };
    const deadline = Date.now() + o.waitMs;
    let delay = 100;
    let told = false;
    for (;;) {
      record.expiresAt = Date.now() + ms;
      const body = serializeLockRecord(record);
      const created = await o.store.putConditional(key, body, { ifNoneMatch: true });
      if (created !== "conflict") return new Lease(o, record, created.etag).start();
      const current = await o.store.getVersioned(key);
      if (!current) continue; // released in between
      const other = parseLockRecord(current.body);
      if (other?.id === record.id) return new Lease(o, record, current.etag).start(); // our own write, response lost
      if (!other || isStale(other)) {
        const taken = await o.store.putConditional(key, body, { ifMatch: current.etag });
        if (taken !== "conflict") {
          const whose = other ? ` held by ${describeHolder(other)}` : "";
          o.reporter.event({ type: "warning", message: `took over a stale publish lock${whose}` });
          return new Lease(o, record, taken.etag).start();
        }
        continue;
      }
      if (Date.now() >= deadline) throw refusedError(messages.lockHeld(describeHolder(other), o.layout.workspace));
      if (!told) {
        o.reporter.event({ type: "notice", message: `waiting for the publish lock held by ${describeHolder(other)}` });
        told = true;
      }
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      delay = Math.min(delay * 2, 2_000);
    }
  }

  /** Throws if the lease was lost: a publisher that lost it must stop writing. */
  assertHeld(): void {
    if (this.lost !== undefined) throw new WspubError("refused", messages.lockLost(this.lost));
  }

  /**
   * Lets go of the lock. The publish is complete by now, so a failure here is a warning: the
   * record names a process that is gone (taken over at once on this host) and expires anyway.
   */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.renewing;
    if (this.lost !== undefined) return;
    try {
      const current = await this.o.store.getVersioned(this.o.layout.lockKey);
      if (current && parseLockRecord(current.body)?.id === this.record.id) {
        trace(this.o.env, `release ${this.record.id} ${Date.now()}`);
        await this.o.store.deleteMany([this.o.layout.lockKey]);
      }
    } catch (e) {
      this.o.reporter.event({
        type: "warning",
        message: `could not release the publish lock (${(e as Error).message}); it expires by itself`,
      });
    }
  }

  private start(): this {
    trace(this.o.env, `acquire ${this.record.id} ${Date.now()}`);
    this.timer = setInterval(() => {
      this.renewing = this.renew().catch(() => undefined);
    }, leaseMs(this.o.env) / 3);
    this.timer.unref();
    return this;
  }

  private async renew(): Promise<void> {
    if (this.lost !== undefined) return;
    const next = { ...this.record, expiresAt: Date.now() + leaseMs(this.o.env) };
    const key = this.o.layout.lockKey;
    try {
      const r = await this.o.store.putConditional(key, serializeLockRecord(next), { ifMatch: this.etag });
      if (r !== "conflict") {
        this.etag = r.etag;
        this.record.expiresAt = next.expiresAt;
        return;
      }
      const current = await this.o.store.getVersioned(key);
      const holder = current ? parseLockRecord(current.body) : undefined;
      if (current && holder?.id === this.record.id) {
        this.etag = current.etag; // our renewal landed; its response did not
        this.record.expiresAt = holder.expiresAt;
        return;
      }
      this.lost = holder ? describeHolder(holder) : "nobody (the lock was removed, e.g. by wspub unlock)";
    } catch {
      // A failed renewal is retried at the next tick; past the expiry the lease counts as lost.
      if (Date.now() > this.record.expiresAt) this.lost = "expiry (renewals failed)";
    }
  }
}

/** WSPUB_LOCK_TRACE=<file>: the tests' record of who held the lock when. */
function trace(env: NodeJS.ProcessEnv, line: string): void {
  const file = env["WSPUB_LOCK_TRACE"];
  if (file) appendFileSync(file, `${line}\n`);
}

/** `wspub unlock`: removes the lock whatever holds it. Returns who held it, or undefined when nobody did. */
export async function removeLock(store: ObjectStore, layout: Layout): Promise<string | undefined> {
  const current = await store.getVersioned(layout.lockKey);
  if (!current) return undefined;
  const record = parseLockRecord(current.body);
  await store.deleteMany([layout.lockKey]);
  return record ? describeHolder(record) : "an unreadable lock record";
}
