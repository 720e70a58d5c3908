// Transient faults between wspub and the S3 server (issue #5): the installed CLI publishes through
// our fault-injecting proxy (test/harness/fault-proxy.ts) in front of SeaweedFS: 500s, 503
// SlowDown, resets mid-request and mid-response, delays, responses lost after the server applied
// the write, truncated responses; at 2%, 5% and 10% of requests, with fixed seeds.
//
// Every run must end in success or in a clean failure (exit 1, one `wspub: error:` line, no stack
// trace) that the next run repairs; after every run no file of the live commit is missing and no
// object holds anything but a complete committed version of its path; a run without faults then
// exits 0, `verify --deep` passes, and the bucket is exactly the last commit, byte for byte, with
// no lock, journal or probe object left.

import { execFileSync, spawn } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, describe, expect, inject, it } from "vitest";
import { bucketObjects, e2eSetup, sha256, type Installed, type RunResult } from "../harness/cli.js";
import { mixedRates, mulberry32, startFaultProxy, type FaultKind, type FaultLogEntry } from "../harness/fault-proxy.js";
import { tempRepo, type TempRepo } from "../harness/repo.js";
import { cleanEnv, createBucket, s3Client } from "../harness/seaweed.js";

const s3 = inject("s3");
const NAME = "site";
/** Attempts through the faulty proxy per commit before moving on (the no-fault run repairs the rest). */
const ATTEMPTS = 3;
/** Commits published through the proxy per rate: the first (~200 files), two scripted, the rest random. */
const COMMITS = 10;

let cli: Installed;
let client: S3Client;
const { temp } = e2eSetup(s3, (c, k) => {
  cli = c;
  client = k;
});

/**
 * runCli (test/harness/cli.ts) as a promise. runCli uses spawnSync, which blocks this process's
 * event loop, and the fault proxy runs on that loop: the CLI would wait forever for the proxy.
 * Same environment (cleanEnv plus `env`, the test's Node first on PATH), same 240 s bound.
 */
function runCli(
  bin: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<RunResult> {
  const env = cleanEnv(options.env ?? {});
  env["PATH"] = [dirname(process.execPath), env["PATH"] ?? ""].join(delimiter);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr: signal ? `${stderr}\n[killed by ${signal}]` : stderr });
    });
  });
}

const creds = () => ({
  AWS_ACCESS_KEY_ID: s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  XDG_DATA_HOME: temp("wspub-xdg-"),
});

// ---------------------------------------------------------------------------------------------
// The workspace: ~200 files in 3 commits (modify, add, delete, rename, mode change, a symlink,
// duplicate content, an empty file, a 9 MiB file uploaded multipart).

function bytes(seed: number, size: number): Buffer {
  const r = mulberry32(seed);
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = Math.floor(r() * 256);
  return b;
}
const text = (path: string, version: number) =>
  `// ${path} v${version}\n${"export const x = 1;\n".repeat(1 + (path.length % 40))}`;

function makeRepo(seed: number): TempRepo {
  const repo = tempRepo("", join(temp("wspub-faults-"), NAME));
  const tree: Parameters<TempRepo["write"]>[0] = {};
  for (let m = 0; m < 12; m++)
    for (let f = 0; f < 14; f++) tree[`src/mod${m}/file${f}.ts`] = text(`src/mod${m}/file${f}.ts`, 1);
  for (let i = 0; i < 20; i++) tree[`assets/img${i}.bin`] = bytes(seed + i, 1000 + i * 997);
  for (let i = 0; i < 4; i++) tree[`copies/same${i}.txt`] = "the same content in four places\n";
  tree["empty.txt"] = "";
  tree["bin/run.sh"] = { content: "#!/bin/sh\necho run\n", mode: 0o755 };
  tree["link-to-readme"] = { link: "README.md" };
  tree["README.md"] = "# site\n";
  tree["assets/big.bin"] = bytes(seed + 999, 9 * 1024 * 1024 + 77);
  repo.write(tree);
  return repo;
}

