import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, inject, it } from "vitest";
import { bucketObjects, e2eSetup, runCli, sha256, type Installed } from "../harness/cli.js";
import { tempRepo, type TempRepo } from "../harness/repo.js";
import { cleanEnv, createBucket, s3Client } from "../harness/seaweed.js";

const s3 = inject("s3");
let cli: Installed;
let client: S3Client;
const { scratch } = e2eSetup(s3, (c, k) => {
  cli = c;
  client = k;
});
const results: Record<string, string> = {};
// Registered after e2eSetup: runs before its clean-up.
afterAll(() => {
  console.log(`crash points: ${JSON.stringify(results)}`);
});

const creds = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };

/** Expected objects of a commit: every tracked file of this fixture is published (none is excluded). */
function expectedAt(repo: TempRepo, commit: string): Map<string, string> {
  const paths = execFileSync("git", ["ls-tree", "-r", "-z", "--name-only", commit], { cwd: repo.dir, encoding: "utf8" })
    .split("\0")
    .filter(Boolean);
  return new Map(
    paths.map((p) => [p, sha256(execFileSync("git", ["cat-file", "blob", `${commit}:${p}`], { cwd: repo.dir }))]),
  );
}

function fixture(): { repo: TempRepo; c1: string; c2: string } {
  const repo = tempRepo("wspub-crash-");
  scratch.push(repo.dir);
  const tree: Record<string, string> = {};
  for (let i = 0; i < 40; i++) tree[`src/f${i}.txt`] = `one ${i}\n`;
  tree["old/a.txt"] = "old a\n";
  tree["old/b.txt"] = "old b\n";
  repo.write(tree);
  const c1 = repo.commit("one");
  const next: Record<string, string> = {};
  for (let i = 0; i < 10; i++) next[`src/f${i}.txt`] = `two ${i}\n`;
  for (let i = 0; i < 5; i++) next[`new/n${i}.txt`] = `new ${i}\n`;
  next["moved/f39.txt"] = "one 39\n";
  repo.write(next);
  repo.remove("old", "src/f39.txt");
  const c2 = repo.commit("two");
  return { repo, c1, c2 };
}

describe("crash safety: kill -9 at every step, then one more run converges", () => {
  const steps = [
    "after-journal",
    "upload:1",
    "upload:8",
    "before-manifest",
    "after-manifest",
    "after-pointer",
    "during-deletes",
    "before-journal-delete",
  ];
  it.each(steps)("killed at %s", async (step) => {
    const bucket = `crash-${process.pid}-${steps.indexOf(step)}`;
    await createBucket(s3, bucket);
    const { repo, c1, c2 } = fixture();
    const args = ["push", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint, "--concurrency", "2"];
    expect(runCli(cli.bin, [...args, "--ref", c1], { cwd: repo.dir, env: creds }).code).toBe(0);

    const crashed = runCli(cli.bin, [...args, "--ref", c2], { cwd: repo.dir, env: { ...creds, WSPUB_CRASH_AT: step } });
    expect(crashed.code).toBe(-1); // killed by SIGKILL: no exit status
    // verify tells the truth about whatever is live now
    const verify = runCli(
      cli.bin,
      ["verify", "--deep", "--json", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint],
      { cwd: repo.dir, env: creds },
    );
    const report = JSON.parse(verify.stdout);
    const liveCommit: string = report.commit;
    expect([c1, c2]).toContain(liveCommit);
    const name = repo.dir.split("/").pop()!;
    const files = await bucketObjects(client, bucket, `${name}/`);
    const want = expectedAt(repo, liveCommit);
    const matches = files.size === want.size && [...want].every(([k, v]) => files.get(k) === v);
    expect(verify.code).toBe(matches ? 0 : 4);
    expect(report.ok).toBe(matches);

    const again = runCli(cli.bin, [...args, "--ref", c2], { cwd: repo.dir, env: creds });
    expect(again.stderr).not.toMatch(/internal error/);
    expect(again.code).toBe(0);
    expect(await bucketObjects(client, bucket, `${name}/`)).toEqual(expectedAt(repo, c2));
    const final = await bucketObjects(client, bucket);
    expect([...final.keys()].filter((k) => !k.startsWith(`${name}/`) && !k.startsWith(`.wspub/${name}/`))).toEqual([]);
    const meta = [...final.keys()]
      .filter((k) => k.startsWith(".wspub/"))
      .map((k) => k.replace(/manifests\/.*/, "manifests/*"));
    // no journal, no lock, no probe left behind
    expect([...new Set(meta)].sort()).toEqual([
      `.wspub/${name}/capabilities.json`,
      `.wspub/${name}/live.json`,
      `.wspub/${name}/manifests/*`,
    ]);
    const clean = runCli(cli.bin, ["verify", "--deep", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint], {
      cwd: repo.dir,
      env: creds,
    });
    expect(clean.code).toBe(0);
    results[step] =
      `${matches ? "consistent" : "drift reported"} after the crash (live ${liveCommit === c1 ? "c1" : "c2"}); converged`;
  });
});

