// A counting HTTP proxy in front of the S3 server: every tool is pointed at it for one counted
// run per case, and it tallies the S3 operations the tool made (by method and S3 operation, from
// the method, the path and the query string, as S3 routes them).
//
// Requests are forwarded byte for byte (headers unchanged, including Host, so SigV4 signatures
// still verify; bodies and responses streamed), to 127.0.0.1 only. It runs inside the benchmark's
// own process, which is otherwise idle while a tool runs.

import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { appendFileSync } from "node:fs";
import type { AddressInfo } from "node:net";

/** S3 operations a sync tool uses, plus a catch-all. */
export type S3Op =
  | "ListBuckets"
  | "ListObjectsV2"
  | "ListObjects"
  | "HeadBucket"
  | "GetBucketLocation"
  | "CreateBucket"
  | "BucketOther"
  | "HeadObject"
  | "GetObject"
  | "PutObject"
  | "CopyObject"
  | "DeleteObject"
  | "DeleteObjects"
  | "CreateMultipartUpload"
  | "UploadPart"
  | "UploadPartCopy"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload"
  | "ListMultipartUploads"
  | "Other";

export interface Counts {
  total: number;
  byOp: Partial<Record<S3Op, number>>;
  byMethod: Record<string, number>;
  /** Responses with status >= 400 (a HEAD of a missing object is one), by status. */
  errors: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  /**
   * Sequential round trips, counted without a clock: a request is in round 1 + the highest round
   * of the responses already complete when it arrived (it may have waited for them); this is the
   * highest round reached. Requests sent together share a round.
   */
  rounds: number;
  /** The highest round of a complete response (internal to the count). */
  completed: number;
}

export const emptyCounts = (): Counts => ({
  total: 0,
  byOp: {},
  byMethod: {},
  errors: {},
  bytesIn: 0,
  bytesOut: 0,
  rounds: 0,
  completed: 0,
});

/** The S3 operation of a path-style request (`/bucket/key?query`). */
export function classify(method: string, url: string, headers: IncomingMessage["headers"]): S3Op {
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
  // The AWS SDKs add ?x-id=<Operation> to object requests; it does not change the operation.
  query.delete("x-id");
  const segments = path.split("/").filter(Boolean);
  const m = method.toUpperCase();
  if (segments.length === 0) return m === "GET" ? "ListBuckets" : "Other";
  const onBucket = segments.length === 1;
  if (onBucket) {
    if (m === "GET") {
      if (query.get("list-type") === "2") return "ListObjectsV2";
      if (query.has("location")) return "GetBucketLocation";
      if (query.has("uploads")) return "ListMultipartUploads";
      const sub = [
        "acl",
        "policy",
        "versioning",
        "lifecycle",
        "cors",
        "tagging",
        "encryption",
        "versions",
        "object-lock",
        "ownershipControls",
      ];
      if (sub.some((s) => query.has(s))) return "BucketOther";
      return "ListObjects";
    }
    if (m === "HEAD") return "HeadBucket";
    if (m === "PUT") return query.size === 0 ? "CreateBucket" : "BucketOther";
    if (m === "POST" && query.has("delete")) return "DeleteObjects";
    return "BucketOther";
  }
  const copy = headers["x-amz-copy-source"] !== undefined;
  switch (m) {
    case "HEAD":
      return "HeadObject";
    case "GET":
      return query.has("uploadId") ? "Other" : "GetObject";
    case "PUT":
      if (query.has("uploadId") && query.has("partNumber")) return copy ? "UploadPartCopy" : "UploadPart";
      return copy ? "CopyObject" : query.size === 0 ? "PutObject" : "Other";
    case "POST":
      if (query.has("uploads")) return "CreateMultipartUpload";
      if (query.has("uploadId")) return "CompleteMultipartUpload";
      if (query.has("delete")) return "DeleteObjects";
      return "Other";
    case "DELETE":
      return query.has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
    default:
      return "Other";
  }
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "upgrade"]);