/** Second commit: modify 15, add 10, delete 10, rename 10 (two with edits), change 2 modes. */
function secondCommit(repo: TempRepo): string {
  const w: Parameters<TempRepo["write"]>[0] = {};
  for (let f = 0; f < 14; f++) w[`src/mod0/file${f}.ts`] = text(`src/mod0/file${f}.ts`, 2);
  w["README.md"] = "# site\n\nversion 2\n";
  for (let i = 0; i < 10; i++) w[`src/new/added${i}.ts`] = text(`src/new/added${i}.ts`, 1);
  w["src/mod2/file0.ts"] = { content: text("src/mod2/file0.ts", 1), mode: 0o755 };
  w["src/mod2/file1.ts"] = { content: text("src/mod2/file1.ts", 1), mode: 0o755 };
  repo.write(w);
  for (let f = 0; f < 10; f++) repo.remove(`src/mod1/file${f}.ts`);
  mkdirSync(join(repo.dir, "src/moved"), { recursive: true });
  for (let f = 0; f < 10; f++) repo.git("mv", `src/mod3/file${f}.ts`, `src/moved/file${f}.ts`);
  repo.write({
    "src/moved/file0.ts": text("src/moved/file0.ts", 2),
    "src/moved/file1.ts": text("src/moved/file1.ts", 2),
  });
  return repo.commit("second");
}

/** Third commit: rename a directory, change the big file, delete some, add some, revert one. */
function thirdCommit(repo: TempRepo): string {
  mkdirSync(join(repo.dir, "lib/mod4"), { recursive: true });
  for (let f = 0; f < 14; f++) repo.git("mv", `src/mod4/file${f}.ts`, `lib/mod4/file${f}.ts`);
  const w: Parameters<TempRepo["write"]>[0] = {
    "assets/big.bin": bytes(4242, 9 * 1024 * 1024 + 5),
    "README.md": "# site\n",
  };
  for (let i = 0; i < 5; i++) w[`docs/page${i}.md`] = `# page ${i}\n`;
  for (let f = 0; f < 6; f++) w[`src/mod5/file${f}.ts`] = text(`src/mod5/file${f}.ts`, 3);
  repo.write(w);
  for (let i = 0; i < 5; i++) repo.remove(`assets/img${i}.bin`);
  repo.remove("link-to-readme");
  repo.write({ "link-to-docs": { link: "docs/page0.md" } });
  return repo.commit("third");
}

/**
 * Further commits, drawn from a seeded PRNG: modify 8 files, delete 4, rename 4 (into a new
 * directory), add 6; every other round also rewrites the 9 MiB file or flips a mode.
 */
function randomCommit(repo: TempRepo, random: () => number, round: number): string {
  const files = repo
    .git("ls-files", "-z")
    .split("\0")
    .filter((f) => f && f !== "assets/big.bin" && !f.startsWith("link-") && f !== "bin/run.sh");
  const pick = (n: number) => {
    const chosen = new Set<string>();
    while (chosen.size < Math.min(n, files.length)) chosen.add(files[Math.floor(random() * files.length)]!);
    for (const f of chosen) files.splice(files.indexOf(f), 1);
    return [...chosen];
  };
  const w: Parameters<TempRepo["write"]>[0] = {};
  for (const f of pick(8))
    w[f] = f.endsWith(".bin") ? bytes(round * 1000 + f.length, 500 + Math.floor(random() * 20_000)) : text(f, round);
  for (let i = 0; i < 6; i++) w[`src/round${round}/new${i}.ts`] = text(`src/round${round}/new${i}.ts`, round);
  if (round % 2 === 0) w["assets/big.bin"] = bytes(round, 9 * 1024 * 1024 + round);
  else w["bin/run.sh"] = { content: "#!/bin/sh\necho run\n", mode: round % 4 === 1 ? 0o644 : 0o755 };
  repo.write(w);
  for (const f of pick(4)) repo.remove(f);
  mkdirSync(join(repo.dir, `moved/r${round}`), { recursive: true });
  for (const [i, f] of pick(4).entries()) repo.git("mv", f, `moved/r${round}/${i}-${f.split("/").pop()!}`);
  return repo.commit(`round ${round}`);
}

