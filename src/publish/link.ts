import { createHash } from "node:crypto";
import type { Layout, Slot } from "../store/layout.js";
import { listKeys } from "../store/keys.js";
import type { ObjectStore } from "../store/port.js";
import { writeOptions } from "./content.js";

// The link of an atomic workspace (`<prefix>/<name>.rclonelink`, or `<prefix>/<name>` in the s3fs
// layout), which a mount shows as the symlink `<name>` to the live slot, and what an atomic
// workspace must not have: objects under the in-place prefix (store/layout.ts, publish/atomic.ts).

/** The slot the workspace's link names; undefined when there is no link (or it names no slot of it). */
export async function readLink(store: ObjectStore, layout: Layout): Promise<Slot | undefined> {
  const body = await store.get(layout.linkKey);
  return body === undefined ? undefined : layout.slotOfLink(body.toString("utf8"));
}

/** Points the workspace's link at `slot` (a symlink as rclone stores one; mtime: the commit's time). */
export async function writeLink(store: ObjectStore, layout: Layout, slot: Slot, mtime: number): Promise<void> {
  const body = Buffer.from(layout.linkBody(slot));
  const file = { path: layout.linkKey, mode: "120000" as const, oid: "", size: body.length };
  const md5 = createHash("md5").update(body).digest("base64");
  await store.put(layout.linkKey, body, writeOptions(file, md5, mtime));
}

/** The names of every object under the in-place prefix `<name>/` (none, once the workspace is atomic). */
export async function inPlaceObjects(store: ObjectStore, layout: Layout): Promise<string[]> {
  return (await listKeys(store, layout.filesPrefix)).map((key) => layout.nameOf(key));
}
