import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { bucketObjects, e2eSetup, runCli, sha256, type Installed } from "../harness/cli.js";
import { tempRepo, type TempRepo } from "../harness/repo.js";
import { createBucket } from "../harness/seaweed.js";
import { committedCredentials, fake, mentionsOnly } from "../harness/fake-credentials.js";

const s3 = inject("s3");
const LONG_DIR = Array.from({ length: 5 }, (_, i) => `${String(i)}${"d".repeat(99)}`).join("/");
const LONG = `deep/${LONG_DIR}/file-with-a-long-name.txt`;
const BIG = Buffer.alloc(17 * 1024 * 1024 + 123);
for (let i = 0; i < BIG.length; i += 512) BIG.writeUInt32LE((i * 2654435761) >>> 0, i);

let cli: Installed;
let client: S3Client;
const { scratch, temp } = e2eSetup(s3, (c, k) => {
  cli = c;
  client = k;
});

const creds = () => ({
  AWS_ACCESS_KEY_ID: s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  XDG_DATA_HOME: temp("wspub-xdg-"),
});
const wspub = (cwd: string, args: string[], env: Record<string, string> = creds()) =>
  runCli(cli.bin, args, { cwd, env });

/** The bucket must hold exactly these objects (name -> path in the commit), byte for byte. */
function expectedObjects(repo: TempRepo, commit: string, names: Record<string, string>): Map<string, string> {
  const blob = (path: string) =>
    execFileSync("git", ["cat-file", "blob", `${commit}:${path}`], { cwd: repo.dir, maxBuffer: 64 * 1024 * 1024 });
  return new Map(Object.entries(names).map(([object, path]) => [object, sha256(blob(path))]));
}

