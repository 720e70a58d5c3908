// The fault-injecting proxy (test/harness/fault-proxy.ts) against a tiny upstream of our own: it
// forwards requests unchanged (Host included), and each fault does what it claims. The proxy in
// front of a real SeaweedFS, with SigV4 signatures, is tested in test/e2e/faults.test.ts.

import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FAULT_KINDS,
  mixedRates,
  mulberry32,
  pickFault,
  startFaultProxy,
  type FaultProxy,
  type FaultRates,
} from "../harness/fault-proxy.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let upstream: Server;
let upstreamUrl: string;
const seen: Seen[] = [];
const RESPONSE = "x".repeat(10_000);

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (req.url?.startsWith("/empty")) {
        res.writeHead(200, { ETag: '"abc"', "Content-Length": 0 });
        res.end();
        return;
      }
      res.writeHead(201, { "Content-Type": "text/plain", "X-Upstream": "yes", "Content-Length": RESPONSE.length });
      res.end(RESPONSE);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => upstream.close(() => r()));
});

interface Reply {
  status?: number;
  headers?: IncomingHttpHeaders;
  body?: string;
  error?: string;
}

/** One request through the proxy (no keep-alive), bounded by a 10 s timeout. */
function send(
  proxy: FaultProxy,
  path: string,
  o: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve) => {
    const req = request(`${proxy.endpoint}${path}`, {
      method: o.method ?? "PUT",
      headers: { Host: "signed-host.example:1234", ...(o.headers ?? {}) },
      agent: false,
      timeout: 10_000,
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
      res.on("error", (e) =>
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
          error: (e as NodeJS.ErrnoException).code ?? e.message,
        }),
      );
      res.on("aborted", () =>
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
          error: "aborted",
        }),
      );
    });
    req.end(o.body ?? "");
  });
}

async function withProxy<T>(rates: FaultRates, fn: (p: FaultProxy) => Promise<T>, seed = 1): Promise<T> {
  const proxy = await startFaultProxy({ upstream: upstreamUrl, seed, rates, delayMs: [100, 100] });
  try {
    return await fn(proxy);
  } finally {
    await proxy.close();
  }
}