export interface ProxyOptions {
  /** Appends one line per request (`op method url status`) to this file (debugging). */
  logFile?: string;
  /**
   * Holds every request this long before forwarding it: a real region's first-byte latency (20-60
   * ms) that loopback hides. Requests in flight at once are delayed side by side, as on a network.
   */
  delayMs?: number;
}

export interface CountingProxy {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** Starts a fresh tally and returns the previous one. */
  take(): Counts;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 that forwards to `upstream` (an http://127.0.0.1:<port> endpoint). */
export async function startProxy(upstream: string, options: ProxyOptions = {}): Promise<CountingProxy> {
  const target = new URL(upstream);
  if (target.protocol !== "http:" || (target.hostname !== "127.0.0.1" && target.hostname !== "localhost")) {
    throw new Error(`the counting proxy only forwards to http://127.0.0.1, not ${upstream}`);
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
  let counts = emptyCounts();

  const delayMs = options.delayMs ?? 0;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const tally = counts;
    const round = tally.completed + 1;
    tally.rounds = Math.max(tally.rounds, round);
    res.on("finish", () => (tally.completed = Math.max(tally.completed, round)));
    if (delayMs > 0) {
      req.pause();
      setTimeout(() => {
        forward(req, res);
        req.resume();
      }, delayMs);
    } else forward(req, res);
  };
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const op = classify(req.method ?? "GET", req.url ?? "/", req.headers);
    const tally = counts;
    tally.total++;
    tally.byOp[op] = (tally.byOp[op] ?? 0) + 1;
    tally.byMethod[req.method ?? "?"] = (tally.byMethod[req.method ?? "?"] ?? 0) + 1;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    const upstreamReq = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent, setHost: false },
      (upstreamRes) => {
        const status = upstreamRes.statusCode ?? 502;
        if (options.logFile) appendFileSync(options.logFile, `${op} ${req.method} ${req.url} ${status}\n`);
        if (status >= 400) tally.errors[String(status)] = (tally.errors[String(status)] ?? 0) + 1;
        const out: string[] = [];
        for (let i = 0; i < upstreamRes.rawHeaders.length; i += 2) {
          if (!HOP_BY_HOP.has(upstreamRes.rawHeaders[i]!.toLowerCase()))
            out.push(upstreamRes.rawHeaders[i]!, upstreamRes.rawHeaders[i + 1]!);
        }
        res.writeHead(status, upstreamRes.statusMessage, out);
        upstreamRes.on("data", (d: Buffer) => (tally.bytesOut += d.length));
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on("error", (e) => {
      tally.errors["proxy"] = (tally.errors["proxy"] ?? 0) + 1;
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`counting proxy: ${e.message}\n`);
    });
    req.on("data", (d: Buffer) => (tally.bytesIn += d.length));
    req.pipe(upstreamReq);
  };

  const server: Server = createServer({ keepAlive: true, keepAliveTimeout: 30_000 }, handle);
  server.maxHeadersCount = 0;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    take() {
      const c = counts;
      counts = emptyCounts();
      return c;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

const SHORT: Partial<Record<S3Op, string>> = {
  ListObjectsV2: "LIST",
  ListObjects: "LISTv1",
  HeadObject: "HEAD",
  GetObject: "GET",
  PutObject: "PUT",
  CopyObject: "COPY",
  DeleteObject: "DEL",
  DeleteObjects: "DELx",
  CreateMultipartUpload: "MPU",
  UploadPart: "PART",
  CompleteMultipartUpload: "MPUdone",
};

/** "LIST 10, HEAD 9999, PUT 1" (the other operations as "other N"). */
export function formatOps(c: Counts): string {
  const parts: string[] = [];
  let other = 0;
  for (const [op, n] of Object.entries(c.byOp) as [S3Op, number][]) {
    const s = SHORT[op];
    if (s) parts.push(`${s} ${n}`);
    else other += n;
  }
  if (other) parts.push(`other ${other}`);
  return parts.join(", ");
}