describe("wspub push to S3, as a user runs it", () => {
  let repo: TempRepo;
  let bucket: string;
  let target: string;
  const base = () => ["--target", target, "--endpoint", s3.endpoint];

  beforeAll(async () => {
    bucket = `e2e-${process.pid}`;
    await createBucket(s3, bucket);
    target = `s3://${bucket}/sites`;
    const parent = temp("wspub-e2e-");
    repo = tempRepo("", join(parent, "myapp"));
    const sub = tempRepo("", join(parent, "subrepo"));
    sub.write({ "s.txt": "sub\n" });
    sub.commit("sub");
    repo.write({
      "hello world.txt": "hello\n",
      "ünïcødé/日本.md": "# 日本\n",
      "weird #+%&=.txt": "weird\n",
      "-leading.txt": "dash\n",
      [LONG]: "long\n",
      "empty.txt": "",
      "bin/run.sh": { content: "#!/bin/sh\necho hi\n", mode: 0o755 },
      link: { link: "hello world.txt" },
      "assets/big.bin": BIG,
      ".env": "SECRET=hunter2\n",
      "node_modules/lib/index.js": "module.exports = 1;\n",
      "dist/bundle.js": "bundle\n",
      "config/.gitignore": "secret-keys/\n",
      "config/secret-keys/k.pem": "-----BEGIN KEY-----\n",
      "config/app.json": "{}\n",
      ".dockerignore": "docs/drafts\n",
      "docs/drafts/d.md": "draft\n",
      "docs/index.md": "docs\n",
      "Readme.md": "readme\n",
      "old/dir/a.txt": "old a\n",
      "old/dir/b.txt": "old b\n",
      "src/mv.js": "move me\n",
      "src/edit.js": "edit me\n",
      "src/mode.sh": "#!/bin/sh\n",
      "src/mod.js": "v1\n",
      "src/del.js": "delete me\n",
      "logs/keep.txt": "kept for now\n",
    });
    repo.git("add", "-A");
    repo.git("add", "-f", "node_modules", "dist", "config/secret-keys/k.pem", ".env");
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.dir, "sub");
  }, 120_000);

  it("publishes the filtered commit, byte for byte, then the next commit as a diff", async () => {
    const c1 = repo.commit("first");
    const explain = wspub(repo.dir, ["files", "--explain"]);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain("excluded: config/secret-keys/k.pem  <- config/.gitignore:1: secret-keys/");
    expect(explain.stdout).toContain("excluded: docs/drafts/d.md  <- .dockerignore:1: docs/drafts");
    expect(explain.stdout).toContain("excluded: .env  <- default: .env*");
    expect(explain.stdout).toContain("excluded: sub  <- submodule");

    const first = wspub(repo.dir, ["push", ...base(), "--json"]);
    expect(first.stderr).toContain("skipped submodule sub");
    expect(first.code).toBe(0);
    const r1 = JSON.parse(first.stdout);
    expect(Object.keys(r1)).toEqual(
      expect.arrayContaining([
        "workspace",
        "commit",
        "previous",
        "target",
        "uploaded",
        "copied",
        "deleted",
        "unchanged",
        "bytesUploaded",
        "manifest",
        "durationMs",
      ]),
    );
    expect(r1).toMatchObject({ workspace: "myapp", commit: c1, previous: null, deleted: 0 });
    // The target is the URL the user gave, prefix included; the endpoint has a field of its own.
    expect(r1).toMatchObject({ target, endpoint: s3.endpoint });

    const v1 = {
      "hello world.txt": "hello world.txt",
      "ünïcødé/日本.md": "ünïcødé/日本.md",
      "weird #+%&=.txt": "weird #+%&=.txt",
      "-leading.txt": "-leading.txt",
      [LONG]: LONG,
      "empty.txt": "empty.txt",
      "bin/run.sh": "bin/run.sh",
      "link.rclonelink": "link",
      "assets/big.bin": "assets/big.bin",
      "config/.gitignore": "config/.gitignore",
      "config/app.json": "config/app.json",
      ".dockerignore": ".dockerignore",
      ".gitmodules": ".gitmodules",
      "docs/index.md": "docs/index.md",
      "Readme.md": "Readme.md",
      "old/dir/a.txt": "old/dir/a.txt",
      "old/dir/b.txt": "old/dir/b.txt",
      "src/mv.js": "src/mv.js",
      "src/edit.js": "src/edit.js",
      "src/mode.sh": "src/mode.sh",
      "src/mod.js": "src/mod.js",
      "src/del.js": "src/del.js",
      "logs/keep.txt": "logs/keep.txt",
    };
    expect(r1.uploaded).toBe(Object.keys(v1).length);
    expect(await bucketObjects(client, bucket, "sites/myapp/")).toEqual(expectedObjects(repo, c1, v1));
    expect((await bucketObjects(client, bucket, "sites/myapp/link.rclonelink")).get("")).toBe(
      sha256(Buffer.from("hello world.txt")),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: "sites/myapp/bin/run.sh" }));
    expect(head.Metadata?.["mode"]).toBe("33261");
    expect(head.Metadata?.["mtime"]).toBe(repo.git("show", "-s", "--format=%ct", c1).trim());
    expect(wspub(repo.dir, ["verify", ...base()]).code).toBe(0);

    // Commit 2: modify, delete a file and a whole directory, rename with and without edits,
    // change a mode, rename only the case, add an ignore rule. Plus a dirty working tree.
    repo.write({ "src/mod.js": "v2\n", "lib/edit.js": "edit me, edited\n", ".gitignore": "logs/\n" });
    repo.git("mv", "src/mv.js", "lib/mv.js");
    repo.git("rm", "-q", "src/edit.js", "src/del.js");
    repo.git("rm", "-q", "-r", "old/dir");
    repo.write({ "src/mode.sh": { content: "#!/bin/sh\n", mode: 0o755 } });
    repo.git("mv", "Readme.md", "README.md");
    repo.git("add", "lib/edit.js", "src/mod.js", "src/mode.sh", ".gitignore");
    const c2 = repo.commit("second", { all: false });
    repo.write({ "src/mod.js": "DIRTY, never published\n", "untracked.txt": "untracked\n" });

    const second = wspub(repo.dir, ["push", ...base(), "--json"]);
    expect(second.code).toBe(0);
    const r2 = JSON.parse(second.stdout);
    // uploaded: src/mod.js, lib/edit.js, .gitignore; copied: lib/mv.js, src/mode.sh (mode), README.md
    // deleted: src/mv.js, src/edit.js, src/del.js, old/dir/a.txt, old/dir/b.txt, Readme.md, logs/keep.txt
    expect(r2).toMatchObject({ commit: c2, previous: c1, uploaded: 3, copied: 3, deleted: 7 });
    const v2: Record<string, string> = {
      ...v1,
      "src/mod.js": "src/mod.js",
      "lib/mv.js": "lib/mv.js",
      "lib/edit.js": "lib/edit.js",
      "README.md": "README.md",
      ".gitignore": ".gitignore",
    };
    for (const gone of [
      "src/mv.js",
      "src/edit.js",
      "src/del.js",
      "old/dir/a.txt",
      "old/dir/b.txt",
      "Readme.md",
      "logs/keep.txt",
    ])
      delete v2[gone];
    expect(await bucketObjects(client, bucket, "sites/myapp/")).toEqual(expectedObjects(repo, c2, v2));
    const mode = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: "sites/myapp/src/mode.sh" }));
    expect(mode.Metadata?.["mode"]).toBe("33261");

    const verified = wspub(repo.dir, ["verify", ...base(), "--json"]);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, checked: Object.keys(v2).length, target });
    expect(wspub(repo.dir, ["verify", ...base()]).stdout).toContain(`ok: myapp at ${target} matches`);

    const status = wspub(repo.dir, ["status", ...base()]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`myapp at ${target}\n`);
    expect(status.stdout).toContain(`live:      ${c2}`);
    expect(status.stdout).toContain("is live");
    const statusJson = JSON.parse(wspub(repo.dir, ["status", ...base(), "--json"]).stdout);
    expect(statusJson).toMatchObject({ target, endpoint: s3.endpoint });
    const ls = wspub(repo.dir, ["ls", ...base(), "--json"]);
    expect(JSON.parse(ls.stdout)).toMatchObject({ target, endpoint: s3.endpoint });
    expect(JSON.parse(ls.stdout).workspaces.map((w: { workspace: string }) => w.workspace)).toEqual(["myapp"]);
    const empty = wspub(repo.dir, ["ls", "--target", `${target}/nothing-here`, "--endpoint", s3.endpoint]);
    expect(empty.stdout.trim()).toBe(`no workspaces published at ${target}/nothing-here (${s3.endpoint})`);

    // drift is reported with exit 4
    const { PutObjectCommand } = await import("@aws-sdk/client-s3");
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: "sites/myapp/src/mod.js", Body: "tampered\n" }));
    const drift = wspub(repo.dir, ["verify", ...base()]);
    expect(drift.code).toBe(4);
    expect(drift.stdout).toMatch(/changed +src\/mod\.js/);
    // an older commit is refused (exit 3) and changes nothing; --force rolls back
    const before = await bucketObjects(client, bucket);
    const refused = wspub(repo.dir, ["push", ...base(), "--ref", c1]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/is older than the live commit .*Pass --force to roll back/);
    expect(await bucketObjects(client, bucket)).toEqual(before);
    const rollback = wspub(repo.dir, ["push", ...base(), "--ref", c1, "--force"]);
    expect(rollback.code).toBe(0);
    expect(await bucketObjects(client, bucket, "sites/myapp/")).toEqual(expectedObjects(repo, c1, v1));
  });

  describe("bad input: a clear message, a documented exit code, the bucket untouched", () => {
    let before: Map<string, string>;
    beforeAll(async () => {
      before = await bucketObjects(client, bucket);
    });
    const cases: { name: string; code: number; message: RegExp; run: () => ReturnType<typeof wspub> }[] = [
      {
        name: "not a git repository",
        code: 2,
        message: /not inside a git repository/,
        run: () => wspub(temp("wspub-norepo-"), ["push", ...base()]),
      },
      {
        name: "a repository with no commits",
        code: 2,
        message: /no commits yet/,
        run: () => {
          const empty = tempRepo();
          scratch.push(empty.dir);
          return wspub(empty.dir, ["push", ...base()]);
        },
      },
      {
        name: "an unknown ref",
        code: 2,
        message: /unknown ref "no-such-branch"/,
        run: () => wspub(repo.dir, ["push", ...base(), "--ref", "no-such-branch"]),
      },
      {
        name: "an unknown workspace",
        code: 2,
        message: /unknown workspace "nope"/,
        run: () => wspub(repo.dir, ["push", "nope", ...base()]),
      },
      {
        name: "a missing bucket",
        code: 2,
        message: /bucket "no-such-bucket" does not exist/,
        run: () => wspub(repo.dir, ["push", "--target", "s3://no-such-bucket", "--endpoint", s3.endpoint]),
      },
      {
        name: "wrong credentials",
        code: 2,
        message: /rejected the credentials/,
        run: () => wspub(repo.dir, ["push", ...base()], { ...creds(), AWS_SECRET_ACCESS_KEY: "wrong-secret" }),
      },
      {
        name: "an unreachable endpoint",
        code: 1,
        message: /cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:9/,
        run: () => wspub(repo.dir, ["push", "--target", target, "--endpoint", "http://127.0.0.1:9"]),
      },
      {
        name: "an invalid config",
        code: 2,
        message: /wspub\.config\.json: concurrency: .*number/,
        run: () => {
          const bad = tempRepo();
          scratch.push(bad.dir);
          bad.write({ "a.txt": "a\n", "wspub.config.json": JSON.stringify({ concurrency: "many" }) });
          bad.commit("one");
          return wspub(bad.dir, ["push", ...base()]);
        },
      },
      {
        name: "a CA bundle that cannot be loaded",
        code: 2,
        message: /AWS_CA_BUNDLE=\/nonexistent\/ca.pem cannot be loaded/,
        run: () =>
          wspub(repo.dir, ["push", "--target", target, "--endpoint", "https://127.0.0.1:9"], {
            ...creds(),
            AWS_CA_BUNDLE: "/nonexistent/ca.pem",
          }),
      },
      {
        name: "an unknown option",
        code: 2,
        message: /unknown option '--nope'/,
        run: () => wspub(repo.dir, ["push", "--nope"]),
      },
    ];
    it.each(cases)("$name", async ({ code, message, run }) => {
      const r = run();
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(code);
      expect(r.stderr).not.toContain(s3.secretAccessKey);
      expect(await bucketObjects(client, bucket)).toEqual(before);
    });
  });
});

