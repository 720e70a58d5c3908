// Test harness: a fault-injecting HTTP proxy of our own, in front of the S3 server (SeaweedFS).
//
// It listens on 127.0.0.1 and forwards every request to the upstream endpoint (also 127.0.0.1):
// method, path and query byte for byte, and the headers as the client sent them, including Host
// (only the hop-by-hop headers and Expect, which SigV4 never signs, stay with the connection).
// SigV4 signs the Host header, so the upstream must see the client's Host (127.0.0.1:<proxy port>)
// for signatures to verify; the proxy never rewrites it and adds no X-Forwarded-* header.
//
// The proxy runs on the event loop of the process that starts it: run the client under test as an
// asynchronous child process (spawn), never with spawnSync/execFileSync, which would block the loop
// and leave the client waiting for a proxy that cannot answer.
//
// A seeded PRNG (mulberry32) draws one number per request, in arrival order, and picks at most one
// fault by its rate:
//   500       an S3 XML InternalError, without forwarding (the write is not applied)
//   503       an S3 XML SlowDown, without forwarding
//   reset     the client socket destroyed, either mid-request (before forwarding: not applied) or
//             mid-response (forwarded and applied; headers and part of the body sent, then reset)
//   delay     latency added before forwarding (then forwarded normally)
//   drop      forwarded, the server applies it, then the client socket is destroyed before any
//             byte of the response: the "lost response"
//   truncate  forwarded; the response headers go out with the full Content-Length but only half
//             the body, then the socket is closed (a response with no body to cut, e.g. a PUT's,
//             is dropped instead: the same "applied but unacknowledged" outcome)
//   corrupt   (not in the default mix) one byte of the request body flipped on the way, length
//             unchanged: only a checksum the server verifies can stop it
// Requests and faults are counted. Only 127.0.0.1 upstreams are accepted.

import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** The faults of the default mix. */
export const FAULT_KINDS = ["500", "503", "reset", "delay", "drop", "truncate"] as const;
/** Every fault, including `corrupt`, which is only injected when asked for by name. */
export const ALL_FAULT_KINDS = [...FAULT_KINDS, "corrupt"] as const;
export type FaultKind = (typeof ALL_FAULT_KINDS)[number];
export type FaultRates = Partial<Record<FaultKind, number>>;

export interface FaultProxyOptions {
  /** The upstream S3 endpoint, http://127.0.0.1:<port>. */
  upstream: string;
  /** PRNG seed: the same seed gives the same sequence of decisions. */
  seed: number;
  /** Probability of each fault per request (their sum at most 1). */
  rates?: FaultRates;
  /** Latency range added by a `delay` fault, in ms (default 50-800). */
  delayMs?: readonly [number, number];
  /** Only requests this returns true for may get a fault (default: all). */
  eligible?: (req: { method: string; url: string; headers: IncomingHttpHeaders }) => boolean;
  /** Keep at most this many log entries (default 5000). */
  logLimit?: number;
}

export interface FaultLogEntry {
  n: number;
  method: string;
  url: string;
  fault: FaultKind | null;
  /** For `reset`: where it happened. */
  detail?: string;
  /** Upstream status, when the request was forwarded and answered. */
  status?: number;
}

export interface FaultStats {
  /** Requests received. */
  requests: number;
  /** Requests forwarded to the upstream. */
  forwarded: number;
  /** Faults injected, by kind. */
  faults: Record<FaultKind, number>;
  /** Sum of `faults`. */
  totalFaults: number;
  /** Faults after which the upstream had (or may have had) applied the request: drop, truncate, reset mid-response. */
  appliedButLost: number;
  /** Requests the upstream could not be reached for (answered 502). */
  upstreamErrors: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  stats(): FaultStats;
  log(): readonly FaultLogEntry[];
  /** Replaces the rates (e.g. {} to stop injecting faults). */
  setRates(rates: FaultRates): void;
  resetStats(): void;
  close(): Promise<void>;
}

