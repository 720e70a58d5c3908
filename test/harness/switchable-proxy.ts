import { createServer, type Server, type Socket, connect } from "node:net";

/**
 * A TCP forwarder to a loopback upstream that can be taken down and brought back on the same
 * port: while it is down, connections are refused, as from a server that is off.
 */
export interface SwitchableProxy {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function switchableProxy(upstream: string): Promise<SwitchableProxy> {
  const target = new URL(upstream);
  if (target.hostname !== "127.0.0.1") throw new Error(`loopback upstreams only, not ${upstream}`);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    const s = createServer((client) => {
      const remote = connect(Number(target.port), "127.0.0.1");
      for (const sock of [client, remote]) {
        sockets.add(sock);
        sock.on("close", () => sockets.delete(sock));
        sock.on("error", () => undefined);
      }
      client.pipe(remote).pipe(client);
      client.on("close", () => remote.destroy());
      remote.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve());
    });
    port = (s.address() as { port: number }).port;
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    down: stop,
    up: async () => {
      if (!server) await listen();
    },
    close: stop,
  };
}