describe("the embedded default store", () => {
  it("publishes to a local directory whose location is printed", () => {
    const repo = tempRepo();
    scratch.push(repo.dir);
    repo.write({ "index.html": "<h1>hi</h1>\n", "node_modules/x.js": "x\n" });
    repo.git("add", "-A");
    repo.git("add", "-f", "node_modules");
    repo.commit("one");
    const xdg = temp("wspub-xdg-");
    const r = wspub(repo.dir, ["push"], { XDG_DATA_HOME: xdg });
    expect(r.code).toBe(0);
    const store = join(xdg, "wspub", "store");
    expect(r.stderr).toContain(store);
    const name = repo.dir.split("/").pop()!;
    expect(readFileSync(join(store, name, "index.html"), "utf8")).toBe("<h1>hi</h1>\n");
    expect(existsSync(join(store, name, "node_modules"))).toBe(false);
    expect(wspub(repo.dir, ["verify"], { XDG_DATA_HOME: xdg }).code).toBe(0);
  });
});

describe("a push in a large repository (bin/young-generation.js)", () => {
  // `npm test` runs Node 24 (node_modules/.bin first on PATH); older Node has no process.execve.
  const restarts = typeof (process as { execve?: unknown }).execve === "function";
  it.skipIf(!restarts)(
    "starts again with a smaller young generation, keeps its arguments, output and exit codes",
    () => {
      const repo = tempRepo();
      scratch.push(repo.dir);
      repo.write({ "index.html": "<h1>hi</h1>\n" });
      repo.commit("one");
      const xdg = temp("wspub-xdg-");
      // Any index counts as large here (the default is 2 MiB, about 20,000 files).
      const env = { XDG_DATA_HOME: xdg, WSPUB_LARGE_INDEX_BYTES: "1", WSPUB_DEBUG: "1" };
      const r = wspub(repo.dir, ["push", "--json"], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^wspub: starting again with \S+ --max-semi-space-size=8 \S*wspub(\.js)? push --json$/m);
      expect(JSON.parse(r.stdout)).toMatchObject({ uploaded: 1, commit: repo.git("rev-parse", "HEAD").trim() });
      const bad = wspub(repo.dir, ["push", "--ref", "no-such-ref"], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/no-such-ref/);
      // Opted out, or a small index: no restart.
      for (const over of [{ WSPUB_YOUNG_GENERATION: "default" }, { WSPUB_LARGE_INDEX_BYTES: String(2 ** 40) }]) {
        const again = wspub(repo.dir, ["push"], { ...env, ...over });
        expect(again.code).toBe(0);
        expect(again.stderr).not.toContain("starting again");
      }
    },
  );
});

