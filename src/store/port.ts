import type { Readable } from "node:stream";

export interface ObjectInfo {
  key: string;
  size: number;
  /** The server's ETag without quotes, when the store has one. */
  etag?: string;
  /** When the object was last written (Unix milliseconds, the server's clock), when the store says. */
  modifiedAt?: number;
}

export interface WriteOptions {
  size: number;
  /** base64 MD5 of the body: sent as Content-MD5 (the server verifies it) and kept as `md5chksum`. */
  md5: string;
  contentType: string;
  /** User metadata: mtime, md5chksum, mode (the mount reads these). */
  metadata: Record<string, string>;
}

export interface Versioned {
  body: Buffer;
  etag: string;
}

export type Condition = { ifNoneMatch: true } | { ifMatch: string };

/**
 * The object store port. Keys are full keys from the store's root (the target's prefix is part
 * of them). S3 and a local directory implement it; both lay objects out the same way.
 */
export interface ObjectStore {
  /** Whole small object, or undefined when the key does not exist. */
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, body: Buffer, options: WriteOptions): Promise<void>;
  /** A large object from a stream (multipart on S3). `open` may be called again on a retry. */
  putStream(key: string, open: () => Readable, options: WriteOptions): Promise<void>;
  /** Server-side copy of `from` to `to`, replacing metadata with `options.metadata`. */
  copy(from: string, to: string, options: WriteOptions): Promise<void>;
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Every object under `prefix`, recursively. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** The names of the "directories" directly under `prefix` (S3 common prefixes), without slashes. */
  listDirs(prefix: string): Promise<string[]>;
  read(key: string): Promise<Readable>;
  /** A small object and its version tag (ETag), for compare-and-swap. */
  getVersioned(key: string): Promise<Versioned | undefined>;
  /**
   * Writes `body` only if the key does not exist yet (`{ ifNoneMatch: true }`, S3 If-None-Match: *)
   * or still has ETag `ifMatch` (S3 If-Match). Resolves the new ETag, or "conflict" (HTTP 412/409).
   */
  putConditional(key: string, body: Buffer, condition: Condition): Promise<{ etag: string } | "conflict">;
  close(): void;
}
