import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { usageError } from "../errors.js";

export interface WatchHandlers {
  /** 200 while the service runs and can reach its stores; 503 with the reason otherwise. */
  health(): Promise<{ ok: boolean; text: string }>;
  metrics(): string;
}

/** `--listen HOST:PORT` (`:PORT` listens on every interface, as a container needs). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw usageError(`invalid --listen ${JSON.stringify(text)}: give HOST:PORT, e.g. 127.0.0.1:9464 or :9464`);
  }
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

/** Serves GET /healthz and GET /metrics; everything else is 404. */
export async function serveWatch(
  listen: string,
  handlers: WatchHandlers,
): Promise<{ address: string; close(): Promise<void> }> {
  const { host, port } = parseListen(listen);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(handlers.metrics());
      return;
    }
    if (path === "/healthz") {
      handlers.health().then(
        (h) => res.writeHead(h.ok ? 200 : 503, { "content-type": "text/plain; charset=utf-8" }).end(`${h.text}\n`),
        (e: unknown) => res.writeHead(503, { "content-type": "text/plain" }).end(`${(e as Error).message}\n`),
      );
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /healthz or /metrics\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(usageError(`cannot listen on ${listen}: ${e.message}`, e)));
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    address: `${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