describe("a monorepo with configured workspaces", () => {
  it("publishes each folder under its config name: by name, by directory, from inside it, and --all", async () => {
    const bucket = `mono-${process.pid}`;
    await createBucket(s3, bucket);
    const repo = tempRepo();
    scratch.push(repo.dir);
    repo.write({
      "wspub.config.json": JSON.stringify({
        target: `s3://${bucket}`,
        endpoint: s3.endpoint,
        workspaces: { www: "workspaces/www", api: "./workspaces/api/" },
      }),
      ".gitignore": "*.tmp\n",
      "workspaces/www/index.html": "<p>www</p>\n",
      "workspaces/www/cache.tmp": "tmp\n",
      "workspaces/api/app.js": "api\n",
      "workspaces/api/.wspubignore": "secret.txt\n",
      "workspaces/api/secret.txt": "s\n",
      "tools/script.sh": "echo\n",
    });
    repo.git("add", "-A");
    repo.git("add", "-f", "workspaces/www/cache.tmp");
    const c1 = repo.commit("one");

    const byName = wspub(repo.dir, ["push", "www", "--json"]);
    expect(byName.code).toBe(0);
    expect(JSON.parse(byName.stdout)).toMatchObject({ workspace: "www", commit: c1, uploaded: 1 });
    const fromInside = wspub(join(repo.dir, "workspaces/api"), ["push", "--json"]);
    expect(JSON.parse(fromInside.stdout)).toMatchObject({ workspace: "api", uploaded: 2 });
    const byDir = wspub(repo.dir, ["push", "workspaces/www", "--json"]);
    expect(JSON.parse(byDir.stdout)).toMatchObject({ workspace: "www", noop: true });

    repo.write({ "workspaces/api/app.js": "api v2\n" });
    const c2 = repo.commit("two");
    const all = wspub(repo.dir, ["push", "--all", "--json"]);
    expect(all.code).toBe(0);
    const results = JSON.parse(all.stdout).workspaces;
    expect(
      results.map((r: { workspace: string; commit: string; uploaded: number }) => [r.workspace, r.commit, r.uploaded]),
    ).toEqual([
      ["www", c2, 0],
      ["api", c2, 1],
    ]);
    const objects = await bucketObjects(client, bucket);
    const files = [...objects.keys()].filter((k) => !k.startsWith(".wspub/")).sort();
    expect(files).toEqual(["api/.wspubignore", "api/app.js", "www/index.html"]);
    expect(objects.get("api/app.js")).toBe(sha256(Buffer.from("api v2\n")));
    const ls = wspub(repo.dir, ["ls", "--json"]);
    expect(JSON.parse(ls.stdout).workspaces.map((w: { workspace: string }) => w.workspace)).toEqual(["api", "www"]);
  });
});