/** Splits a total fault rate evenly over every kind (e.g. 0.1 -> 1/60 each). */
export function mixedRates(total: number, kinds: readonly FaultKind[] = FAULT_KINDS): FaultRates {
  return Object.fromEntries(kinds.map((k) => [k, total / kinds.length]));
}

/** mulberry32: a small, fast, seedable PRNG giving floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks at most one fault for a draw `r` in [0, 1): the kinds occupy consecutive slices of [0, sum of rates). */
export function pickFault(r: number, rates: FaultRates): FaultKind | null {
  let edge = 0;
  for (const kind of ALL_FAULT_KINDS) {
    edge += rates[kind] ?? 0;
    if (r < edge) return kind;
  }
  return null;
}

/** An S3 error document, as S3 (and SeaweedFS) send it. */
export function s3ErrorXml(code: string, message: string, resource: string): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${esc(message)}</Message>` +
    `<Resource>${esc(resource)}</Resource><RequestId>fault-proxy</RequestId></Error>`
  );
}

// Hop-by-hop headers (RFC 9110 7.6.1) and Expect: they belong to one connection, not to the
// message. None of them is signed by SigV4 (the SDK never signs connection, expect, te, upgrade...).
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "te",
  "trailer",
  "upgrade",
  "expect",
]);

function forwardHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Response headers to pass on, from raw headers (case kept); `dropLength` removes Content-Length / Transfer-Encoding. */
function responseHeaders(raw: readonly string[], dropLength: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    if (dropLength && (name === "content-length" || name === "transfer-encoding")) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** Reads a request or response body, bounded in size (the tests' objects are far smaller). */
function readAll(stream: IncomingMessage, limit = 256 * 1024 * 1024): Promise<Buffer> {
  return new Promise((res, rej) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        stream.destroy(new Error(`body over ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    stream.once("end", () => res(Buffer.concat(chunks)));
    stream.once("error", rej);
    stream.once("aborted", () => rej(new Error("aborted")));
  });
}

