import { openStore } from "../store/open-store.js";
import type { ObjectStore } from "../store/port.js";
import type { Target } from "../store/target.js";

/**
 * Stores opened once and kept (a long-running `wspub watch`): every publish to the same target
 * reuses one S3 client and its warm connections instead of paying for a new client and new TLS
 * handshakes. The pool closes them all at the end.
 */
export class StorePool {
  private readonly open = new Map<string, { target: Target; store: Promise<ObjectStore> }>();

  get(target: Target, options: { concurrency: number; env: NodeJS.ProcessEnv }): Promise<ObjectStore> {
    const key = JSON.stringify([target, options.concurrency]);
    let entry = this.open.get(key);
    if (!entry) {
      entry = { target, store: openStore(target, options) };
      // A store that could not be opened (a bad CA bundle) is not kept: the next publish says why again.
      entry.store.catch(() => this.open.delete(key));
      this.open.set(key, entry);
    }
    return entry.store;
  }

  /** The targets opened so far, with their stores (for a health check). */
  async entries(): Promise<{ target: Target; store: ObjectStore }[]> {
    const out: { target: Target; store: ObjectStore }[] = [];
    for (const { target, store } of this.open.values()) {
      const opened = await store.catch(() => undefined);
      if (opened) out.push({ target, store: opened });
    }
    return out;
  }

  async closeAll(): Promise<void> {
    for (const { store } of await this.entries()) store.close();
    this.open.clear();
  }
}