/** The objects a commit publishes: object name -> SHA-256 (a symlink is <path>.rclonelink holding its target). */
function expectedObjects(repo: TempRepo, commit: string): Map<string, string> {
  const ls = repo.git("ls-tree", "-r", "-z", commit).split("\0").filter(Boolean);
  const entries = ls.map((line) => {
    const tab = line.indexOf("\t");
    const [meta, path] = [line.slice(0, tab), line.slice(tab + 1)];
    const [mode, , oid] = meta.split(" ") as [string, string, string];
    return { mode, oid, path };
  });
  const contents = catBlobs(repo, [...new Set(entries.map((e) => e.oid))]);
  return new Map(
    entries.map((e) => [e.mode === "120000" ? `${e.path}.rclonelink` : e.path, sha256(contents.get(e.oid)!)]),
  );
}

/** Reads blobs with one `git cat-file --batch`. */
function catBlobs(repo: TempRepo, oids: string[]): Map<string, Buffer> {
  const out = execFileSync("git", ["cat-file", "--batch"], {
    cwd: repo.dir,
    input: `${oids.join("\n")}\n`,
    maxBuffer: 512 * 1024 * 1024,
  });
  const blobs = new Map<string, Buffer>();
  let at = 0;
  for (const oid of oids) {
    const nl = out.indexOf(0x0a, at);
    const [got, , size] = out.subarray(at, nl).toString().split(" ") as [string, string, string];
    if (got !== oid) throw new Error(`cat-file: expected ${oid}, got ${got}`);
    blobs.set(oid, out.subarray(nl + 1, nl + 1 + Number(size)));
    at = nl + 1 + Number(size) + 1;
  }
  return blobs;
}

// ---------------------------------------------------------------------------------------------
// Checks of one run and of the bucket.

type Outcome = "ok" | "clean failure" | "unclean";

/** WSPUB_FAULTS_LOG=<file>: every faulty run's stderr and the requests it made, with their faults. */
function trace(head: string, requests: readonly FaultLogEntry[]): void {
  const file = process.env["WSPUB_FAULTS_LOG"];
  if (!file) return;
  const lines = requests.map(
    (e) =>
      `  #${e.n} ${e.method} ${e.url} -> ${e.status ?? "-"}${e.fault ? `  FAULT ${e.fault}${e.detail ? ` (${e.detail})` : ""}` : ""}`,
  );
  appendFileSync(file, `== ${head}\n${lines.join("\n")}\n`);
}

/** exit 0, or exit 1 with a `wspub: error:` line, no stack trace, no internal error, no secret. */
function classify(r: RunResult): Outcome {
  if (r.code === 0) return "ok";
  const clean =
    r.code === 1 &&
    /^wspub: error: \S.*/m.test(r.stderr) &&
    !/internal error/i.test(r.stderr) &&
    !/^\s+at .+:\d+:\d+\)?$/m.test(r.stderr) &&
    !`${r.stdout}${r.stderr}`.includes(s3.secretAccessKey);
  return clean ? "clean failure" : "unclean";
}

async function getText(bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await out.Body!.transformToString();
  } catch (e) {
    if (e instanceof S3ServiceException && e.name === "NoSuchKey") return undefined;
    throw e;
  }
}

interface BucketCheck {
  /** Files of the live manifest that are missing from the bucket. */
  lost: string[];
  /** Objects whose bytes are no committed version of their path (partial, corrupt). */
  corrupt: string[];
  liveCommit: string | undefined;
  objects: Map<string, string>;
  /** The lock and journal in the pointer ("" when neither: no publish under way or left unfinished). */
  inFlight: string;
}

/** Read directly from SeaweedFS, never through the proxy. */
async function checkBucket(bucket: string, versions: Map<string, Set<string>>): Promise<BucketCheck> {
  const objects = await bucketObjects(client, bucket);
  const lost: string[] = [];
  const corrupt: string[] = [];
  const pointerText = await getText(bucket, `.wspub/${NAME}/live.json`);
  let liveCommit: string | undefined;
  if (pointerText !== undefined) {
    const pointer = JSON.parse(pointerText) as { commit: string | null; manifest: string };
    liveCommit = pointer.commit ?? undefined;
    const files = pointer.commit === null ? {} : await manifestFiles(bucket, pointer.manifest);
    if (files === undefined) lost.push(pointer.manifest);
    for (const [path, entry] of Object.entries(files ?? {})) {
      const name = entry.mode === "120000" ? `${path}.rclonelink` : path;
      if (!objects.has(`${NAME}/${name}`)) lost.push(name);
    }
  }
  for (const [key, sum] of objects) {
    if (!key.startsWith(`${NAME}/`)) continue;
    const name = key.slice(NAME.length + 1);
    if (!versions.get(name)?.has(sum)) corrupt.push(name);
  }
  return { lost, corrupt, liveCommit, objects, inFlight: inFlight(objects, pointerText) };
}

