// Credentials recognised by content on real git and SeaweedFS: a commit that holds any credential
// of the table is refused (exit 3) with each file named with its rule and line, never the
// value, and the bucket as it was; an allow (`!path` in .wspubignore) or an exclude lets the
// publish through; files that only mention secrets are published; an incremental publish scans
// only what it writes; a live manifest made under other rules is scanned in full once.
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { openGit } from "../../src/git/cli-git.js";
import type { GitRepository } from "../../src/git/port.js";
import { publish } from "../../src/publish/publish.js";
import { publishAtomic } from "../../src/publish/atomic.js";
import type { PublishRequest } from "../../src/publish/request.js";
import { Layout } from "../../src/store/layout.js";
import type { S3Store } from "../../src/store/s3-store.js";
import { committedCredentials, fake, mentionsOnly } from "../harness/fake-credentials.js";
import { testTarget } from "../harness/layout.js";
import { publishRequest } from "../harness/publish-request.js";
import { type TempRepo, tempRepo } from "../harness/repo.js";
import { freshBucket, storeListing, useS3Credentials } from "../harness/s3-bucket.js";
import type { PublishEvent } from "../../src/events.js";

const s3 = inject("s3");

useS3Credentials(s3);

describe("credentials by content (SeaweedFS)", () => {
  let repo: TempRepo;
  let git: GitRepository;
  let store: S3Store;
  let events: PublishEvent[];
  const layout = new Layout(testTarget(""), "app");
  const req = (over: Partial<PublishRequest> = {}) =>
    publishRequest({ git, store, layout, concurrency: 16 }, { reporter: { event: (e) => events.push(e) }, ...over });
  const listing = () => storeListing(store);
  const source = { "index.js": "console.log('hi')\n", ...mentionsOnly };

  beforeEach(async () => {
    events = [];
    repo = tempRepo();
    ({ store } = await freshBucket(s3, "creds", 16));
  });
  afterEach(async () => {
    await git?.close();
    store.close();
    repo.cleanup();
  });

  it("refuses each credential of the issue's table, alone and together: exit 3, named by rule and line, bucket untouched", async () => {
    repo.write(source);
    repo.commit("clean");
    git = await openGit(repo.dir);
    await publish(req());
    const before = await listing();
    for (const [path, { content, rule }] of Object.entries(committedCredentials)) {
      repo.write({ [path]: content });
      const commit = repo.commit(`add ${path}`);
      for (const dryRun of [false, true]) {
        const error = (await publish(req({ dryRun })).catch((e: unknown) => e)) as Error & { exitCode: number };
        expect(error.exitCode, path).toBe(3);
        expect(error.message).toContain(`refused: app at ${commit.slice(0, 12)} is not published: 1 file(s)`);
        expect(error.message).toMatch(new RegExp(`\\n  ${path.replace(/\./g, "\\.")}:\\d+: ${rule}`));
        expect(error.message).toContain("Nothing was written");
      }
      expect(await listing(), path).toEqual(before);
      repo.remove(path);
      repo.commit(`remove ${path}`);
    }
    // All of them at once, on a first publish into another prefix: every file named.
    repo.write(Object.fromEntries(Object.entries(committedCredentials).map(([p, c]) => [p, c.content])));
    repo.commit("all");
    const other = new Layout(testTarget(""), "other");
    const error = (await publish(req({ layout: other })).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("5 file(s) hold what looks like a credential");
    for (const path of Object.keys(committedCredentials)) expect(error.message).toContain(`\n  ${path}:`);
    const said = JSON.stringify([error.message, events]);
    for (const value of [fake.githubToken, fake.awsSecret, fake.awsKeyId]) expect(said).not.toContain(value);
    expect(await listing()).toEqual(before);
  });

  it("publishes a file allowed with !path in .wspubignore, and publishes without one the .wspubignore excludes", async () => {
    repo.write({ ...source, "src/github.ts": committedCredentials["src/github.ts"]!.content });
    repo.write({ "ops/ssh_deploy_key": committedCredentials["ops/ssh_deploy_key"]!.content });
    repo.write({ "fixtures/token.ts": `// a fixture\n${committedCredentials["src/github.ts"]!.content}` });
    repo.write({ ".wspubignore": "!src/github.ts\nops/ssh_deploy_key\n!fixtures/**\n" });
    repo.commit("allowed and excluded");
    git = await openGit(repo.dir);
    expect(await publish(req())).toMatchObject({ uploaded: 7 });
    const keys = (await listing()).map((k) => k.split(" ")[0]);
    expect(keys).toContain("app/src/github.ts");
    expect(keys).not.toContain("app/ops/ssh_deploy_key");
    expect(keys).toContain("app/fixtures/token.ts");
    // A `!` in a .gitignore is not an allow: only .wspubignore (or the config) says "publish this".
    repo.write({ ".wspubignore": "", ".gitignore": "!src/github.ts\n" });
    repo.commit("allowed by .gitignore only");
    await expect(publish(req())).rejects.toMatchObject({ exitCode: 3 });
  });

  it("a changed allow rescans the unchanged file it let through; a file over the limit publishes with a notice", async () => {
    repo.write({ ...source, ".wspubignore": "!src/github.ts\n" });
    repo.write({ "src/github.ts": committedCredentials["src/github.ts"]!.content });
    repo.commit("allowed");
    git = await openGit(repo.dir);
    await publish(req());
    // The allow goes: the file is unchanged but the rules changed, so the whole tree is scanned.
    repo.write({ ".wspubignore": "" });
    repo.commit("allow removed");
    await expect(publish(req())).rejects.toMatchObject({ exitCode: 3 });
    repo.remove("src/github.ts");
    repo.commit("token removed");
    expect(await publish(req())).toMatchObject({ deleted: 1 });
    // An edit next to a credential the scan cannot see (a file over the limit) publishes with a notice.
    const big = `${"// filler line\n".repeat(80_000)}const t = "${fake.githubToken}";\n`;
    repo.write({ "src/big.js": big });
    repo.commit("big file");
    events = [];
    await publish(req());
    const notices = events.filter((e) => e.type === "notice").map((e) => (e as { message: string }).message);
    expect(notices).toContainEqual(expect.stringMatching(/1 new file\(s\) over 1 MiB .*: src\/big\.js/));
  });

  it("refuses in an atomic publish too, before the slot is written", async () => {
    repo.write(source);
    repo.commit("clean");
    git = await openGit(repo.dir);
    await publishAtomic(req({ atomic: true }));
    const before = await listing();
    repo.write({ "deploy/settings.py": committedCredentials["deploy/settings.py"]!.content });
    repo.commit("settings");
    await expect(publishAtomic(req({ atomic: true }))).rejects.toMatchObject({ exitCode: 3 });
    expect(await listing()).toEqual(before);
  });
});
