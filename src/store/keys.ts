import type { ObjectStore } from "./port.js";

/** Every key under `prefix` (a listing, page after page). */
export async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys;
}

/** Those of `keys` that are objects (one read each: for a handful of small keys, a link or markers). */
export async function existingKeys(store: ObjectStore, keys: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const key of keys) if ((await store.get(key)) !== undefined) found.push(key);
  return found;
}