/** Every entry of a stored manifest (a root and its shards); undefined when a part of it is gone. */
async function manifestFiles(bucket: string, key: string): Promise<Record<string, { mode: string }> | undefined> {
  const text = await getText(bucket, key);
  if (text === undefined) return undefined;
  const root = JSON.parse(text) as { shards: string[] };
  const files: Record<string, { mode: string }> = {};
  for (const digest of root.shards) {
    const shard = await getText(bucket, `.wspub/${NAME}/manifests/shards/${digest}.json`);
    if (shard === undefined) return undefined;
    Object.assign(files, (JSON.parse(shard) as { files: Record<string, { mode: string }> }).files);
  }
  return files;
}

/** The lock and journal the pointer holds, as text ("" when neither). */
const inFlight = (objects: Map<string, string>, text: string | undefined) => {
  if (text === undefined || !objects.has(`.wspub/${NAME}/live.json`)) return "";
  const { lock, journal } = JSON.parse(text) as { lock: unknown; journal: unknown };
  return lock === null && journal === null ? "" : JSON.stringify({ lock, journal });
};

const filesOf = (objects: Map<string, string>) =>
  new Map([...objects].filter(([k]) => k.startsWith(`${NAME}/`)).map(([k, v]) => [k.slice(NAME.length + 1), v]));
const metaOf = (objects: Map<string, string>) => [...objects.keys()].filter((k) => k.startsWith(".wspub/")).sort();

interface Row {
  rate: string;
  seed: number;
  runs: number;
  successes: number;
  cleanFailures: number;
  unclean: number;
  requests: number;
  faults: number;
  byKind: string;
  /** Runs that failed (exit 1) although their commit went live: the failure came after the pointer moved. */
  failedButLive: number;
  /** Failed runs after which the lock object was still there (it should have been released). */
  locksLeft: number;
  /** Successful runs (no-ops) that left a stale lock of an earlier failed run in place. */
  staleLocksKept: number;
  staleLockTakeovers: number;
  lost: number;
  corrupt: number;
}
const table: Row[] = [];

function printTable(): void {
  if (table.length === 0) return;
  const cols: [keyof Row, string][] = [
    ["rate", "rate"],
    ["seed", "seed"],
    ["runs", "runs"],
    ["successes", "ok"],
    ["cleanFailures", "clean fail"],
    ["unclean", "unclean"],
    ["requests", "requests"],
    ["faults", "faults"],
    ["byKind", "500/503/reset/delay/drop/trunc"],
    ["failedButLive", "failed but live"],
    ["locksLeft", "locks left"],
    ["staleLocksKept", "stale lock kept by a no-op"],
    ["staleLockTakeovers", "lock takeovers"],
    ["lost", "objects lost"],
    ["corrupt", "corrupt"],
  ];
  const lines = [`| ${cols.map(([, h]) => h).join(" | ")} |`, `|${cols.map(() => "---").join("|")}|`];
  for (const row of table) lines.push(`| ${cols.map(([k]) => String(row[k])).join(" | ")} |`);
  console.log(`wspub under injected faults (fault proxy in front of SeaweedFS, installed CLI):\n${lines.join("\n")}`);
}

// ---------------------------------------------------------------------------------------------

describe("the fault proxy in front of SeaweedFS", () => {
  it("forwards the client's Host header, so SigV4 signatures still verify (and a wrong key is still rejected)", async () => {
    const bucket = `faults-sig-${process.pid}`;
    await createBucket(s3, bucket);
    const proxy = await startFaultProxy({ upstream: s3.endpoint, seed: 1 });
    const via = s3Client({ ...s3, endpoint: proxy.endpoint });
    const wrong = s3Client({ ...s3, endpoint: proxy.endpoint, secretAccessKey: `${s3.secretAccessKey}x` });
    try {
      const key = "dir/with space/ünï+%.txt";
      await via.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "through the proxy\n" }));
      const got = await via.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(await got.Body!.transformToString()).toBe("through the proxy\n");
      const listed = await via.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "dir/", Delimiter: "/" }));
      expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["dir/with space/"]);
      await via.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: key }], Quiet: true } }));
      expect((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount ?? 0).toBe(0);
      await expect(wrong.send(new GetObjectCommand({ Bucket: bucket, Key: "x" }))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 403 },
      });
      expect(proxy.stats()).toMatchObject({ forwarded: 5, totalFaults: 0, upstreamErrors: 0 });
    } finally {
      via.destroy();
      wrong.destroy();
      await proxy.close();
    }
  });
});

