// Bad input (issue #5): each case gives a clear message that says what to do, the documented exit
// code (README "Exit codes": 1 failure, 2 bad input, 3 refused on purpose), no stack trace, no
// credential in the output, and leaves the bucket untouched (every key and the SHA-256 of every
// object, before and after). The installed CLI runs against a real SeaweedFS.
//
// Inputs that look odd but are legitimate (a detached HEAD, a file that changes type between
// commits, a region a custom endpoint ignores) are not bad input: they are asserted to publish
// correctly, into buckets of their own.

import { execFileSync, spawnSync } from "node:child_process";
import { symlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { committedCredentials, fake, mentionsOnly } from "../harness/fake-credentials.js";
import { bucketObjects, e2eSetup, runCli, sha256, type Installed, type RunResult } from "../harness/cli.js";
import { tempRepo, type TempRepo, type Tree } from "../harness/repo.js";
import { cleanEnv, createBucket } from "../harness/seaweed.js";

const s3 = inject("s3");
const WRONG_SECRET = "wrong-secret-0123456789abcdefWRONG";

let cli: Installed;
let client: S3Client;
const { temp } = e2eSetup(s3, (c, k) => {
  cli = c;
  client = k;
});

const creds = (): Record<string, string> => ({
  AWS_ACCESS_KEY_ID: s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  XDG_DATA_HOME: temp("wspub-xdg-"),
});
const wspub = (cwd: string, args: string[], env: Record<string, string> = creds()) =>
  runCli(cli.bin, args, { cwd, env });

/** A committed repository `dir/<name>` holding `tree`. */
function repoWith(name: string, tree: Tree, options: { force?: string[] } = {}): TempRepo {
  const repo = tempRepo("", join(temp("wspub-bad-"), name));
  repo.write(tree);
  repo.git("add", "-A");
  if (options.force) repo.git("add", "-f", ...options.force);
  repo.commit("one");
  return repo;
}

/** The objects a commit publishes: object name -> SHA-256 (a symlink is <path>.rclonelink holding its target). */
function expectedObjects(repo: TempRepo, commit: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of repo.git("ls-tree", "-r", "-z", commit).split("\0").filter(Boolean)) {
    const tab = line.indexOf("\t");
    const [meta, path] = [line.slice(0, tab), line.slice(tab + 1)];
    const [mode, , oid] = meta.split(" ") as [string, string, string];
    const body = execFileSync("git", ["cat-file", "blob", oid], { cwd: repo.dir, maxBuffer: 64 * 1024 * 1024 });
    out.set(mode === "120000" ? `${path}.rclonelink` : path, sha256(body));
  }
  return out;
}

const filesUnder = (objects: Map<string, string>, prefix: string) =>
  new Map([...objects].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));

/** ~1100 bytes over 11 directories: the object key is over S3's 1024-byte limit. */
const LONG_PATH = `${Array.from({ length: 11 }, (_, i) => `${String(i).padStart(2, "0")}${"x".repeat(96)}`).join("/")}/file.txt`;

interface Case {
  name: string;
  /** 1 failure, 2 bad input, 3 refused (README, Exit codes). */
  code: 1 | 2 | 3 | readonly (1 | 2 | 3)[];
  /** What the message must say: the problem and what to do. */
  message: RegExp;
  /** Prepares state in the bucket (before the snapshot is taken). */
  setup?: () => Promise<void>;
  run: () => RunResult;
  /** Extra strings that must not appear in the output (credentials the case passes). */
  secrets?: string[];
  /**
   * A bucket of its own (created with one marker object), for a case that, if the product gets it
   * wrong, would leave the shared bucket unreadable for the cases after it.
   */
  bucket?: string;
}

