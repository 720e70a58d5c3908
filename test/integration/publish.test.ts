import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { openGit } from "../../src/git/cli-git.js";
import type { GitReader } from "../../src/git/port.js";
import { publish } from "../../src/publish/publish.js";
import type { PublishRequest } from "../../src/publish/request.js";
import { verify } from "../../src/inspect/verify.js";
import { status } from "../../src/inspect/status.js";
import { repair } from "../../src/inspect/repair.js";
import { type PublishEvent, silentReporter } from "../../src/events.js";
import { DirStore } from "../../src/store/dir-store.js";
import type { ObjectStore } from "../../src/store/port.js";
import { WspubError } from "../../src/errors.js";
import { publishRequest } from "../harness/publish-request.js";
import { tempRepo, type TempRepo } from "../harness/repo.js";
import { s3Client } from "../harness/seaweed.js";
import { layoutOf } from "../harness/layout.js";
import { freshBucket, useS3Credentials } from "../harness/s3-bucket.js";

const s3 = inject("s3");

interface StoreKind {
  name: string;
  make(): Promise<{ store: ObjectStore; raw?: { bucket: string }; cleanup(): void }>;
}

const kinds: StoreKind[] = [
  {
    name: "SeaweedFS S3",
    async make() {
      const { bucket, store } = await freshBucket(s3, "pub", 8);
      return { store, raw: { bucket }, cleanup: () => store.close() };
    },
  },
  {
    name: "local directory",
    async make() {
      const root = mkdtempSync(join(tmpdir(), "wspub-store-"));
      return { store: new DirStore(root), cleanup: () => rmSync(root, { recursive: true, force: true }) };
    },
  },
];

// The harness's server, and nothing from the machine's AWS or CA environment.
useS3Credentials(s3);

/** Every object under `prefix`, name -> bytes. */
async function snapshot(store: ObjectStore, prefix: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for await (const o of store.list(prefix)) out.set(o.key.slice(prefix.length), (await store.get(o.key))!);
  return out;
}

/** What the workspace prefix must hold: each path's committed bytes, read from git directly. */
function expected(repo: TempRepo, commit: string, paths: Record<string, string>): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [object, path] of Object.entries(paths)) {
    out.set(object, execFileSync("git", ["cat-file", "blob", `${commit}:${path}`], { cwd: repo.dir }));
  }
  return out;
}

