import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Readable } from "node:stream";
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  type DeleteObjectsCommandOutput,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { createHash } from "node:crypto";
import type { Condition, ObjectInfo, ObjectStore, Versioned, WriteOptions } from "./port.js";
import { MultipartEtag } from "./multipart-etag.js";
import { mapS3Error } from "./s3-errors.js";
import { storeError } from "../errors.js";
import {
  DELETE_BATCH,
  PART_SIZE,
  S3_CONNECT_TIMEOUT_MS,
  S3_REQUEST_TIMEOUT_MS,
  SMALL_READ_ATTEMPTS,
} from "../limits.js";

export interface S3Settings {
  bucket: string;
  endpoint?: string | undefined;
  region?: string | undefined;
  /** PEM text of a CA bundle (AWS_CA_BUNDLE), already loaded and checked. */
  ca?: string | undefined;
  /** Upper bound on parallel requests; sizes the connection pool. */
  concurrency: number;
}

const unquote = (etag: string) => etag.replace(/"/g, "");
const quote = (etag: string) => `"${unquote(etag)}"`;

export class S3Store implements ObjectStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly endpointText: string;

  constructor(settings: S3Settings) {
    this.bucket = settings.bucket;
    this.endpointText = settings.endpoint ?? "AWS S3";
    const sockets = Math.max(8, settings.concurrency * 2);
    this.client = new S3Client({
      ...(settings.region ? { region: settings.region } : {}),
      ...(settings.endpoint ? { endpoint: settings.endpoint, forcePathStyle: true } : {}),
      // Flexible checksums (CRC32 trailers) are not understood by every S3-compatible server;
      // integrity comes from Content-MD5 on every PutObject instead.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      // Resolve each command's middleware stack once per command class instead of per request
      // (the SDK's documented option; wspub never changes a stack after the client is made). It
      // saves a little CPU per request; it did not measurably change a first publish's memory.
      cacheMiddleware: true,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: S3_CONNECT_TIMEOUT_MS,
        // A server that accepts a connection and then says nothing must not hang a publish forever.
        requestTimeout: S3_REQUEST_TIMEOUT_MS,
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets: sockets }),
        httpsAgent: new HttpsAgent({
          keepAlive: true,
          maxSockets: sockets,
          ...(settings.ca ? { ca: settings.ca } : {}),
        }),
      }),
    });
  }

  private fail(error: unknown, action: string) {
    return mapS3Error(error, { bucket: this.bucket, endpoint: this.endpointText, action });
  }

  async get(key: string): Promise<Buffer | undefined> {
    return (await this.getVersioned(key))?.body;
  }

  async put(key: string, body: Buffer, o: WriteOptions): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: o.size,
          ContentMD5: o.md5,
          ContentType: o.contentType,
          Metadata: o.metadata,
        }),
      );
    } catch (e) {
      throw this.fail(e, `upload ${key}`);
    }
  }

  /**
   * A large object through lib-storage's multipart Upload, each part with a server-verified CRC32.
   * As a second check the bytes sent are hashed part by part and the ETag the server computed is
   * compared with the expected `md5(part md5s)-N`; on a mismatch the object is read back and its
   * MD5 compared with the file's (servers with SSE-KMS do not use MD5 ETags). A corrupted upload
   * fails the publish before the pointer moves, and the journal makes the next run rewrite it.
   */
  async putStream(key: string, open: () => Readable, o: WriteOptions): Promise<void> {
    const tap = new MultipartEtag(PART_SIZE);
    const source = open();
    source.on("error", (e) => tap.destroy(e));
    let etag: string;
    try {
      const upload = new Upload({
        client: this.client,
        // Every part carries a CRC32 that the server verifies (x-amz-checksum-crc32): a part
        // damaged in transit is refused, and the upload is aborted instead of stored.
        params: {
          Bucket: this.bucket,
          Key: key,
          Body: source.pipe(tap),
          ContentType: o.contentType,
          Metadata: o.metadata,
          ChecksumAlgorithm: "CRC32",
        },
        partSize: PART_SIZE,
        queueSize: 4,
        leavePartsOnError: false,
      });
      etag = unquote((await upload.done()).ETag ?? "");
    } catch (e) {
      throw this.fail(e, `upload ${key}`);
    }
    const expected = tap.expected();
    if (etag === expected) return;
    const md5 = createHash("md5");
    for await (const chunk of await this.read(key)) md5.update(chunk as Buffer);
    if (md5.digest("base64") !== o.md5) {
      throw storeError(
        `the upload of ${key} arrived corrupted (the server's ETag ${etag} is not the ${expected} of the bytes ` +
          `sent): run wspub push again`,
      );
    }
  }

  async copy(from: string, to: string, o: WriteOptions): Promise<void> {
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: to,
          // CopySource is not encoded by the SDK: encode each segment, keep the slashes.
          CopySource: `${this.bucket}/${from.split("/").map(encodeURIComponent).join("/")}`,
          MetadataDirective: "REPLACE",
          ContentType: o.contentType,
          Metadata: o.metadata,
        }),
      );
    } catch (e) {
      throw this.fail(e, `copy ${from} to ${to}`);
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      let out: DeleteObjectsCommandOutput;
      try {
        out = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      } catch (e) {
        throw this.fail(e, `delete ${batch.length} objects`);
      }
      const errors = out.Errors ?? [];
      if (errors.length > 0) {
        const first = errors[0]!;
        throw storeError(
          `could not delete ${errors.length} objects, e.g. ${first.Key}: ${first.Code} ${first.Message ?? ""}`,
        );
      }
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.client, pageSize: 1000 },
        { Bucket: this.bucket, Prefix: prefix },
      )) {
        for (const o of page.Contents ?? []) {
          const etag = o.ETag ? { etag: unquote(o.ETag) } : {};
          yield {
            key: o.Key!,
            size: o.Size ?? 0,
            ...etag,
            ...(o.LastModified ? { modifiedAt: o.LastModified.getTime() } : {}),
          };
        }
      }
    } catch (e) {
      throw this.fail(e, `list ${prefix}`);
    }
  }

  async listDirs(prefix: string): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: "/", ContinuationToken: token }),
        );
        for (const p of out.CommonPrefixes ?? []) names.push(p.Prefix!.slice(prefix.length).replace(/\/$/, ""));
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw this.fail(e, `list ${prefix}`);
    }
    return names.sort();
  }

  async read(key: string): Promise<Readable> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body as Readable;
    } catch (e) {
      throw this.fail(e, `read ${key}`);
    }
  }

  /**
   * GET of a small object, with up to three attempts: the SDK retries a request that fails before
   * the response headers, but not a body cut short afterwards (a reset, a truncated response).
   */
  async getVersioned(key: string): Promise<Versioned | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        const body = Buffer.from(await out.Body!.transformToByteArray());
        if (out.ContentLength !== undefined && body.length !== out.ContentLength) {
          throw Object.assign(new Error(`response body cut short (${body.length} of ${out.ContentLength} bytes)`), {
            name: "TruncatedBody",
          });
        }
        return { body, etag: unquote(out.ETag ?? "") };
      } catch (e) {
        if ((e as { name?: string }).name === "NoSuchKey") return undefined;
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        const answered = status !== undefined && status < 500;
        if (!answered && attempt < SMALL_READ_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, 100 * attempt));
          continue;
        }
        throw this.fail(e, `read ${key}`);
      }
    }
  }

  async putConditional(key: string, body: Buffer, condition: Condition): Promise<{ etag: string } | "conflict"> {
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: createHash("md5").update(body).digest("base64"),
          ContentType: "application/json",
          ...("ifMatch" in condition ? { IfMatch: quote(condition.ifMatch) } : { IfNoneMatch: "*" }),
        }),
      );
      return { etag: unquote(out.ETag ?? "") };
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      // 412 Precondition Failed; 409 ConditionalRequestConflict when another conditional write races (AWS).
      if (status === 412 || status === 409) return "conflict";
      throw this.fail(e, `write ${key}`);
    }
  }

  close(): void {
    this.client.destroy();
  }
}
