import { randomUUID } from "node:crypto";
import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { refusedError } from "../errors.js";
import { messages } from "../messages.js";

/**
 * Fails closed on servers that silently ignore conditional headers (older SeaweedFS, gofakes3
 * behind `rclone serve s3`, s3rver...): a lock on such a server would let two publishers in. Once
 * per workspace and target, a scratch object is created with If-None-Match: *, created again
 * (must be refused), and replaced with a wrong If-Match (must be refused). The verdict is cached in
 * `<prefix>/.wspub/<name>/capabilities.json` so later publishes pay nothing.
 */
export async function checkConditionalWrites(store: ObjectStore, layout: Layout): Promise<void> {
  const cacheKey = `${layout.metaPrefix}capabilities.json`;
  const cached = await store.get(cacheKey);
  if (cached?.toString("utf8").includes('"conditionalWrites": true')) return;
  const id = randomUUID();
  const scratch = `${layout.metaPrefix}probe-${id}.json`;
  const body = Buffer.from(JSON.stringify({ probe: id }));
  try {
    const first = await store.putConditional(scratch, body, { ifNoneMatch: true });
    // A 412 on a key nobody else knows is our own create, retried after its response was lost.
    if (first === "conflict" && !(await store.get(scratch))?.equals(body)) {
      throw refusedError(messages.noConditionalWrites(store.description, "a create of a new key was refused"));
    }
    if ((await store.putConditional(scratch, body, { ifNoneMatch: true })) !== "conflict") {
      throw refusedError(
        messages.noConditionalWrites(store.description, "If-None-Match: * did not stop a second create"),
      );
    }
    if ((await store.putConditional(scratch, body, { ifMatch: "0123456789abcdef0123456789abcdef" })) !== "conflict") {
      throw refusedError(
        messages.noConditionalWrites(store.description, "If-Match with a wrong ETag did not stop a write"),
      );
    }
  } finally {
    await store.deleteMany([scratch]);
  }
  const record = Buffer.from(
    `${JSON.stringify({ conditionalWrites: true, checkedAt: new Date().toISOString() }, null, 1)}\n`,
  );
  await store.putConditional(cacheKey, record, { ifNoneMatch: true });
}