describe.each(kinds)("publish to $name", (kind) => {
  let repo: TempRepo;
  let git: GitReader;
  let store: ObjectStore;
  let cleanup: () => void;
  let raw: { bucket: string } | undefined;
  const layout = layoutOf("app");
  const req = (over: Partial<PublishRequest> = {}): PublishRequest =>
    publishRequest({ git, store: store, layout, concurrency: 4 }, over);

  beforeEach(async () => {
    repo = tempRepo();
    const made = await kind.make();
    store = made.store;
    cleanup = made.cleanup;
    raw = made.raw;
  });
  afterEach(async () => {
    await git?.close();
    cleanup();
    repo.cleanup();
  });

  async function open() {
    git = await openGit(repo.dir);
  }

  it("publishes the filtered tree, then only the diff, and verifies", async () => {
    repo.write({
      "package.json": "{}\n",
      "src/a.js": "a\n",
      "src/b.js": "b\n",
      "run.sh": { content: "#!/bin/sh\n", mode: 0o755 },
      link: { link: "src/a.js" },
      "node_modules/x/index.js": "x\n",
      ".env": "SECRET=1\n",
    });
    const c1 = repo.commit("one");
    await open();
    const r1 = await publish(req());
    expect(r1).toMatchObject({
      commit: c1,
      previous: null,
      uploaded: 5,
      copied: 0,
      deleted: 0,
      unchanged: 0,
      noop: false,
    });
    expect(await snapshot(store, "app/")).toEqual(
      expected(repo, c1, {
        "package.json": "package.json",
        "src/a.js": "src/a.js",
        "src/b.js": "src/b.js",
        "run.sh": "run.sh",
        "link.rclonelink": "link",
      }),
    );
    expect((await verify(store, layout, { deep: true, concurrency: 4 })).ok).toBe(true);

    // one modified file, one renamed without edit, and a new file with the modified file's old
    // content: that content is being overwritten, so it cannot be a copy source (it is uploaded)
    repo.write({ "src/a.js": "a2\n", "lib/b.js": "b\n", "src/c.js": "a\n" });
    repo.remove("src/b.js");
    const c2 = repo.commit("two");
    const r2 = await publish(req());
    expect(r2).toMatchObject({
      commit: c2,
      previous: c1,
      uploaded: 2,
      copied: 1,
      deleted: 1,
      unchanged: 3,
      bytesUploaded: 5,
    });
    expect(await snapshot(store, "app/")).toEqual(
      expected(repo, c2, {
        "package.json": "package.json",
        "src/a.js": "src/a.js",
        "lib/b.js": "lib/b.js",
        "src/c.js": "src/c.js",
        "run.sh": "run.sh",
        "link.rclonelink": "link",
      }),
    );
    const v = await verify(store, layout, { deep: false, concurrency: 4 });
    expect(v).toMatchObject({ ok: true, checked: 6, missing: [], changed: [], unexpected: [] });

    // republishing the live commit writes nothing
    const r3 = await publish(req());
    expect(r3).toMatchObject({ noop: true, uploaded: 0, copied: 0, deleted: 0, unchanged: 6 });
  });

  it("writes the metadata the mount reads (mtime, md5chksum, mode)", async () => {
    repo.write({ "a.txt": "hello\n", "run.sh": { content: "#!/bin/sh\n", mode: 0o755 } });
    const c1 = repo.commit("one");
    await open();
    await publish(req());
    const ct = Number(repo.git("show", "-s", "--format=%ct", c1).trim());
    if (raw) {
      const client = s3Client(s3);
      const head = await client.send(new HeadObjectCommand({ Bucket: raw.bucket, Key: "app/run.sh" }));
      const md5 = execFileSync("sh", ["-c", "printf '#!/bin/sh\\n' | openssl md5 -binary | base64"]).toString().trim();
      expect(head.Metadata).toEqual({ mtime: String(ct), md5chksum: md5, mode: "33261" });
      const a = await client.send(new HeadObjectCommand({ Bucket: raw.bucket, Key: "app/a.txt" }));
      expect(a.Metadata!["mode"]).toBe("33188");
      expect(a.ContentType).toBe("text/plain");
      client.destroy();
    } else {
      const root = (store as DirStore).root;
      expect(statSync(join(root, "app/run.sh")).mode & 0o777).toBe(0o755);
      expect(Math.round(statSync(join(root, "app/a.txt")).mtimeMs / 1000)).toBe(ct);
    }
  });

  it("refuses a non-ancestor without --force and leaves the store untouched; rolls back with --force", async () => {
    repo.write({ "a.txt": "1\n" });
    const c1 = repo.commit("one");
    repo.write({ "a.txt": "2\n", "b.txt": "b\n" });
    const c2 = repo.commit("two");
    await open();
    await publish(req());
    const before = await snapshot(store, "");
    const refused = await publish(req({ ref: c1 })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WspubError);
    expect((refused as WspubError).exitCode).toBe(3);
    expect((refused as WspubError).message).toMatch(/is older than the live commit .*Pass --force to roll back/);
    expect(await snapshot(store, "")).toEqual(before);

    const back = await publish(req({ ref: c1, force: true }));
    expect(back).toMatchObject({ commit: c1, previous: c2, deleted: 1 });
    expect(await snapshot(store, "app/")).toEqual(expected(repo, c1, { "a.txt": "a.txt" }));
    expect((await verify(store, layout, { deep: true, concurrency: 2 })).ok).toBe(true);
  });

  it("refuses to publish an empty set over a live workspace", async () => {
    repo.write({ "a.txt": "1\n" });
    const c1 = repo.commit("one");
    repo.write({ "node_modules/x.js": "x\n" });
    repo.remove("a.txt");
    repo.git("add", "-A");
    repo.git("add", "-f", "node_modules");
    const c2 = repo.commit("only excluded files left");
    await open();
    await publish(req({ ref: c1 }));
    const before = await snapshot(store, "");
    const e = (await publish(req({ ref: c2 })).catch((x: unknown) => x)) as WspubError;
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/nothing to publish: .*\(1 excluded; see wspub files --explain\)/);
    expect(await snapshot(store, "")).toEqual(before);
  });

  it("names the files whose names hold control characters (a mount shows them under other names), once", async () => {
    repo.write({ "app.js": "app\n", "data/a\tb.txt": "tab\n", "del\u007f.txt": "del\n" });
    repo.commit("controls");
    await open();
    const notices: string[] = [];
    const reporter = { event: (e: PublishEvent) => e.type === "notice" && notices.push(e.message) };
    expect((await publish(req({ reporter }))).uploaded).toBe(3);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^2 published name\(s\) hold control characters \(.*\): .*U\+2409/);
    expect(notices[0]).toContain(JSON.stringify("data/a\tb.txt"));
    expect(notices[0]).toContain(JSON.stringify("del\u007f.txt"));
    repo.write({ "app.js": "app 2\n" });
    repo.commit("unrelated");
    notices.length = 0;
    await publish(req({ reporter }));
    expect(notices).toEqual([]);
  });

  it("withholds secret-looking files unless .wspubignore re-includes them, and says what it withheld", async () => {
    repo.write({
      "app.js": "app\n",
      "deploy/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
      "certs/server.pem": "-----BEGIN CERTIFICATE-----\n",
      ".npmrc": "//registry.npmjs.org/:_authToken=npm_secret\n",
      "pkg/.npmrc": "save-exact=true\n",
      "public/ca.pem": "-----BEGIN CERTIFICATE-----\n",
      ".wspubignore": "!public/ca.pem\n",
    });
    repo.commit("secrets");
    await open();
    const notices: string[] = [];
    const r = await publish(req({ reporter: { event: (e) => e.type === "notice" && notices.push(e.message) } }));
    expect(r.uploaded).toBe(4);
    expect([...(await snapshot(store, "app/")).keys()].sort()).toEqual([
      ".wspubignore",
      "app.js",
      "pkg/.npmrc",
      "public/ca.pem",
    ]);
    expect(notices.join("\n")).toMatch(
      /withheld 3 secret-looking file\(s\) even though they are tracked: .*\.npmrc.*re-include/,
    );
  });

  it("verify --repair puts back drifted objects from git without a full re-upload", async () => {
    repo.write({ "a.txt": "1\n", "b.txt": "2\n", "c.txt": "3\n" });
    repo.commit("one");
    await open();
    await publish(req());
    await store.deleteMany(["app/a.txt"]);
    const md5 = Buffer.from(require_md5("X\n"), "hex").toString("base64");
    await store.put("app/b.txt", Buffer.from("X\n"), { size: 2, md5, contentType: "text/plain", metadata: {} });
    await store.put("app/extra.txt", Buffer.from("X\n"), { size: 2, md5, contentType: "text/plain", metadata: {} });
    const drift = await verify(store, layout, { deep: false, concurrency: 2 });
    const fixed = await repair(
      { git, dir: "", store, layout, reporter: silentReporter, env: {}, concurrency: 2, holder: "tester" },
      drift,
    );
    expect(fixed).toEqual({ rewritten: 2, deleted: 1 });
    expect((await verify(store, layout, { deep: true, concurrency: 2 })).ok).toBe(true);
  });

  it("--dry-run reports the plan and writes nothing", async () => {
    repo.write({ "a.txt": "1\n", "b.txt": "2\n" });
    repo.commit("one");
    await open();
    const r = await publish(req({ dryRun: true }));
    expect(r).toMatchObject({ dryRun: true, uploaded: 2 });
    expect((await snapshot(store, "")).size).toBe(0);
  });

  it("reports drift: missing, changed and unexpected objects", async () => {
    repo.write({ "a.txt": "1\n", "b.txt": "2\n", "c.txt": "3\n" });
    repo.commit("one");
    await open();
    await publish(req());
    await store.deleteMany(["app/a.txt"]);
    const opts = { size: 2, md5: "", contentType: "text/plain", metadata: {} };
    await store.put("app/b.txt", Buffer.from("X\n"), {
      ...opts,
      md5: Buffer.from(require_md5("X\n"), "hex").toString("base64"),
    });
    await store.put("app/extra.txt", Buffer.from("e\n"), {
      ...opts,
      md5: Buffer.from(require_md5("e\n"), "hex").toString("base64"),
    });
    for (const deep of [false, true]) {
      const v = await verify(store, layout, { deep, concurrency: 2 });
      expect(v.ok).toBe(false);
      expect(v.missing.map((d) => d.object)).toEqual(["a.txt"]);
      expect(v.changed.map((d) => d.object)).toEqual(["b.txt"]);
      expect(v.unexpected).toEqual(["extra.txt"]);
    }
  });

  it("a first publish over a prefix filled by an old sync removes what the commit does not have", async () => {
    const opts = {
      size: 2,
      md5: Buffer.from(require_md5("o\n"), "hex").toString("base64"),
      contentType: "text/plain",
      metadata: {},
    };
    await store.put("app/old/stale.txt", Buffer.from("o\n"), opts);
    await store.put("app/a.txt", Buffer.from("o\n"), opts);
    await store.put("apple/keep.txt", Buffer.from("o\n"), opts); // another workspace whose name starts the same
    repo.write({ "a.txt": "1\n" });
    const c1 = repo.commit("one");
    await open();
    const r = await publish(req());
    expect(r).toMatchObject({ uploaded: 1, deleted: 1 });
    expect(await snapshot(store, "app/")).toEqual(expected(repo, c1, { "a.txt": "a.txt" }));
    expect((await snapshot(store, "apple/")).size).toBe(1);
  });

  it("streams a large file (multipart on S3) and verifies it by content", async () => {
    const big = Buffer.alloc(17 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    repo.write({ "big.bin": big, "small.txt": "s\n" });
    repo.commit("one");
    await open();
    const r = await publish(req());
    expect(r).toMatchObject({ uploaded: 2, bytesUploaded: big.length + 2 });
    expect((await store.get("app/big.bin"))!.equals(big)).toBe(true);
    expect((await verify(store, layout, { deep: false, concurrency: 2 })).ok).toBe(true);
  });

  it("publishes a monorepo folder under its own name, with the .gitignore above it", async () => {
    repo.write({
      ".gitignore": "*.tmp\n",
      "workspaces/www/index.html": "<p>\n",
      "workspaces/www/x.tmp": "t\n",
      "workspaces/api/app.js": "api\n",
    });
    repo.git("add", "-f", ".");
    const c1 = repo.commit("one");
    await open();
    const www = layoutOf("www");
    const r = await publish(req({ layout: www, dir: "workspaces/www" }));
    expect(r).toMatchObject({ uploaded: 1, excluded: 1 });
    expect(await snapshot(store, "")).toEqual(
      new Map(
        [...expected(repo, c1, { "www/index.html": "workspaces/www/index.html" })].concat(
          [...(await snapshot(store, ".wspub/"))].map(([k, v]) => [`.wspub/${k}`, v] as [string, Buffer]),
        ),
      ),
    );
  });

  it("refuses when the live commit is not in a shallow clone, and says what to do", async () => {
    repo.write({ "a.txt": "1\n" });
    repo.commit("one");
    await open();
    await publish(req());
    await git.close();
    repo.write({ "a.txt": "2\n" });
    repo.commit("two");
    const shallow = mkdtempSync(join(tmpdir(), "wspub-shallow-"));
    try {
      execFileSync("git", ["clone", "-q", "--depth", "1", `file://${repo.dir}`, shallow]);
      git = await openGit(shallow);
      const e = (await publish(req()).catch((x: unknown) => x)) as WspubError;
      expect(e.exitCode).toBe(3);
      expect(e.message).toMatch(/fetch-depth: 0/);
      const r = await publish(req({ force: true }));
      expect(r).toMatchObject({ uploaded: 1, unchanged: 0 });
      expect((await status(store, layout, git)).behind).toBe(0);
    } finally {
      rmSync(shallow, { recursive: true, force: true });
    }
  });
});

function require_md5(text: string): string {
  return execFileSync("sh", ["-c", `printf '%s' "$0" | md5sum | cut -d' ' -f1`, text]).toString().trim();
}