describe("bad input: a clear message, the documented exit code, no stack trace, no credential, the bucket untouched", () => {
  const bucket = `bad-input-${process.pid}`;
  const target = `s3://${bucket}`;
  const store = () => ["--target", target, "--endpoint", s3.endpoint];
  let app: TempRepo;
  let c1: string;
  let side: string;

  beforeAll(async () => {
    await createBucket(s3, bucket);
    // Something to protect: a published workspace "app" with c2 live.
    app = repoWith("app", { "index.html": "<h1>app</h1>\n", "src/main.js": "main\n", "docs/a.md": "a\n" });
    c1 = app.git("rev-parse", "HEAD").trim();
    app.write({ "src/main.js": "main v2\n" });
    app.commit("two");
    const pushed = wspub(app.dir, ["push", ...store()]);
    expect(pushed.code, pushed.stderr).toBe(0);
    // A commit on another line of history (not a descendant of the live one).
    app.git("checkout", "-q", "-b", "side", c1);
    app.write({ "side.txt": "side\n" });
    side = app.commit("side");
    app.git("checkout", "-q", "main");
  }, 120_000);

  const cases: Case[] = [
    // --- the repository and the ref
    {
      name: "not a git repository",
      code: 2,
      message: /is not inside a git repository: run wspub from a repository/,
      run: () => wspub(temp("wspub-norepo-"), ["push", ...store()]),
    },
    {
      name: "a repository with no commits",
      code: 2,
      message: /has no commits yet: commit something first/,
      run: () => wspub(tempRepo("wspub-empty-", join(temp("wspub-bad-"), "empty")).dir, ["push", ...store()]),
    },
    {
      name: "a bare repository",
      code: 2,
      message: /is a bare repository: wspub publishes from a repository with a work tree \(clone it/,
      run: () => {
        const bare = join(temp("wspub-bare-"), "app.git");
        execFileSync("git", ["clone", "-q", "--bare", app.dir, bare]);
        return wspub(bare, ["push", ...store()]);
      },
    },
    {
      name: "an unknown ref",
      code: 2,
      message: /unknown ref "no-such-branch": give a commit, branch or tag that exists here/,
      run: () => wspub(app.dir, ["push", ...store(), "--ref", "no-such-branch"]),
    },
    {
      name: "a ref that looks like an option",
      code: 2,
      message: /unknown ref "--output=\/tmp\/x"/,
      run: () => wspub(app.dir, ["push", ...store(), "--ref=--output=/tmp/x"]),
    },
    {
      name: "a ref naming a tree, not a commit",
      code: 2,
      message: /unknown ref "HEAD\^\{tree\}"/,
      run: () => wspub(app.dir, ["push", ...store(), "--ref", "HEAD^{tree}"]),
    },
    {
      name: "an unknown workspace",
      code: 2,
      message: /unknown workspace "nope": it is not a directory, nor a name under "workspaces"/,
      run: () => wspub(app.dir, ["push", "nope", ...store()]),
    },
    {
      name: "a directory outside any repository as the workspace",
      code: 2,
      message: /is not inside a git repository/,
      run: () => wspub(app.dir, ["push", temp("wspub-outside-"), ...store()]),
    },
    {
      name: "--all with a workspace",
      code: 2,
      message: /give either a workspace or --all, not both/,
      run: () => wspub(app.dir, ["push", "app", "--all", ...store()]),
    },
    {
      name: "--all without configured workspaces",
      code: 2,
      message: /--all publishes the workspaces configured under "workspaces".*there are none/,
      run: () => wspub(app.dir, ["push", "--all", ...store()]),
    },

    // --- the store
    {
      name: "a missing bucket",
      code: 2,
      message: /bucket "no-such-bucket-x" does not exist at .*: create it/,
      run: () => wspub(app.dir, ["push", "--target", "s3://no-such-bucket-x", "--endpoint", s3.endpoint]),
    },
    {
      name: "a wrong secret key",
      code: 2,
      message: /rejected the credentials \(SignatureDoesNotMatch\): check AWS_ACCESS_KEY_ID \/ AWS_SECRET_ACCESS_KEY/,
      run: () => wspub(app.dir, ["push", ...store()], { ...creds(), AWS_SECRET_ACCESS_KEY: WRONG_SECRET }),
      secrets: [WRONG_SECRET],
    },
    {
      name: "an unknown access key",
      code: 2,
      message: /rejected the credentials \(InvalidAccessKeyId\)/,
      run: () => wspub(app.dir, ["push", ...store()], { ...creds(), AWS_ACCESS_KEY_ID: "AKIAUNKNOWNKEY000000" }),
    },
    {
      name: "no credentials at all",
      code: 2,
      message: /no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE/,
      // An empty HOME (no ~/.aws), and no instance metadata service (it is not on 127.0.0.1).
      run: () =>
        wspub(app.dir, ["push", ...store()], {
          HOME: temp("wspub-home-"),
          XDG_DATA_HOME: temp("wspub-xdg-"),
          AWS_EC2_METADATA_DISABLED: "true",
        }),
    },
    {
      name: "an endpoint that is down",
      code: 1,
      message: /cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:9 .*check --endpoint/,
      run: () => wspub(app.dir, ["push", "--target", target, "--endpoint", "http://127.0.0.1:9"]),
    },
    {
      name: "an https:// endpoint whose server speaks plain HTTP",
      code: 2,
      message:
        /the endpoint https:\/\/127\.0\.0\.1:\d+ does not speak TLS \(https:\/\/\), but plain HTTP answered: use http:\/\//,
      run: () => wspub(app.dir, ["push", "--target", target, "--endpoint", s3.endpoint.replace(/^http:/, "https:")]),
    },
    {
      name: "an endpoint that is not http(s)",
      code: 2,
      message: /invalid endpoint "ftp:\/\/127\.0\.0\.1:21": expected http\(s\):\/\/host\[:port\]/,
      run: () => wspub(app.dir, ["push", "--target", target, "--endpoint", "ftp://127.0.0.1:21"]),
    },
    {
      name: "a CA bundle that does not exist",
      code: 2,
      message: /AWS_CA_BUNDLE=\/nonexistent\/ca\.pem cannot be loaded \(ENOENT\): point it at a PEM file/,
      run: () =>
        wspub(app.dir, ["push", "--target", target, "--endpoint", "https://127.0.0.1:9"], {
          ...creds(),
          AWS_CA_BUNDLE: "/nonexistent/ca.pem",
        }),
    },
    {
      name: "a CA bundle that is not PEM",
      code: 2,
      message: /AWS_CA_BUNDLE=.*ca\.der is not a usable CA bundle .*point it at a PEM file/,
      run: () => {
        const file = join(temp("wspub-ca-"), "ca.der");
        writeFileSync(file, Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00, 0xff]));
        return wspub(app.dir, ["push", "--target", target, "--endpoint", "https://127.0.0.1:9"], {
          ...creds(),
          AWS_CA_BUNDLE: file,
        });
      },
    },
    {
      name: "a CA bundle with a broken certificate",
      code: 2,
      message: /AWS_CA_BUNDLE=.*broken\.pem is not a usable CA bundle/,
      run: () => {
        const file = join(temp("wspub-ca-"), "broken.pem");
        writeFileSync(file, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        return wspub(app.dir, ["push", "--target", target, "--endpoint", "https://127.0.0.1:9"], {
          ...creds(),
          AWS_CA_BUNDLE: file,
        });
      },
    },

    // --- targets
    {
      name: "target s3:// (no bucket)",
      code: 2,
      message: /invalid target "s3:\/\/": expected s3:\/\/bucket\[\/prefix\]/,
      run: () => wspub(app.dir, ["push", "--target", "s3://", "--endpoint", s3.endpoint]),
    },
    // S3 bucket names are 3-63 characters: "ab" can never exist, and should be named as invalid, not looked up.
    {
      name: "target s3://ab (bucket name too short)",
      code: 2,
      message: /invalid target "s3:\/\/ab"/,
      run: () => wspub(app.dir, ["push", "--target", "s3://ab", "--endpoint", s3.endpoint]),
    },
    {
      name: "target http://x",
      code: 2,
      message:
        /unsupported target "http:\/\/x": use s3:\/\/bucket\[\/prefix\], file:\/\/\/abs\/dir or a directory path/,
      run: () => wspub(app.dir, ["push", "--target", "http://x", "--endpoint", s3.endpoint]),
    },
    {
      name: "a target prefix with ..",
      code: 2,
      message: /invalid target ".*": the prefix must not contain empty, '\.' or '\.\.' segments/,
      run: () => wspub(app.dir, ["push", "--target", `${target}/a/../b`, "--endpoint", s3.endpoint]),
    },

    // --- options and commands
    {
      name: "--concurrency 0",
      code: 2,
      message: /--concurrency.*give an integer from 1 to 64/,
      run: () => wspub(app.dir, ["push", ...store(), "--concurrency", "0"]),
    },
    {
      name: "--concurrency 65",
      code: 2,
      message: /--concurrency.*give an integer from 1 to 64/,
      run: () => wspub(app.dir, ["push", ...store(), "--concurrency", "65"]),
    },
    {
      name: "--concurrency abc",
      code: 2,
      message: /--concurrency.*give an integer from 1 to 64/,
      run: () => wspub(app.dir, ["push", ...store(), "--concurrency", "abc"]),
    },
    {
      name: "WSPUB_CONCURRENCY=0",
      code: 2,
      message: /invalid concurrency 0: give an integer from 1 to 64/,
      run: () => wspub(app.dir, ["push", ...store()], { ...creds(), WSPUB_CONCURRENCY: "0" }),
    },
    {
      name: "--lock-wait -1",
      code: 2,
      message: /--lock-wait.*give a number of seconds, 0 or more/,
      run: () => wspub(app.dir, ["push", ...store(), "--lock-wait", "-1"]),
    },
    {
      name: "an unknown command",
      code: 2,
      message: /^wspub: error: unknown command 'pubish'/,
      run: () => wspub(app.dir, ["pubish", ...store()]),
    },
    {
      name: "an unknown option",
      code: 2,
      message: /^wspub: error: unknown option '--nope'/,
      run: () => wspub(app.dir, ["push", "--nope", ...store()]),
    },
    {
      name: "verify of a workspace never published",
      code: 2,
      message: /nothing is published for workspace "never" at .*: run wspub push first/,
      run: () => wspub(repoWith("never", { "a.txt": "a\n" }).dir, ["verify", ...store()]),
    },

    // --- the config
    {
      name: "an invalid config value",
      code: 2,
      message: /wspub\.config\.json: concurrency: .*expected number/,
      run: () =>
        wspub(repoWith("cfg", { "a.txt": "a\n", "wspub.config.json": JSON.stringify({ concurrency: "many" }) }).dir, [
          "push",
          ...store(),
        ]),
    },
    {
      name: "a config that is not JSON",
      code: 2,
      message: /wspub\.config\.json: not valid JSON/,
      run: () =>
        wspub(repoWith("cfg", { "a.txt": "a\n", "wspub.config.json": "{ target: s3://x }" }).dir, ["push", ...store()]),
    },
    {
      name: "a config with an unknown field",
      code: 2,
      message: /wspub\.config\.json: .*tagret/,
      run: () =>
        wspub(repoWith("cfg", { "a.txt": "a\n", "wspub.config.json": JSON.stringify({ tagret: target }) }).dir, [
          "push",
          ...store(),
        ]),
    },
    {
      name: "workspace name .. (config key)",
      code: 2,
      message: /wspub\.config\.json: workspaces\.\.\.: invalid workspace name "\.\."/,
      run: () =>
        wspub(
          repoWith("cfg", { "pkg/a.txt": "a\n", "wspub.config.json": JSON.stringify({ workspaces: { "..": "pkg" } }) })
            .dir,
          ["push", ...store()],
        ),
    },
    {
      name: "workspace name a/b (config key)",
      code: 2,
      message: /invalid workspace name "a\/b": use letters, digits/,
      run: () =>
        wspub(
          repoWith("cfg", { "pkg/a.txt": "a\n", "wspub.config.json": JSON.stringify({ workspaces: { "a/b": "pkg" } }) })
            .dir,
          ["push", ...store()],
        ),
    },
    {
      name: "workspace name .wspub (config key)",
      code: 2,
      message: /invalid workspace name "\.wspub"/,
      run: () =>
        wspub(
          repoWith("cfg", {
            "pkg/a.txt": "a\n",
            "wspub.config.json": JSON.stringify({ workspaces: { ".wspub": "pkg" } }),
          }).dir,
          ["push", ".wspub", ...store()],
        ),
    },
    {
      name: "a config workspace path with ..",
      code: 2,
      message: /workspaces\.www: "\.\.\/elsewhere" must be a path inside the repository/,
      run: () =>
        wspub(
          repoWith("cfg", {
            "pkg/a.txt": "a\n",
            "wspub.config.json": JSON.stringify({ workspaces: { www: "../elsewhere" } }),
          }).dir,
          ["push", "www", ...store()],
        ),
    },
    {
      name: "a .wspub directory as the workspace",
      code: 2,
      message: /invalid workspace name "\.wspub".*set a name for this directory under "workspaces"/,
      run: () =>
        wspub(repoWith("dotdir", { ".wspub/index.html": "x\n", "a.txt": "a\n" }).dir, ["push", ".wspub", ...store()]),
    },

    // --- the publish set
    {
      name: "an empty publish set (every file excluded)",
      code: 2,
      message:
        /nothing to publish: commit [0-9a-f]{12} has no unexcluded files .*see wspub files --explain.*nothing was changed/,
      run: () =>
        wspub(repoWith("allout", { "a.txt": "a\n", "b/c.txt": "c\n", ".wspubignore": "*\n" }).dir, [
          "push",
          ...store(),
        ]),
    },
    {
      name: "a key over 1024 bytes",
      code: 2,
      message:
        /makes an object key over S3's 1024-byte limit: shorten it or exclude it in \.wspubignore\. Nothing was written/,
      run: () => wspub(repoWith("longkey", { "ok.txt": "ok\n", [LONG_PATH]: "deep\n" }).dir, ["push", ...store()]),
    },
    {
      name: "a symlink next to a file named like its .rclonelink",
      code: 2,
      message: /two paths map to the same object "x\.rclonelink".*rename one, or exclude it/,
      run: () =>
        wspub(repoWith("clash", { "a.txt": "a\n", x: { link: "a.txt" }, "x.rclonelink": "a.txt" }).dir, [
          "push",
          ...store(),
        ]),
    },
    {
      name: "a symlink to ../../etc/passwd",
      code: 2,
      message: /symlink.*escape\/passwd.*(outside|leaves)|(outside|leaves).*escape\/passwd/i,
      run: () =>
        wspub(repoWith("escape", { "a.txt": "a\n", "escape/passwd": { link: "../../etc/passwd" } }).dir, [
          "push",
          ...store(),
        ]),
    },
    {
      name: "a symlink to an absolute path",
      code: 2,
      message: /symlink.*abs-link.*(outside|absolute|leaves)|(outside|absolute|leaves).*abs-link/i,
      run: () =>
        wspub(repoWith("absolute", { "a.txt": "a\n", "abs-link": { link: "/etc/passwd" } }).dir, ["push", ...store()]),
    },
    {
      name: "a symlink out of a monorepo workspace into a sibling",
      code: 2,
      message: /symlink.*packages\/web\/shared|shared.*(outside|leaves)/i,
      run: () =>
        wspub(
          repoWith("mono", {
            "wspub.config.json": JSON.stringify({ workspaces: { web: "packages/web" } }),
            "packages/web/index.html": "web\n",
            "packages/web/shared": { link: "../lib/shared" },
            "packages/lib/shared/x.js": "x\n",
          }).dir,
          ["push", "web", ...store()],
        ),
    },
    // A control character XML 1.0 cannot carry: SeaweedFS lists the key with U+FFFD instead, so
    // the object can never be listed, verified or deleted by its name again.
    {
      name: "a file name with a control character",
      code: 2,
      message: /bell\\u0007|bell.*control character|control character.*bell/i,
      bucket: `bad-ctrl-${process.pid}`,
      run: () =>
        wspub(repoWith("ctrl", { "a.txt": "a\n", "bell\u0007.txt": "ding\n" }).dir, [
          "push",
          "--target",
          `s3://bad-ctrl-${process.pid}`,
          "--endpoint",
          s3.endpoint,
        ]),
    },
    {
      name: "a file name that is not UTF-8",
      code: 2,
      message: /UTF-8/i,
      bucket: `bad-latin1-${process.pid}`,
      run: () => {
        const repo = repoWith("latin1", { "a.txt": "a\n" });
        // "caf\xe9.txt" (Latin-1): git stores the bytes, S3 keys are UTF-8 (it would be published as "caf\uFFFD.txt").
        execFileSync(
          "bash",
          [
            "-c",
            "printf 'x\\n' > $'caf\\xe9.txt' && git add -A && git -c user.name=T -c user.email=t@e commit -q -m latin1",
          ],
          { cwd: repo.dir },
        );
        return wspub(repo.dir, ["push", "--target", `s3://bad-latin1-${process.pid}`, "--endpoint", s3.endpoint]);
      },
    },

    // --- refused on purpose, and a broken live state
    {
      name: "a commit older than the live one",
      code: 3,
      message: /is older than the live commit .*Nothing was changed\. Pass --force to roll back/,
      run: () => wspub(app.dir, ["push", ...store(), "--ref", c1]),
    },
    {
      name: "a commit on another line of history",
      code: 3,
      message: /is not an ancestor of .*Nothing was changed\. Pass --force to replace it/,
      run: () => wspub(app.dir, ["push", ...store(), "--ref", side]),
    },
    {
      name: "a lock held by a live publisher, --lock-wait 0",
      code: 3,
      message: /workspace locked is being published by someone@elsewhere .*Nothing was changed.*wspub unlock locked/,
      setup: async () => {
        const locked = repoWith("locked", { "a.txt": "a\n" });
        const r = wspub(locked.dir, ["push", ...store()]);
        expect(r.code, r.stderr).toBe(0);
        locked.write({ "a.txt": "a v2\n" });
        locked.commit("two");
        lockedDir = locked.dir;
        const record = {
          id: "test-lock",
          holder: "someone@elsewhere",
          host: hostname(),
          pid: process.pid,
          acquiredAt: new Date().toISOString(),
          expiresAt: Date.now() + 3_600_000,
        };
        // The lock is kept in the pointer: what a publisher on another machine holding it would leave.
        const key = ".wspub/locked/live.json";
        const pointer = JSON.parse(
          await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString(),
        );
        const Body = JSON.stringify({ ...pointer, lock: record });
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body }));
      },
      run: () => wspub(lockedDir, ["push", ...store(), "--lock-wait", "0"]),
    },
    {
      name: "a live pointer that is corrupt JSON",
      code: [1, 2],
      message: /live\.json.*unreadable.*--force/,
      setup: async () => {
        const broken = repoWith("broken", { "a.txt": "a\n" });
        const r = wspub(broken.dir, ["push", ...store()]);
        expect(r.code, r.stderr).toBe(0);
        brokenDir = broken.dir;
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: ".wspub/broken/live.json",
            Body: '{"version": 1, "commit": "abc',
          }),
        );
      },
      run: () => wspub(brokenDir, ["push", ...store()]),
    },
    // --- the delete guard, previews, delete
    {
      name: "a publish that would delete most of a workspace (the delete guard)",
      code: 3,
      message:
        /refused: this publish would delete 140 of the 150 live files of guarded .*allow it with --max-delete 140 \(config "maxDelete", WSPUB_MAX_DELETE\) or --force/,
      setup: async () => {
        const files = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`f/${i}.txt`, `${i}\n`]));
        guarded = repoWith("guarded", files);
        expect(wspub(guarded.dir, ["push", ...store()]).code).toBe(0);
        guarded.write({ ".wspubignore": "f/[0-9][0-9]*.txt\n" });
        guarded.commit("exclude too much");
      },
      run: () => wspub(guarded.dir, ["push", ...store()]),
    },
    {
      name: "wspub delete of a workspace that is not published",
      code: 2,
      message: /nothing is published as nope at s3:\/\/bad-input-\d+ .*: see wspub ls/,
      run: () => wspub(app.dir, ["delete", "nope", ...store()]),
    },
    {
      name: "push --preview on a detached HEAD",
      code: 2,
      message: /--preview publishes a branch, and HEAD is detached: check out the branch, or give --ref <branch>/,
      run: () => {
        const detached = repoWith("detached", { "a.txt": "a\n" });
        detached.git("checkout", "-q", "--detach");
        return wspub(detached.dir, ["push", "--preview", ...store()]);
      },
    },
    // --- credentials by content
    {
      name: "a commit holding credentials (recognised by content): each file named with its rule, no value",
      code: 3,
      message:
        /refused: creds at [0-9a-f]{12} is not published: 2 file\(s\) hold what looks like a credential .*\n {2}deploy\/settings\.py:3: aws\/AWSSecretAccessKey\n {2}src\/github\.ts:3: github\/GITHUB_TOKEN\nNothing was written\. .*!<path>/s,
      secrets: [fake.githubToken, fake.awsSecret],
      run: () => {
        const repo = repoWith("creds", {
          "src/github.ts": committedCredentials["src/github.ts"]!.content,
          "deploy/settings.py": committedCredentials["deploy/settings.py"]!.content,
          "README.md": mentionsOnly["README.md"]!,
        });
        return wspub(repo.dir, ["push", ...store()]);
      },
    },
    // --- Git LFS
    {
      name: "Git LFS content that is not in the clone, and git-lfs not installed to fetch it",
      code: 2,
      message:
        /the content of "assets\/model\.bin" \(Git LFS files\) is not in this clone, and git-lfs is not installed to fetch it\. Install git-lfs .*"lfs": "pointers"/,
      run: () => {
        const oid = sha256(Buffer.from("model"));
        const repo = repoWith("lfsless", {
          ".gitattributes": "*.bin filter=lfs diff=lfs merge=lfs -text\n",
          "assets/model.bin": `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize 5\n`,
        });
        // A PATH where git is found and git-lfs is not (node is started by its path).
        const bin = temp("wspub-gitonly-");
        symlinkSync(execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim(), join(bin, "git"));
        const env = { ...cleanEnv(creds()), PATH: bin };
        const r = spawnSync(process.execPath, [cli.bin, "push", ...store()], { cwd: repo.dir, env, encoding: "utf8" });
        return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
      },
    },
    {
      name: "an unknown WSPUB_LFS",
      code: 2,
      message: /invalid WSPUB_LFS="yes": set it to content \(what LFS files hold\) or pointers/,
      run: () => wspub(app.dir, ["push", ...store()], { ...creds(), WSPUB_LFS: "yes" }),
    },
  ];
  let lockedDir = "";
  let guarded: TempRepo;
  let brokenDir = "";

  it("has at least 25 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)("$name", async (c) => {
    if (c.bucket) {
      await createBucket(s3, c.bucket);
      await client.send(new PutObjectCommand({ Bucket: c.bucket, Key: "marker.txt", Body: "untouched\n" }));
    }
    const watched = c.bucket ?? bucket;
    await c.setup?.();
    const before = await bucketObjects(client, watched);
    const r = c.run();
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.stderr, `stdout: ${r.stdout}`).toMatch(c.message);
    expect(typeof c.code === "number" ? [c.code] : c.code, `exit ${r.code}; stderr: ${r.stderr}`).toContain(r.code);
    expect(r.stderr).not.toMatch(/internal error/i);
    expect(r.stderr, "a stack trace").not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    for (const secret of [s3.secretAccessKey, ...(c.secrets ?? [])]) expect(output).not.toContain(secret);
    expect(await bucketObjects(client, watched)).toEqual(before);
  });
});

