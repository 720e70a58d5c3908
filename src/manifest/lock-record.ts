import { hostname } from "node:os";
import { type Fields, parseRecord } from "./record.js";

/**
 * Who holds a workspace's publish lock, until when: kept in the pointer (live.json) while a publish
 * runs (see lock/lease.ts). wspub before the pointer carried it kept it in lock.json.
 */
export interface LockRecord {
  /** Random per acquisition: a write whose response was lost is recognised as our own by it. */
  id: string;
  holder: string;
  host: string;
  pid: number;
  acquiredAt: string;
  /** Unix milliseconds. */
  expiresAt: number;
}

export const LOCK_FIELDS: Fields = {
  id: "string",
  holder: "string",
  host: "string",
  pid: "integer",
  acquiredAt: "string",
  expiresAt: "number",
};

/** The legacy lock.json in `body`, or undefined when it cannot be read (a lock anyone may take over). */
export function parseLockRecord(body: Buffer): LockRecord | undefined {
  try {
    return parseRecord<LockRecord>(body.toString("utf8"), LOCK_FIELDS, "the lock record");
  } catch {
    return undefined;
  }
}

/** Expired, or held by a process on this machine that is gone. */
export function isStale(record: LockRecord, now = Date.now()): boolean {
  if (record.expiresAt < now) return true;
  if (record.host !== hostname()) return false;
  try {
    process.kill(record.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export const describeHolder = (r: LockRecord) => `${r.holder} (pid ${r.pid} on ${r.host}, since ${r.acquiredAt})`;
