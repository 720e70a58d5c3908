import type { Readable } from "node:stream";
import type { Condition, ObjectInfo, ObjectStore, Versioned, WriteOptions } from "../../../src/store/port.js";

/**
 * Wraps a store and records every call as `<method> <key>`, so that a test can say exactly what a
 * step read and wrote. `before` runs ahead of each call and may throw or change the store (a fault,
 * another publisher).
 *
 * It also counts sequential round trips without a clock: a call is in round 1 + the highest round
 * of the calls that had completed when it started (it may have waited for them); `rounds` is the
 * highest round reached. Calls started together, before any of them completed, share a round.
 */
export class RecordingStore implements ObjectStore {
  readonly calls: string[] = [];
  before: (call: string) => void | Promise<void> = () => undefined;
  private completed = 0;
  private reached = 0;

  constructor(readonly inner: ObjectStore) {}

  /** The calls that change the store. */
  get writes(): string[] {
    return this.calls.filter((c) => /^(put|putStream|copy|deleteMany|putConditional) /.test(c));
  }

  /** Sequential round trips since the last reset. */
  get rounds(): number {
    return this.reached;
  }

  /** Forgets the calls and rounds so far. */
  reset(): void {
    this.calls.length = 0;
    this.completed = 0;
    this.reached = 0;
  }

  private async track<T>(call: string, run: () => Promise<T>): Promise<T> {
    const round = this.completed + 1;
    this.reached = Math.max(this.reached, round);
    this.calls.push(call);
    try {
      await this.before(call);
      return await run();
    } finally {
      this.completed = Math.max(this.completed, round);
    }
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.track(`get ${key}`, () => this.inner.get(key));
  }
  put(key: string, body: Buffer, options: WriteOptions): Promise<void> {
    return this.track(`put ${key}`, () => this.inner.put(key, body, options));
  }
  putStream(key: string, open: () => Readable, options: WriteOptions): Promise<void> {
    return this.track(`putStream ${key}`, () => this.inner.putStream(key, open, options));
  }
  copy(from: string, to: string, options: WriteOptions): Promise<void> {
    return this.track(`copy ${to}`, () => this.inner.copy(from, to, options));
  }
  deleteMany(keys: readonly string[]): Promise<void> {
    return this.track(`deleteMany ${keys.join(",")}`, () => this.inner.deleteMany(keys));
  }
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const all: ObjectInfo[] = [];
    await this.track(`list ${prefix}`, async () => {
      for await (const o of this.inner.list(prefix)) all.push(o);
    });
    yield* all;
  }
  listDirs(prefix: string): Promise<string[]> {
    return this.track(`listDirs ${prefix}`, () => this.inner.listDirs(prefix));
  }
  read(key: string): Promise<Readable> {
    return this.track(`read ${key}`, () => this.inner.read(key));
  }
  getVersioned(key: string): Promise<Versioned | undefined> {
    return this.track(`getVersioned ${key}`, () => this.inner.getVersioned(key));
  }
  putConditional(key: string, body: Buffer, condition: Condition): Promise<{ etag: string } | "conflict"> {
    return this.track(`putConditional ${key}`, () => this.inner.putConditional(key, body, condition));
  }
  close(): void {
    this.inner.close();
  }
}