describe("previews from the command line: push --preview, ls, prune, delete", () => {
  it("publishes a branch's preview, lists it, prunes it once the branch is gone, and deletes a workspace", async () => {
    const bucket = `cli-previews-${process.pid}`;
    await createBucket(s3, bucket);
    const store = ["--target", `s3://${bucket}`, "--endpoint", s3.endpoint];
    const repo = tempRepo("", join(temp("wspub-cli-previews-"), "site"));
    repo.write({ "index.html": "<h1>main</h1>\n" });
    repo.commit("main");
    expect(wspub(repo.dir, ["push", ...store]).code).toBe(0);
    repo.git("checkout", "-q", "-b", "fix/typo");
    repo.write({ "index.html": "<h1>fixed</h1>\n" });
    repo.commit("fix");

    const pushed = wspub(repo.dir, ["push", "--preview", "--json", ...store]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(JSON.parse(pushed.stdout)).toMatchObject({
      workspace: "site--fix-typo",
      preview: { of: "site", branch: "fix/typo" },
    });
    const ls = wspub(repo.dir, ["ls", ...store]);
    expect(ls.stdout).toMatch(/^site--fix-typo .*\(preview of site, branch fix\/typo\)$/m);
    expect(ls.stdout).toMatch(/^site {2,}[0-9a-f]{12}/m);

    repo.git("checkout", "-q", "main");
    repo.git("branch", "-q", "-D", "fix/typo");
    const dry = wspub(repo.dir, ["prune", "--dry-run", ...store]);
    expect(dry.stdout).toMatch(/^would prune site--fix-typo \(branch fix\/typo is gone\): 1 objects, \d+ records$/m);
    expect(wspub(repo.dir, ["prune", ...store]).stdout).toMatch(/^pruned site--fix-typo/m);
    expect(wspub(repo.dir, ["prune", ...store]).stdout).toBe(
      "no previews to prune: every preview's branch still exists\n",
    );

    const removed = wspub(repo.dir, ["delete", "site", "--json", ...store]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ workspace: "site", existed: true, objects: 1 });
    expect((await bucketObjects(client, bucket)).size).toBe(0);
  });
});