describe("odd but legitimate input publishes correctly", () => {
  it("a detached HEAD: wspub push publishes the checked-out commit", async () => {
    const bucket = `detached-${process.pid}`;
    await createBucket(s3, bucket);
    const repo = repoWith("detached", { "a.txt": "a\n", "b/c.txt": "c\n" });
    repo.write({ "a.txt": "a v2\n" });
    const c2 = repo.commit("two");
    repo.git("checkout", "-q", "--detach", "HEAD~1");
    const c1 = repo.git("rev-parse", "HEAD").trim();
    expect(repo.git("rev-parse", "--abbrev-ref", "HEAD").trim()).toBe("HEAD");
    const r = wspub(repo.dir, ["push", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ workspace: "detached", commit: c1 });
    expect(filesUnder(await bucketObjects(client, bucket), "detached/")).toEqual(expectedObjects(repo, c1));
    // and a later commit (not checked out) by --ref, from the detached HEAD
    const next = wspub(repo.dir, ["push", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint, "--ref", c2]);
    expect(next.code, next.stderr).toBe(0);
    expect(filesUnder(await bucketObjects(client, bucket), "detached/")).toEqual(expectedObjects(repo, c2));
  });

  it("a path that changes type between commits (file -> directory -> file, file -> symlink -> file)", async () => {
    const bucket = `typechange-${process.pid}`;
    await createBucket(s3, bucket);
    const repo = repoWith("types", { "a.txt": "a\n", node: "a file\n", thing: "a file too\n" });
    const store = ["--target", `s3://${bucket}`, "--endpoint", s3.endpoint];
    const check = async (commit: string) => {
      const r = wspub(repo.dir, ["push", ...store]);
      expect(r.code, r.stderr).toBe(0);
      expect(filesUnder(await bucketObjects(client, bucket), "types/")).toEqual(expectedObjects(repo, commit));
      const v = wspub(repo.dir, ["verify", "--deep", ...store]);
      expect(v.code, v.stdout + v.stderr).toBe(0);
    };
    await check(repo.git("rev-parse", "HEAD").trim());
    // file -> directory, file -> symlink
    repo.remove("node", "thing");
    repo.write({ "node/inside.txt": "now a directory\n", thing: { link: "a.txt" } });
    await check(repo.commit("types change"));
    // and back: directory -> file, symlink -> file
    repo.remove("node", "thing");
    repo.write({ node: "a file again\n", thing: "a file again too\n" });
    await check(repo.commit("types change back"));
  });

  it("a file name with a newline or a tab (legal in XML 1.0, so S3 listings carry it): publishes and verifies", async () => {
    const bucket = `newline-${process.pid}`;
    await createBucket(s3, bucket);
    const repo = repoWith("newline", { "a.txt": "a\n", "line\nbreak.txt": "nl\n", "tab\there.txt": "tab\n" });
    const store = ["--target", `s3://${bucket}`, "--endpoint", s3.endpoint];
    const r = wspub(repo.dir, ["push", ...store]);
    expect(r.code, r.stderr).toBe(0);
    expect(filesUnder(await bucketObjects(client, bucket), "newline/")).toEqual(
      expectedObjects(repo, repo.git("rev-parse", "HEAD").trim()),
    );
    const v = wspub(repo.dir, ["verify", "--deep", ...store]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it("a region that the custom endpoint does not use: SeaweedFS accepts any region in the signature scope", async () => {
    const bucket = `region-${process.pid}`;
    await createBucket(s3, bucket);
    const repo = repoWith("region", { "a.txt": "a\n" });
    const byFlag = wspub(repo.dir, [
      "push",
      "--target",
      `s3://${bucket}`,
      "--endpoint",
      s3.endpoint,
      "--region",
      "eu-west-3",
    ]);
    expect(byFlag.code, byFlag.stderr).toBe(0);
    repo.write({ "a.txt": "a v2\n" });
    const c2 = repo.commit("two");
    const byEnv = wspub(repo.dir, ["push", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint], {
      ...creds(),
      AWS_REGION: "mars-north-1",
    });
    expect(byEnv.code, byEnv.stderr).toBe(0);
    expect(filesUnder(await bucketObjects(client, bucket), "region/")).toEqual(expectedObjects(repo, c2));
  });

  it("a corrupt live pointer is replaced by push --force, as its message says", async () => {
    const bucket = `repair-${process.pid}`;
    await createBucket(s3, bucket);
    const repo = repoWith("fixme", { "a.txt": "a\n", "b.txt": "b\n" });
    const store = ["--target", `s3://${bucket}`, "--endpoint", s3.endpoint];
    expect(wspub(repo.dir, ["push", ...store]).code).toBe(0);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: ".wspub/fixme/live.json", Body: "not json" }));
    repo.remove("b.txt");
    repo.write({ "c.txt": "c\n" });
    const c2 = repo.commit("two");
    const r = wspub(repo.dir, ["push", ...store, "--force"]);
    expect(r.code, r.stderr).toBe(0);
    expect(filesUnder(await bucketObjects(client, bucket), "fixme/")).toEqual(expectedObjects(repo, c2));
    expect(wspub(repo.dir, ["verify", "--deep", ...store]).code).toBe(0);
  });
});
