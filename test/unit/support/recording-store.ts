import type { Readable } from "node:stream";
import type { Condition, ObjectInfo, ObjectStore, Versioned, WriteOptions } from "../../../src/store/port.js";

/**
 * Wraps a store and records every call as `<method> <key>`, so that a test can say exactly what a
 * step read and wrote. `before` runs ahead of each call and may throw or change the store (a fault,
 * another publisher).
 */
export class RecordingStore implements ObjectStore {
  readonly calls: string[] = [];
  before: (call: string) => void | Promise<void> = () => undefined;

  constructor(readonly inner: ObjectStore) {}

  /** The calls that change the store. */
  get writes(): string[] {
    return this.calls.filter((c) => /^(put|putStream|copy|deleteMany|putConditional) /.test(c));
  }

  private async note(call: string): Promise<void> {
    this.calls.push(call);
    await this.before(call);
  }

  async get(key: string): Promise<Buffer | undefined> {
    await this.note(`get ${key}`);
    return this.inner.get(key);
  }
  async put(key: string, body: Buffer, options: WriteOptions): Promise<void> {
    await this.note(`put ${key}`);
    return this.inner.put(key, body, options);
  }
  async putStream(key: string, open: () => Readable, options: WriteOptions): Promise<void> {
    await this.note(`putStream ${key}`);
    return this.inner.putStream(key, open, options);
  }
  async copy(from: string, to: string, options: WriteOptions): Promise<void> {
    await this.note(`copy ${to}`);
    return this.inner.copy(from, to, options);
  }
  async deleteMany(keys: readonly string[]): Promise<void> {
    await this.note(`deleteMany ${keys.join(",")}`);
    return this.inner.deleteMany(keys);
  }
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    await this.note(`list ${prefix}`);
    yield* this.inner.list(prefix);
  }
  async listDirs(prefix: string): Promise<string[]> {
    await this.note(`listDirs ${prefix}`);
    return this.inner.listDirs(prefix);
  }
  async read(key: string): Promise<Readable> {
    await this.note(`read ${key}`);
    return this.inner.read(key);
  }
  async getVersioned(key: string): Promise<Versioned | undefined> {
    await this.note(`getVersioned ${key}`);
    return this.inner.getVersioned(key);
  }
  async putConditional(key: string, body: Buffer, condition: Condition): Promise<{ etag: string } | "conflict"> {
    await this.note(`putConditional ${key}`);
    return this.inner.putConditional(key, body, condition);
  }
  close(): void {
    this.inner.close();
  }
}