describe("credentials by content from the command line", () => {
  it("files --explain and --json name the file, the rule and the line; push --json refuses with exit 3; an allow publishes", async () => {
    const bucket = `cli-creds-${process.pid}`;
    await createBucket(s3, bucket);
    const store = ["--target", `s3://${bucket}`, "--endpoint", s3.endpoint];
    const repo = tempRepo("", join(temp("wspub-cli-creds-"), "svc"));
    repo.write({
      "index.js": "console.log(1)\n",
      "README.md": mentionsOnly["README.md"]!,
      "src/github.ts": committedCredentials["src/github.ts"]!.content,
      "config/gcp-sa.json": committedCredentials["config/gcp-sa.json"]!.content,
    });
    repo.commit("creds");
    const explain = wspub(repo.dir, ["files", "--explain"]);
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toContain(
      "src/github.ts  <- CREDENTIAL: github/GITHUB_TOKEN (line 3): a publish of this commit is refused",
    );
    expect(explain.stdout).toMatch(/^config\/gcp-sa\.json {2}<- CREDENTIAL: .*gcp\/PrivateKeyJSON \(line 1\)/m);
    expect(explain.stdout).toMatch(/^README\.md$/m);
    const listed = JSON.parse(wspub(repo.dir, ["files", "--json", "--explain"]).stdout);
    expect(JSON.parse(wspub(repo.dir, ["files", "--json"]).stdout).credentials).toBeUndefined();
    expect(listed.credentials.findings).toContainEqual({ path: "src/github.ts", rule: "github/GITHUB_TOKEN", line: 3 });

    const pushed = wspub(repo.dir, ["push", "--json", ...store]);
    expect(pushed.code).toBe(3);
    expect(JSON.parse(pushed.stdout)).toMatchObject({ error: { exitCode: 3, code: "refused" } });
    expect(pushed.stderr).toContain("  src/github.ts:3: github/GITHUB_TOKEN");
    for (const said of [explain.stdout, pushed.stdout, pushed.stderr, JSON.stringify(listed)]) {
      expect(said).not.toContain(fake.githubToken);
    }
    expect((await bucketObjects(client, bucket)).size).toBe(0);

    // Deliberate: the service-account file stays out, the token file is allowed.
    repo.write({ ".wspubignore": "config/gcp-sa.json\n!src/github.ts\n" });
    repo.commit("decided");
    expect(wspub(repo.dir, ["files", "--explain"]).stdout).toContain(
      "src/github.ts  <- allowed with ! in .wspubignore or the config: not scanned for credentials",
    );
    const allowed = wspub(repo.dir, ["push", ...store]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect([...(await bucketObjects(client, bucket)).keys()].filter((k) => k.startsWith("svc/")).sort()).toEqual([
      "svc/.wspubignore",
      "svc/README.md",
      "svc/index.js",
      "svc/src/github.ts",
    ]);
  });
});