const RATES = [
  { rate: 0.02, seed: 2_0202 },
  { rate: 0.05, seed: 5_0505 },
  { rate: 0.1, seed: 10_1010 },
];

describe("wspub push through injected faults (every kind mixed)", () => {
  afterAll(printTable);

  it.each(RATES)(
    "at $rate of requests (seed $seed): success or a clean failure the next run repairs; nothing lost, nothing corrupt",
    async ({ rate, seed }) => {
      const bucket = `faults-${Math.round(rate * 100)}-${process.pid}`;
      await createBucket(s3, bucket);
      const repo = makeRepo(seed);
      const commits = [repo.commit("first")];
      const proxy = await startFaultProxy({ upstream: s3.endpoint, seed, rates: mixedRates(rate) });
      const env = creds();
      const viaProxy = () =>
        runCli(cli.bin, ["push", "--target", `s3://${bucket}`, "--endpoint", proxy.endpoint, "--json"], {
          cwd: repo.dir,
          env,
        });
      const direct = (...args: string[]) =>
        runCli(cli.bin, [...args, "--target", `s3://${bucket}`, "--endpoint", s3.endpoint], { cwd: repo.dir, env });

      const versions = new Map<string, Set<string>>();
      const learn = (commit: string) => {
        const expected = expectedObjects(repo, commit);
        for (const [name, sum] of expected) versions.set(name, (versions.get(name) ?? new Set()).add(sum));
        return expected;
      };
      const row: Row = {
        rate: `${rate * 100}%`,
        seed,
        runs: 0,
        successes: 0,
        cleanFailures: 0,
        unclean: 0,
        requests: 0,
        faults: 0,
        byKind: "",
        failedButLive: 0,
        locksLeft: 0,
        staleLocksKept: 0,
        staleLockTakeovers: 0,
        lost: 0,
        corrupt: 0,
      };
      const problems: string[] = [];
      const lostSeen = new Set<string>();
      let previous = "";
      const corruptSeen = new Set<string>();

      try {
        const random = mulberry32(seed + 1);
        for (let i = 0; i < COMMITS; i++) {
          if (i === 1) commits.push(secondCommit(repo));
          if (i === 2) commits.push(thirdCommit(repo));
          if (i >= 3) commits.push(randomCommit(repo, random, i + 1));
          const commit = commits[i]!;
          const expected = learn(commit);
          for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
            const logFrom = proxy.stats().requests;
            const r = await viaProxy();
            row.runs++;
            const outcome = classify(r);
            trace(
              `${row.rate} commit ${i + 1} attempt ${attempt}: exit ${r.code} (${outcome})\n${r.stderr}`,
              proxy.log().filter((e) => e.n > logFrom),
            );
            if (/took over a stale publish lock/.test(r.stderr)) row.staleLockTakeovers++;
            const check = await checkBucket(bucket, versions);
            for (const l of check.lost) lostSeen.add(`${commit.slice(0, 7)}:${l}`);
            for (const c of check.corrupt) corruptSeen.add(c);
            if (outcome === "unclean") {
              row.unclean++;
              problems.push(
                `commit ${i + 1} attempt ${attempt}: exit ${r.code}, not a clean failure:\n${r.stderr.slice(0, 3000)}`,
              );
            }
            const before = previous;
            previous = check.inFlight;
            if (outcome === "clean failure") row.cleanFailures++;
            if (outcome !== "ok" && check.liveCommit === commit) row.failedButLive++;
            if (outcome !== "ok" && check.inFlight.includes('"lock":{')) row.locksLeft++;
            if (outcome !== "ok") continue;
            row.successes++;
            // A success means exactly this commit is live, and nothing in flight is left behind.
            const result = JSON.parse(r.stdout) as { commit: string };
            if (result.commit !== commit || check.liveCommit !== commit)
              problems.push(`commit ${i + 1}: exit 0 but the live commit is ${check.liveCommit}`);
            const files = filesOf(check.objects);
            const wrong = [...new Set([...files.keys(), ...expected.keys()])].filter(
              (k) => files.get(k) !== expected.get(k),
            );
            if (wrong.length > 0)
              problems.push(
                `commit ${i + 1}: exit 0 but ${wrong.length} objects differ from the commit, e.g. ${wrong.slice(0, 5).join(", ")}`,
              );
            // A lock an earlier failed run left behind, which this run (a no-op) did not touch, is counted, not blamed on it.
            const leftovers = metaOf(check.objects).filter((k) => /\/(lock|journal)\.json$|\/probe-/.test(k));
            if (check.inFlight !== "" && check.inFlight !== before) leftovers.push(`live.json ${check.inFlight}`);
            if (leftovers.length > 0) problems.push(`commit ${i + 1}: exit 0 but left ${leftovers.join(", ")}`);
            if (check.inFlight !== "" && check.inFlight === before) row.staleLocksKept++;
            break;
          }
        }

        // No faults: the run must succeed, and repair whatever the faulty runs left.
        const stats = proxy.stats();
        const last = commits.at(-1)!;
        const expected = learn(last);
        const clean = await direct("push");
        row.runs++;
        expect(clean.stderr).not.toMatch(/internal error/);
        expect(clean.code, clean.stderr).toBe(0);
        row.successes++;
        const deep = await direct("verify", "--deep", "--json");
        expect(deep.code, deep.stdout + deep.stderr).toBe(0);
        expect(JSON.parse(deep.stdout)).toMatchObject({ ok: true, checked: expected.size });

        const final = await checkBucket(bucket, versions);
        for (const l of final.lost) lostSeen.add(`final:${l}`);
        for (const c of final.corrupt) corruptSeen.add(c);
        expect(final.liveCommit).toBe(last);
        expect(filesOf(final.objects)).toEqual(expected);
        // No stale objects: the pointer, the capability record and manifests (roots and shards) only (no lock, journal or probe).
        const meta = metaOf(final.objects);
        expect(
          meta.filter(
            (k) =>
              !/^\.wspub\/site\/(live\.json|capabilities\.json|manifests\/[0-9a-f]{40}-[0-9a-f]+\.json|manifests\/shards\/[0-9a-f]{32}\.json)$/.test(
                k,
              ),
          ),
        ).toEqual([]);
        expect(meta).toContain(`.wspub/${NAME}/live.json`);
        expect(final.inFlight).toBe("");
        // One manifest per commit at most (a retried publish of a commit writes the same key).
        expect(meta.filter((k) => k.includes("/manifests/") && !k.includes("/shards/")).length).toBeLessThanOrEqual(
          commits.length,
        );

        row.requests = stats.requests;
        row.faults = stats.totalFaults;
        const order: FaultKind[] = ["500", "503", "reset", "delay", "drop", "truncate"];
        row.byKind = order.map((k) => stats.faults[k]).join("/");
        row.lost = lostSeen.size;
        row.corrupt = corruptSeen.size;
        table.push(row);
        console.log(JSON.stringify(row));

        expect(stats.totalFaults, "faults were injected").toBeGreaterThan(0);
        expect(problems).toEqual([]);
        expect([...lostSeen], "files of the live commit missing after a run").toEqual([]);
        expect([...corruptSeen], "objects holding no committed version of their path").toEqual([]);
      } finally {
        await proxy.close();
      }
    },
    600_000,
  );
});