describe("atomic workspaces: killed at every step, the link names a whole commit; one more run converges", () => {
  const steps = ["after-journal", "upload:1", "after-pointer", "before-link", "after-link"];
  it.each(steps)("killed at %s", async (step) => {
    const bucket = `crash-atomic-${process.pid}-${steps.indexOf(step)}`;
    await createBucket(s3, bucket);
    const { repo, c1, c2 } = fixture();
    const name = repo.dir.split("/").pop()!;
    const args = ["push", "--atomic", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint, "--concurrency", "2"];
    expect(runCli(cli.bin, [...args, "--ref", c1], { cwd: repo.dir, env: creds }).code).toBe(0);
    const crashed = runCli(cli.bin, [...args, "--ref", c2], { cwd: repo.dir, env: { ...creds, WSPUB_CRASH_AT: step } });
    expect(crashed.code).toBe(-1);

    /** The tree the link names, which must be one commit's, whole. */
    const linked = async () => {
      const objects = await bucketObjects(client, bucket);
      const body = await s3Client(s3).send(new GetObjectCommand({ Bucket: bucket, Key: `${name}.rclonelink` }));
      const target = await body.Body!.transformToString();
      expect(target).toMatch(new RegExp(`^\\.wspub-slots/${name}/[ab]$`));
      const prefix = `${target}/`;
      return new Map([...objects].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    };
    const seen = await linked();
    const whole = [c1, c2].find(
      (c) => JSON.stringify([...expectedAt(repo, c)].sort()) === JSON.stringify([...seen].sort()),
    );
    expect(whole, `after a crash at ${step} the link names a tree that is neither commit`).toBeDefined();

    const again = runCli(cli.bin, [...args, "--ref", c2], { cwd: repo.dir, env: creds });
    expect(again.code, again.stderr).toBe(0);
    expect(await linked()).toEqual(expectedAt(repo, c2));
    expect([...(await bucketObjects(client, bucket, `${name}/`)).keys()]).toEqual([]);
    const verify = runCli(cli.bin, ["verify", "--deep", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint], {
      cwd: repo.dir,
      env: creds,
    });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    results[`atomic ${step}`] = `the link named ${whole === c1 ? "c1" : "c2"} whole after the crash; converged`;
  });
});

describe("a switch into atomic mode killed after the link's PUT, then a publish in place", () => {
  it("removes the link and the slots, and the workspace is in place again", async () => {
    const bucket = `crash-switch-${process.pid}`;
    await createBucket(s3, bucket);
    const { repo, c1, c2 } = fixture();
    const name = repo.dir.split("/").pop()!;
    const args = ["push", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint];
    expect(runCli(cli.bin, [...args, "--ref", c1], { cwd: repo.dir, env: creds }).code).toBe(0);
    const crashed = runCli(cli.bin, [...args, "--atomic", "--ref", c2], {
      cwd: repo.dir,
      env: { ...creds, WSPUB_CRASH_AT: "after-link" },
    });
    expect(crashed.code).toBe(-1);
    expect([...(await bucketObjects(client, bucket)).keys()]).toContain(`${name}.rclonelink`);
    const again = runCli(cli.bin, [...args, "--no-atomic", "--ref", c2], { cwd: repo.dir, env: creds });
    expect(again.code, again.stderr).toBe(0);
    const keys = [...(await bucketObjects(client, bucket)).keys()];
    expect(
      keys.filter((k) => k.startsWith(".wspub-slots/") || k.includes("/slots/") || k.endsWith(".rclonelink")),
    ).toEqual([]);
    expect(await bucketObjects(client, bucket, `${name}/`)).toEqual(expectedAt(repo, c2));
    const verify = runCli(cli.bin, ["verify", "--deep", ...args.slice(1)], { cwd: repo.dir, env: creds });
    expect(verify.code, verify.stdout).toBe(0);
  });
});

describe("resume: a first publish killed part-way does not start over", () => {
  it("3,000 files killed after 1,800 uploads: the next run uploads what is missing (at most +10%) and converges", async () => {
    const bucket = `resume-${process.pid}`;
    await createBucket(s3, bucket);
    const repo = tempRepo("wspub-resume-");
    scratch.push(repo.dir);
    const tree: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) tree[`d${i % 30}/f${i}.txt`] = `file ${i}\n`.repeat(1 + (i % 7));
    repo.write(tree);
    const commit = repo.commit("many");
    const name = repo.dir.split("/").pop()!;
    const args = ["push", "--json", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint];
    const crashed = runCli(cli.bin, args, { cwd: repo.dir, env: { ...creds, WSPUB_CRASH_AT: "upload:1800" } });
    expect(crashed.code).toBe(-1);
    const present = (await bucketObjects(client, bucket, `${name}/`)).size;
    expect(present).toBeGreaterThanOrEqual(1800);
    const missing = 3000 - present;

    const again = runCli(cli.bin, args, { cwd: repo.dir, env: creds });
    expect(again.code, again.stderr).toBe(0);
    const kept = Number(
      /resuming: (\d+) objects an interrupted publish of this commit wrote are kept/.exec(again.stderr)?.[1],
    );
    const result = JSON.parse(again.stdout) as { uploaded: number; unchanged: number };
    // Every file either kept or uploaded. (An upload in flight at the kill may still land after the
    // listing above: then it is kept, and fewer than `missing` are uploaded.)
    expect(result.uploaded + kept).toBe(3000);
    expect(result.uploaded).toBeLessThanOrEqual(Math.ceil(missing * 1.1));
    expect(await bucketObjects(client, bucket, `${name}/`)).toEqual(expectedAt(repo, commit));
    const verify = runCli(cli.bin, ["verify", "--deep", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint], {
      cwd: repo.dir,
      env: creds,
    });
    expect(verify.code, verify.stdout).toBe(0);
    results["resume"] = `${present} of 3000 uploaded when killed; the next run uploaded ${result.uploaded}`;
  }, 240_000);
});