describe("fault proxy", () => {
  it("forwards method, path, query, headers (the client's Host) and body unchanged, and the response back", async () => {
    seen.length = 0;
    await withProxy({}, async (p) => {
      const r = await send(p, "/bucket/a%20b/c?x-id=PutObject&uploadId=1%2B2", {
        body: "hello",
        headers: { "x-amz-date": "20250101T000000Z", Authorization: "AWS4-HMAC-SHA256 Credential=k/..." },
      });
      expect(r).toMatchObject({ status: 201, body: RESPONSE });
      expect(r.headers?.["x-upstream"]).toBe("yes");
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        method: "PUT",
        url: "/bucket/a%20b/c?x-id=PutObject&uploadId=1%2B2",
        body: "hello",
      });
      expect(seen[0]!.headers).toMatchObject({
        host: "signed-host.example:1234",
        "x-amz-date": "20250101T000000Z",
        authorization: "AWS4-HMAC-SHA256 Credential=k/...",
      });
      expect(Object.keys(seen[0]!.headers).filter((h) => h.startsWith("x-forwarded"))).toEqual([]);
      expect(p.stats()).toMatchObject({ requests: 1, forwarded: 1, totalFaults: 0 });
    });
  });

  it("500 and 503: an S3 XML error, and the request never reaches the server", async () => {
    for (const [kind, status, code] of [
      ["500", 500, "InternalError"],
      ["503", 503, "SlowDown"],
    ] as const) {
      seen.length = 0;
      await withProxy({ [kind]: 1 }, async (p) => {
        const r = await send(p, "/bucket/key", { body: "data" });
        expect(r.status).toBe(status);
        expect(r.headers?.["content-type"]).toBe("application/xml");
        expect(r.body).toContain(`<Code>${code}</Code>`);
        expect(seen).toHaveLength(0);
        expect(p.stats().faults[kind]).toBe(1);
      });
    }
  });

  it("drop: the server applies the request, the client gets no response", async () => {
    seen.length = 0;
    await withProxy({ drop: 1 }, async (p) => {
      const r = await send(p, "/bucket/key", { body: "applied" });
      expect(r.status).toBeUndefined();
      expect(r.error).toMatch(/ECONNRESET|socket hang up/);
      expect(seen.map((s) => s.body)).toEqual(["applied"]);
      expect(p.stats()).toMatchObject({ totalFaults: 1, appliedButLost: 1 });
    });
  });

  it("truncate: the full Content-Length, half the body, then the connection closes", async () => {
    seen.length = 0;
    await withProxy({ truncate: 1 }, async (p) => {
      const r = await send(p, "/bucket/key", { method: "GET" });
      expect(r.status).toBe(201);
      expect(r.headers?.["content-length"]).toBe(String(RESPONSE.length));
      expect(r.body!.length).toBe(RESPONSE.length / 2);
      expect(r.error).toBeDefined();
      expect(seen).toHaveLength(1);
      // No body to cut: the response is dropped as a whole.
      const empty = await send(p, "/empty", { body: "put" });
      expect(empty.status).toBeUndefined();
      expect(empty.error).toBeDefined();
      expect(p.log().at(-1)?.detail).toMatch(/dropped/);
    });
  });

  it("reset: mid-request (not forwarded) or mid-response (forwarded, cut short)", async () => {
    seen.length = 0;
    await withProxy({ reset: 1 }, async (p) => {
      const details = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const before = seen.length;
        const r = await send(p, "/bucket/key", { method: "GET" });
        expect(r.error).toBeDefined();
        const detail = p.log().at(-1)!.detail!;
        details.add(detail);
        if (detail === "mid-request") expect(seen.length).toBe(before);
        else {
          expect(seen.length).toBe(before + 1);
          expect(r.body!.length).toBeLessThan(RESPONSE.length);
        }
      }
      expect(details).toEqual(new Set(["mid-request", "mid-response"]));
      expect(p.stats().faults.reset).toBe(20);
    });
  });

  it("corrupt: one byte of the request body flipped, the length unchanged", async () => {
    seen.length = 0;
    await withProxy({ corrupt: 1 }, async (p) => {
      const body = "a".repeat(1000);
      const r = await send(p, "/bucket/key", { body });
      expect(r.status).toBe(201);
      expect(seen).toHaveLength(1);
      const got = seen[0]!.body;
      expect(got.length).toBe(body.length);
      expect([...got].filter((c, i) => c !== body[i])).toHaveLength(1);
      expect(p.log()[0]!.detail).toMatch(/^byte \d+ of 1000 flipped$/);
    });
  });

  it("delay: the request is answered normally, later", async () => {
    await withProxy({ delay: 1 }, async (p) => {
      const t0 = Date.now();
      const r = await send(p, "/bucket/key", { method: "GET" });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
      expect(r).toMatchObject({ status: 201, body: RESPONSE });
      expect(p.stats().faults.delay).toBe(1);
    });
  });

  it("the same seed gives the same faults; rates are respected; faults can be switched off", async () => {
    const run = (seed: number) =>
      withProxy(
        mixedRates(0.5),
        async (p) => {
          for (let i = 0; i < 40; i++) await send(p, `/bucket/k${i}`, { method: "GET" });
          return p.log().map((e) => e.fault);
        },
        seed,
      );
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
    expect(a.filter((f) => f !== null).length).toBeGreaterThan(5);
    await withProxy({ "500": 1 }, async (p) => {
      p.setRates({});
      expect((await send(p, "/bucket/k", { method: "GET" })).status).toBe(201);
      expect(p.stats().totalFaults).toBe(0);
    });
  });

  it("pickFault and mixedRates", () => {
    expect(mixedRates(0.06)).toEqual(Object.fromEntries(FAULT_KINDS.map((k) => [k, 0.01])));
    expect(pickFault(0.5, {})).toBeNull();
    expect(pickFault(0.015, { "500": 0.01, "503": 0.01 })).toBe("503");
    expect(pickFault(0.02, { "500": 0.01, "503": 0.01 })).toBeNull();
    const r = mulberry32(42);
    const draws = Array.from({ length: 10_000 }, r);
    expect(draws.every((d) => d >= 0 && d < 1)).toBe(true);
    const hits = draws.filter((d) => pickFault(d, mixedRates(0.1)) !== null).length;
    expect(hits).toBeGreaterThan(850);
    expect(hits).toBeLessThan(1150);
  });

  it("only forwards to 127.0.0.1", async () => {
    await expect(startFaultProxy({ upstream: "http://example.com:80", seed: 1 })).rejects.toThrow(/127\.0\.0\.1/);
  });
});