/**
 * Faults only the nth request (default: the first) that `match` picks (the proxy draws for every
 * request; this decides eligibility).
 */
function once(match: (method: string, url: string) => boolean, nth = 1) {
  let seen = 0;
  return ({ method, url }: { method: string; url: string }) => match(method, url) && ++seen === nth;
}

interface Targeted {
  name: string;
  kind: FaultKind;
  match: (method: string, url: string) => boolean;
  /** Which of the requests `match` picks is hit (default: the first). */
  nth?: number;
  /** The fault hits the workspace's first publish (the capability probe runs then); otherwise an update. */
  first?: boolean;
}

describe("one fault at a chosen request: a lost response is recognised, the next run repairs", () => {
  const isMeta = (file: string) => (method: string, url: string) =>
    url.includes(`/.wspub/${NAME}/${file}`) && (method === "PUT" || method === "GET");
  const targeted: Targeted[] = [
    {
      name: "the capability probe's first conditional create: response lost",
      kind: "drop",
      first: true,
      match: (m, u) => m === "PUT" && u.includes(`/.wspub/${NAME}/probe-`),
    },
    {
      name: "taking the lock, the journal in it (the pointer's first swap): response lost",
      kind: "drop",
      match: (m, u) => m === "PUT" && isMeta("live.json")(m, u),
    },
    {
      name: "the manifest write: response lost",
      kind: "drop",
      match: (m, u) => m === "PUT" && u.includes(`/.wspub/${NAME}/manifests/`),
    },
    {
      name: "moving the live commit (the pointer's second swap, If-Match): response lost",
      kind: "drop",
      nth: 2,
      match: (m, u) => m === "PUT" && isMeta("live.json")(m, u),
    },
    {
      name: "the pointer's first create (If-None-Match): response lost",
      kind: "drop",
      first: true,
      match: (m, u) => m === "PUT" && isMeta("live.json")(m, u),
    },
    {
      name: "the first batch delete: response lost",
      kind: "drop",
      match: (m, u) => m === "POST" && u.includes("?delete"),
    },
    {
      name: "CompleteMultipartUpload: response lost",
      kind: "drop",
      match: (m, u) => m === "POST" && u.includes("/assets/big.bin?uploadId="),
    },
    {
      name: "letting go of the lock after the deletes (the pointer's third swap): response lost",
      kind: "drop",
      nth: 3,
      match: (m, u) => m === "PUT" && isMeta("live.json")(m, u),
    },
    {
      name: "the pointer read: reset mid-response",
      kind: "reset",
      match: (m, u) => m === "GET" && isMeta("live.json")(m, u),
    },
  ];

  it.each(targeted)(
    "$name",
    async ({ kind, match, nth, first }) => {
      const bucket = `faults-once-${targeted.findIndex((t) => t.match === match)}-${process.pid}`;
      await createBucket(s3, bucket);
      const repo = makeRepo(500);
      let commit = repo.commit("first");
      const env = creds();
      const store = (endpoint: string) => ["--target", `s3://${bucket}`, "--endpoint", endpoint];
      if (!first) {
        const r = await runCli(cli.bin, ["push", ...store(s3.endpoint)], { cwd: repo.dir, env });
        expect(r.code, r.stderr).toBe(0);
        commit = thirdCommit(repo);
      }
      // reset: the proxy picks mid-request or mid-response with the request's second draw; with seed 5
      // the first request of a run (the pointer read) gets mid-response.
      const proxy = await startFaultProxy({
        upstream: s3.endpoint,
        seed: 5,
        rates: { [kind]: 1 },
        eligible: once(match, nth),
      });
      try {
        const r = await runCli(cli.bin, ["push", ...store(proxy.endpoint)], { cwd: repo.dir, env });
        const hit = proxy.log().filter((e) => e.fault !== null);
        expect(hit, "the fault was injected once").toHaveLength(1);
        if (kind === "reset") expect(hit[0]!.detail).toBe("mid-response");
        expect(classify(r), r.stderr).not.toBe("unclean");
        expect(r.stderr).not.toMatch(/ignores conditional writes|changed while this publish held the lock/);
        // The next run (no faults) completes the job and leaves nothing in flight behind.
        const next = await runCli(cli.bin, ["push", ...store(s3.endpoint)], { cwd: repo.dir, env });
        expect(next.code, next.stderr).toBe(0);
        const objects = await bucketObjects(client, bucket);
        expect(filesOf(objects)).toEqual(expectedObjects(repo, commit));
        expect(metaOf(objects).filter((k) => /\/(lock|journal)\.json$|\/probe-/.test(k))).toEqual([]);
        const pointer = JSON.parse((await getText(bucket, `.wspub/${NAME}/live.json`))!);
        expect(pointer).toMatchObject({ commit, lock: null, journal: null });
        const deep = await runCli(cli.bin, ["verify", "--deep", ...store(s3.endpoint)], { cwd: repo.dir, env });
        expect(deep.code, deep.stdout).toBe(0);
        console.log(
          `${kind} at ${hit[0]!.method} ${hit[0]!.url.replace(/\?.*/, "")}${hit[0]!.detail ? ` (${hit[0]!.detail})` : ""}: first run exit ${r.code}${r.code ? ` (${r.stderr.split("\n").find((l) => l.startsWith("wspub: error:")) ?? ""})` : ""}, next run exit ${next.code}`,
        );
      } finally {
        await proxy.close();
      }
    },
    120_000,
  );
});

