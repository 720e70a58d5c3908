import { createHash } from "node:crypto";
import type { ObjectStore } from "../store/port.js";

/** Writes one of wspub's JSON records, with Content-MD5 (the server verifies the body). */
export async function putJson(store: ObjectStore, key: string, text: string): Promise<void> {
  const body = Buffer.from(text, "utf8");
  const md5 = createHash("md5").update(body).digest("base64");
  await store.put(key, body, { size: body.length, md5, contentType: "application/json", metadata: { md5chksum: md5 } });
}
