// The usual set-up of an integration file that publishes to the test S3 server: the server's
// credentials as the only AWS settings in process.env, and a fresh bucket (with an S3Store on it)
// per test.
//
// Kept apart from seaweed.ts, which the benchmarks load with no relative imports and no vitest.

import { beforeAll } from "vitest";
import { S3Store } from "../../src/store/s3-store.js";
import { createBucket, type S3Endpoint } from "./seaweed.js";

/**
 * Registers a beforeAll that deletes every AWS_* variable from process.env (the machine's
 * credentials, profile, region, endpoint...) and sets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
 * to those of the harness's server.
 */
export function useS3Credentials(s3: S3Endpoint): void {
  beforeAll(() => {
    for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
    process.env["AWS_ACCESS_KEY_ID"] = s3.accessKeyId;
    process.env["AWS_SECRET_ACCESS_KEY"] = s3.secretAccessKey;
  });
}

let bucketCounter = 0;

/** Creates a new bucket `<prefix>-<pid>-<n>` and returns it with an S3Store on it (the caller closes it). */
export async function freshBucket(
  s3: S3Endpoint,
  prefix: string,
  concurrency: number,
): Promise<{ bucket: string; store: S3Store }> {
  const bucket = `${prefix}-${process.pid}-${++bucketCounter}`;
  await createBucket(s3, bucket);
  return { bucket, store: new S3Store({ bucket, endpoint: s3.endpoint, region: s3.region, concurrency }) };
}

/** Every object under the store's prefix as `key size etag`, sorted: two listings are equal when nothing changed. */
export async function storeListing(store: S3Store): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list("")) keys.push(`${o.key} ${o.size} ${o.etag}`);
  return keys.sort();
}