describe("a request body corrupted in transit (one byte flipped, length unchanged)", () => {
  /** Publishes through a proxy that corrupts the bodies `eligible` picks; checks after every run that nothing corrupt is stored. */
  async function publishThroughCorruption(
    label: string,
    seed: number,
    rate: number,
    eligible: (method: string, url: string, copy: boolean) => boolean,
  ) {
    const bucket = `faults-${label}-${process.pid}`;
    await createBucket(s3, bucket);
    const repo = makeRepo(seed);
    const commit = repo.commit("first");
    const expected = expectedObjects(repo, commit);
    const versions = new Map([...expected].map(([name, sum]) => [name, new Set([sum])]));
    const proxy = await startFaultProxy({
      upstream: s3.endpoint,
      seed,
      rates: { corrupt: rate },
      eligible: ({ method, url, headers }) => eligible(method, url, headers["x-amz-copy-source"] !== undefined),
    });
    const env = creds();
    const runs: string[] = [];
    const corrupt = new Set<string>();
    try {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const r = await runCli(cli.bin, ["push", "--target", `s3://${bucket}`, "--endpoint", proxy.endpoint], {
          cwd: repo.dir,
          env,
        });
        runs.push(
          `exit ${r.code}${r.code === 0 ? "" : `: ${r.stderr.split("\n").find((l) => l.startsWith("wspub: error:")) ?? r.stderr.slice(0, 300)}`}`,
        );
        expect(classify(r), r.stderr).not.toBe("unclean");
        const check = await checkBucket(bucket, versions);
        for (const c of check.corrupt) corrupt.add(c);
        expect(check.lost).toEqual([]);
      }
      const corrupted = proxy.log().filter((e) => e.fault === "corrupt");
      const verified = await runCli(cli.bin, ["verify", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint], {
        cwd: repo.dir,
        env,
      });
      console.log(
        `${label}: ${corrupted.length} bodies corrupted in ${proxy.stats().requests} requests; runs: ${runs.join("; ")}; ` +
          `corrupt objects stored: ${[...corrupt].join(", ") || "none"}; wspub verify then: exit ${verified.code} ${verified.stdout.replace(/\s+/g, " ").slice(0, 300)}`,
      );
      expect(corrupted.length).toBeGreaterThan(0);
      expect([...corrupt], `objects stored with corrupt bytes (runs: ${runs.join("; ")})`).toEqual([]);
      const clean = await runCli(cli.bin, ["push", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint], {
        cwd: repo.dir,
        env,
      });
      expect(clean.code, clean.stderr).toBe(0);
      expect(filesOf(await bucketObjects(client, bucket))).toEqual(expected);
      return corrupted;
    } finally {
      await proxy.close();
    }
  }

  it("single-part uploads: the server checks Content-MD5 and refuses (BadDigest), nothing corrupt is stored, the next run repairs", async () => {
    const corrupted = await publishThroughCorruption(
      "corrupt-put",
      91,
      0.3,
      (method, url, copy) =>
        method === "PUT" &&
        url.startsWith(`/faults-corrupt-put-${process.pid}/${NAME}/`) &&
        !url.includes("partNumber=") &&
        !copy,
    );
    // A request whose publisher exited (on the first BadDigest) before the body was read whole
    // is never answered; every flipped body the server did answer was refused.
    const answered = corrupted.filter((e) => e.detail?.startsWith("byte") && e.status !== undefined);
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.map((e) => e.status)).toEqual(answered.map(() => 400));
  }, 300_000);

  it("multipart parts (files over 8 MiB): every part must carry a checksum the server verifies, so a corrupt part is refused", async () => {
    const corrupted = await publishThroughCorruption(
      "corrupt-part",
      92,
      1,
      (method, url) => method === "PUT" && url.includes("partNumber="),
    );
    expect(corrupted.some((e) => /partNumber=/.test(e.url))).toBe(true);
  }, 300_000);
});