export async function startFaultProxy(o: FaultProxyOptions): Promise<FaultProxy> {
  const up = new URL(o.upstream);
  if (up.protocol !== "http:" || up.hostname !== "127.0.0.1")
    throw new Error(`fault proxy: the upstream must be http://127.0.0.1:<port>, not ${o.upstream}`);
  const upstreamPort = Number(up.port || 80);
  const random = mulberry32(o.seed);
  let rates: FaultRates = { ...(o.rates ?? {}) };
  const [delayMin, delayMax] = o.delayMs ?? [50, 800];
  const logLimit = o.logLimit ?? 5000;
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const sockets = new Set<Socket>();

  const zero = (): FaultStats => ({
    requests: 0,
    forwarded: 0,
    faults: Object.fromEntries(ALL_FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    totalFaults: 0,
    appliedButLost: 0,
    upstreamErrors: 0,
  });
  let stats = zero();
  let entries: FaultLogEntry[] = [];

  const record = (entry: FaultLogEntry) => {
    entries.push(entry);
    if (entries.length > logLimit) entries = entries.slice(entries.length - logLimit);
  };

  /** Forwards the request; resolves with the upstream's response (not yet read). */
  const forward = (req: IncomingMessage, body?: Buffer): Promise<IncomingMessage> =>
    new Promise((res, rej) => {
      stats.forwarded++;
      const out = httpRequest({
        host: "127.0.0.1",
        port: upstreamPort,
        method: req.method,
        path: req.url,
        headers: forwardHeaders(req.headers),
        setHost: false,
        agent,
      });
      out.once("response", res);
      out.once("error", rej);
      if (body) {
        out.end(body);
        return;
      }
      req.pipe(out);
      req.once("aborted", () => out.destroy(new Error("client aborted")));
    });

  const killClient = (req: IncomingMessage, res: ServerResponse) => {
    // Destroying the socket (no FIN-then-wait) is what a reset looks like to the client: ECONNRESET
    // or "socket hang up". The connection is not reused.
    res.socket?.destroy();
    req.socket.destroy();
  };

  const answerError = async (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
  ) => {
    // Drain the request body first so that the client reads a clean response on a sane connection.
    await readAll(req).catch(() => Buffer.alloc(0));
    const body = s3ErrorXml(code, message, req.url ?? "/");
    res.writeHead(status, {
      "Content-Type": "application/xml",
      "Content-Length": Buffer.byteLength(body),
      "x-amz-request-id": "fault-proxy",
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const n = ++stats.requests;
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const draw = random(); // one draw per request, eligible or not: the sequence depends on the seed only
    const sub = random(); // a second draw for the fault's variant (reset position, delay length)
    const eligible = o.eligible?.({ method, url, headers: req.headers }) ?? true;
    const fault = eligible ? pickFault(draw, rates) : null;
    const entry: FaultLogEntry = { n, method, url, fault };
    record(entry);
    if (fault) {
      stats.faults[fault]++;
      stats.totalFaults++;
    }

    let replacement: Buffer | undefined;
    switch (fault) {
      case "500":
        return answerError(
          req,
          res,
          500,
          "InternalError",
          "We encountered an internal error. Please try again. (fault proxy)",
        );
      case "503":
        return answerError(req, res, 503, "SlowDown", "Please reduce your request rate. (fault proxy)");
      case "reset":
        if (sub < 0.5) {
          entry.detail = "mid-request";
          // Let part of the request arrive (or all of a small one), then reset without forwarding.
          await Promise.race([
            new Promise((r) => req.once("data", r)),
            new Promise((r) => req.once("end", r)),
            sleep(200),
          ]);
          killClient(req, res);
          return;
        }
        entry.detail = "mid-response";
        break;
      case "corrupt": {
        replacement = await readAll(req).catch(() => Buffer.alloc(0));
        if (replacement.length > 0) {
          const at = Math.floor(sub * replacement.length);
          replacement[at] = replacement[at]! ^ 0x01;
          entry.detail = `byte ${at} of ${replacement.length} flipped`;
        } else entry.detail = "no body: forwarded unchanged";
        break;
      }
      case "delay":
        entry.detail = `${Math.round(delayMin + sub * (delayMax - delayMin))}ms`;
        await sleep(delayMin + sub * (delayMax - delayMin));
        break;
      default:
        break;
    }

    let upstream: IncomingMessage;
    try {
      upstream = await forward(req, replacement);
    } catch (e) {
      stats.upstreamErrors++;
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(502, { "Content-Type": "text/plain" });
        res.end(`fault proxy: upstream error: ${(e as Error).message}\n`);
      }
      return;
    }
    entry.status = upstream.statusCode ?? 0;

    if (fault === "drop") {
      // The upstream has the whole request and answered: the write is applied. The client never
      // hears about it.
      await readAll(upstream).catch(() => undefined);
      stats.appliedButLost++;
      killClient(req, res);
      return;
    }
    if (fault === "truncate" || fault === "reset") {
      const body = await readAll(upstream).catch(() => Buffer.alloc(0));
      stats.appliedButLost++;
      if (body.length < 2 || method === "HEAD") {
        // Nothing to cut (a PUT's empty answer, a HEAD): the response is lost as a whole instead.
        entry.detail = `${entry.detail ? `${entry.detail}, ` : ""}no body to cut: dropped`;
        killClient(req, res);
        return;
      }
      // The headers announce the full length; half the body follows; then the connection dies.
      const headers = responseHeaders(upstream.rawHeaders, true);
      headers.push("Content-Length", String(body.length));
      res.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, headers);
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      // Give the bytes a moment to leave, then reset.
      await sleep(20);
      killClient(req, res);
      return;
    }

    res.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, responseHeaders(upstream.rawHeaders, false));
    upstream.pipe(res);
    await new Promise<void>((r) => {
      res.once("close", r);
      upstream.once("error", () => {
        res.destroy();
        r();
      });
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(502);
        res.end();
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(0, "127.0.0.1", () => res());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stats: () => structuredClone(stats),
    log: () => entries,
    setRates: (r) => {
      rates = { ...r };
    },
    resetStats: () => {
      stats = zero();
      entries = [];
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
