import { randomUUID } from "node:crypto";
import { refusedError } from "../errors.js";
import { putJson } from "../manifest/put-json.js";
import { type Fields, parseRecord } from "../manifest/record.js";
import { messages } from "../messages.js";
import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { describeTarget } from "../store/target.js";

/** The cached verdict (Layout.capabilitiesKey). */
const CAPABILITIES_FIELDS: Fields = { conditionalWrites: { literal: true }, checkedAt: "string" };

/**
 * Fails closed on servers that silently ignore conditional headers (older SeaweedFS, gofakes3
 * behind `rclone serve s3`, s3rver...): a lock on such a server would let two publishers in. Once
 * per workspace and target, a scratch object is created with If-None-Match: *, created again
 * (must be refused), and replaced with a wrong If-Match (must be refused). The verdict is cached
 * (Layout.capabilitiesKey), and the lock records it in the pointer, so later publishes pay
 * nothing. Resolves when the server was found to honour them (an ISO time).
 */
export async function checkConditionalWrites(store: ObjectStore, layout: Layout): Promise<string> {
  return (await cachedVerdict(store, layout)) ?? (await probeConditionalWrites(store, layout));
}

/** The cached verdict's time; undefined when there is none (or it cannot be read). */
export async function cachedVerdict(store: ObjectStore, layout: Layout): Promise<string | undefined> {
  return verifiedAt(await store.get(layout.capabilitiesKey));
}

/** Probes the server and caches the verdict (see checkConditionalWrites). */
export async function probeConditionalWrites(store: ObjectStore, layout: Layout): Promise<string> {
  const refuse = (detail: string) => refusedError(messages.noConditionalWrites(describeTarget(layout.target), detail));
  const id = randomUUID();
  const scratch = layout.probeKey(id);
  const body = Buffer.from(JSON.stringify({ probe: id }));
  try {
    const first = await store.putConditional(scratch, body, { ifNoneMatch: true });
    // A 412 on a key nobody else knows is our own create, retried after its response was lost.
    if (first === "conflict" && !(await store.get(scratch))?.equals(body)) {
      throw refuse("a create of a new key was refused");
    }
    if ((await store.putConditional(scratch, body, { ifNoneMatch: true })) !== "conflict") {
      throw refuse("If-None-Match: * did not stop a second create");
    }
    if ((await store.putConditional(scratch, body, { ifMatch: "0123456789abcdef0123456789abcdef" })) !== "conflict") {
      throw refuse("If-Match with a wrong ETag did not stop a write");
    }
  } finally {
    await store.deleteMany([scratch]);
  }
  const checkedAt = new Date().toISOString();
  const record = JSON.stringify({ conditionalWrites: true, checkedAt }, null, 1);
  // A plain write: every publisher that probes writes the same verdict, and it replaces an unreadable one.
  await putJson(store, layout.capabilitiesKey, `${record}\n`);
  return checkedAt;
}

function verifiedAt(cached: Buffer | undefined): string | undefined {
  if (cached === undefined) return undefined;
  try {
    return parseRecord<{ checkedAt: string }>(cached.toString("utf8"), CAPABILITIES_FIELDS, "the capabilities record")
      .checkedAt;
  } catch {
    return undefined; // unreadable: probe again
  }
}
