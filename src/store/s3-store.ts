import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { Readable } from "node:stream";
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
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
import { mapS3Error } from "./s3-errors.js";
import { storeError } from "../errors.js";

export interface S3Settings {
  bucket: string;
  endpoint?: string | undefined;
  region?: string | undefined;
  /** PEM text of a CA bundle (AWS_CA_BUNDLE), already loaded and checked. */
  ca?: string | undefined;
  /** Upper bound on parallel requests; sizes the connection pool. */
  concurrency: number;
}

/** Part size for multipart uploads of large blobs. */
export const PART_SIZE = 8 * 1024 * 1024;

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
      requestHandler: new NodeHttpHandler({
        connectionTimeout: 5_000,
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets: sockets }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: sockets, ...(settings.ca ? { ca: settings.ca } : {}) }),
      }),
    });
  }

  get description(): string {
    return `s3://${this.bucket} (${this.endpointText})`;
  }

  private fail(error: unknown, action: string) {
    return mapS3Error(error, { bucket: this.bucket, endpoint: this.endpointText, action });
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (e) {
      if ((e as { name?: string }).name === "NoSuchKey") return undefined;
      throw this.fail(e, `read ${key}`);
    }
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

  async putStream(key: string, open: () => Readable, o: WriteOptions): Promise<void> {
    try {
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: key, Body: open(), ContentType: o.contentType, Metadata: o.metadata },
        partSize: PART_SIZE,
        queueSize: 4,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (e) {
      throw this.fail(e, `upload ${key}`);
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
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      let out;
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
        throw storeError(`could not delete ${errors.length} objects, e.g. ${first.Key}: ${first.Code} ${first.Message ?? ""}`);
      }
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    try {
      for await (const page of paginateListObjectsV2({ client: this.client, pageSize: 1000 }, { Bucket: this.bucket, Prefix: prefix })) {
        for (const o of page.Contents ?? []) {
          yield { key: o.Key!, size: o.Size ?? 0, ...(o.ETag ? { etag: unquote(o.ETag) } : {}) };
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

  async getVersioned(key: string): Promise<Versioned | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return { body: Buffer.from(await out.Body!.transformToByteArray()), etag: unquote(out.ETag ?? "") };
    } catch (e) {
      if ((e as { name?: string }).name === "NoSuchKey") return undefined;
      throw this.fail(e, `read ${key}`);
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
