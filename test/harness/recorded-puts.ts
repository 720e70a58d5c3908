import type { ObjectStore, WriteOptions } from "../../src/store/port.js";

/** One `put` a store was asked for: the key, the mode metadata the mount reads, the content type and size. */
export interface RecordedPut {
  key: string;
  mode: string | undefined;
  type: string;
  size: number;
}

/** The store, passing every call through, and the puts made through it (what a publish sends, whatever the server keeps). */
export function recordingPuts(inner: ObjectStore): { store: ObjectStore; puts: RecordedPut[] } {
  const puts: RecordedPut[] = [];
  const store = new Proxy(inner, {
    get: (target, prop, receiver) =>
      prop === "put"
        ? (key: string, body: Buffer, o: WriteOptions) => {
            puts.push({ key, mode: o.metadata["mode"], type: o.contentType, size: body.length });
            return target.put(key, body, o);
          }
        : Reflect.get(target, prop, receiver),
  });
  return { store, puts };
}