describe("concurrent publishers", () => {
  it("4 publishers on commits of one history, started together in random order: the newest ends live, one lock holder at a time", async () => {
    const bucket = `conc-${process.pid}`;
    await createBucket(s3, bucket);
    const repo = tempRepo("wspub-conc-");
    scratch.push(repo.dir);
    const commits: string[] = [];
    for (let i = 0; i < 8; i++) {
      repo.write({ [`f${i % 3}.txt`]: `round ${i}\n`, [`g${i}.txt`]: `${i}\n` });
      commits.push(repo.commit(`c${i}`));
    }
    const trace = join(mkdtempSync(join(tmpdir(), "wspub-trace-")), "lock.log");
    scratch.push(dirname(trace));
    const env = cleanEnv({ ...creds, WSPUB_LOCK_TRACE: trace });
    env["PATH"] = [dirname(process.execPath), env["PATH"] ?? ""].join(delimiter);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const rounds = 4;
    for (let round = 0; round < rounds; round++) {
      const chosen = [...commits.slice(round, round + 4)].sort(() => random() - 0.5);
      const newest = commits[round + 3]!;
      const codes = await Promise.all(
        chosen.map(
          (c) =>
            new Promise<number>((resolve) => {
              const child = spawn(
                cli.bin,
                ["push", "--ref", c, "--target", `s3://${bucket}`, "--endpoint", s3.endpoint],
                { cwd: repo.dir, env, stdio: "ignore" },
              );
              child.on("exit", (code) => resolve(code ?? -1));
            }),
        ),
      );
      for (const code of codes) expect([0, 3]).toContain(code); // 3: refused as older than live
      expect(codes[chosen.indexOf(newest)]).toBe(0);
      const status = runCli(cli.bin, ["status", "--json", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint], {
        cwd: repo.dir,
        env: creds,
      });
      expect(JSON.parse(status.stdout).commit).toBe(newest);
      expect(
        runCli(cli.bin, ["verify", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint], {
          cwd: repo.dir,
          env: creds,
        }).code,
      ).toBe(0);
    }
    // the trace: acquire/release pairs never overlap
    let holder: string | undefined;
    const lines = readFileSync(trace, "utf8").trim().split("\n");
    for (const line of lines) {
      const [kind, id] = line.split(" ");
      if (kind === "acquire") {
        expect(holder).toBeUndefined();
        holder = id;
      } else {
        expect(holder).toBe(id);
        holder = undefined;
      }
    }
    expect(lines.length).toBeGreaterThanOrEqual(2 * rounds);
    results["concurrency"] = `${rounds} rounds x 4 publishers, ${lines.length / 2} lock holds, never overlapping`;
  });
});
