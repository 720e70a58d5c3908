import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPublishSet } from "../../src/filter/publish-set.js";
import { openGit } from "../../src/git/cli-git.js";
import { readGit } from "../../src/git/exec.js";
import type { GitReader } from "../../src/git/port.js";
import { WspubError } from "../../src/errors.js";
import { messages } from "../../src/messages.js";
import { TempRepo } from "./support/git-repo.js";

const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p, new Promise<string>((resolve) => setTimeout(() => resolve(`no answer within ${ms} ms`), ms))]);

describe("CliGit against a real repository", () => {
  let repo: TempRepo;
  let git: GitReader;
  let commit: string;
  const odd = ["sp ace.txt", "tab\there.txt", "new\nline.txt", "ünï/cödé 日本.txt", " lead", "trail ", 'q"uote\\.txt'];

  beforeAll(async () => {
    repo = new TempRepo();
    odd.forEach((p, i) => {
      repo.write(`odd/${p}`, `content ${i}\n`);
    });
    repo.write("bin/run.sh", "#!/bin/sh\necho hi\n");
    repo.git("update-index", "--add", "--chmod=+x", "bin/run.sh");
    repo.symlink("link", "bin/run.sh");
    repo.write("a[1]/x.txt", "brackets\n");
    repo.write("a1/y.txt", "no brackets\n");
    repo.write("my apps/www/index.html", "<html>\n");
    repo.write("my apps/www/.gitignore", "*.tmp\n");
    repo.write("my apps/www/x.tmp", "tmp\n");
    repo.git("add", "-f", "-A");
    repo.git("update-index", "--chmod=+x", "bin/run.sh");
    repo.git("commit", "-q", "-m", "Ünïcödé ✨ subject");
    commit = repo.git("rev-parse", "HEAD").trim();
    git = await openGit(join(repo.dir, "odd"));
  });

  afterAll(async () => {
    await git?.close();
    repo?.remove();
  });

  it("openGit finds the top level from a subdirectory", () => {
    expect(git.root).toBe(realpathSync(repo.dir));
  });

  it("openGit outside a repository is a usage-level git error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wspub-norepo-"));
    try {
      const error = await openGit(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WspubError);
      expect((error as WspubError).code).toBe("git");
      expect((error as WspubError).exitCode).toBe(2);
      expect((error as WspubError).message).toBe(messages.notARepository(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("resolveCommit gives oid, tree, committer time and subject", async () => {
    const info = await git.resolveCommit("HEAD");
    expect(info).toEqual({
      oid: commit,
      tree: repo.git("rev-parse", "HEAD^{tree}").trim(),
      committerTime: Number(repo.git("show", "-s", "--format=%ct", "HEAD").trim()),
      subject: "Ünïcödé ✨ subject",
      parents: [],
    });
    expect((await git.resolveCommit("main")).oid).toBe(commit);
    // The subject as git prints it, whatever the message.
    expect(info.subject).toBe(repo.git("show", "-s", "--format=%s", "HEAD").trim());
  });

  it.each(["nope", "-h", "--all", "HEAD~5"])("resolveCommit(%j) is an unknown-ref usage error", async (ref) => {
    await expect(git.resolveCommit(ref)).rejects.toThrow(messages.unknownRef(ref));
  });

  it("listTree keeps odd paths exact, with modes and sizes", async () => {
    const entries = await git.listTree(commit, "");
    const byPath = new Map(entries.map((e) => [e.path, e]));
    for (const [i, p] of odd.entries()) {
      expect(byPath.get(`odd/${p}`)).toMatchObject({ mode: "100644", type: "blob", size: `content ${i}\n`.length });
    }
    expect(byPath.get("bin/run.sh")).toMatchObject({ mode: "100755", type: "blob", size: 18 });
    expect(byPath.get("link")).toMatchObject({ mode: "120000", type: "blob", size: "bin/run.sh".length });
    expect(entries).toHaveLength(odd.length + 7);
  });

  it("listTree(dir) lists only that directory, with repository-relative paths; glob characters are literal", async () => {
    expect((await git.listTree(commit, "a[1]")).map((e) => e.path)).toEqual(["a[1]/x.txt"]);
    expect((await git.listTree(commit, "a1")).map((e) => e.path)).toEqual(["a1/y.txt"]);
    expect((await git.listTree(commit, "my apps/www")).map((e) => e.path)).toEqual([
      "my apps/www/.gitignore",
      "my apps/www/index.html",
      "my apps/www/x.tmp",
    ]);
  });

  it("listTree of an object that is not there fails with git's own words", async () => {
    await expect(git.listTree("0".repeat(40), "")).rejects.toThrow(/git ls-tree .* failed: fatal: /);
  });

  it("readGit: an error of the reader stops git and is the error thrown", async () => {
    const stop = new Error("enough");
    let chunks = 0;
    const reading = readGit(repo.dir, ["cat-file", "--batch-all-objects", "--batch"], () => {
      chunks++;
      throw stop;
    });
    await expect(reading).rejects.toBe(stop);
    expect(chunks).toBe(1);
  });

  it("readObject reads <commit>:<odd path> and blob ids", async () => {
    for (const [i, p] of odd.entries()) {
      if (p.includes("\n")) continue; // cat-file --batch cannot take a name with a newline
      expect((await git.readObject(`${commit}:odd/${p}`))?.toString("utf8")).toBe(`content ${i}\n`);
    }
    const entry = (await git.listTree(commit, "bin")).find((e) => e.path === "bin/run.sh")!;
    expect((await git.readObject(entry.oid))?.toString("utf8")).toBe("#!/bin/sh\necho hi\n");
  });

  it("streamBlob streams the blob", async () => {
    const entry = (await git.listTree(commit, "a1"))[0]!;
    const chunks: Buffer[] = [];
    for await (const c of git.streamBlob(entry.oid)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString("utf8")).toBe("no brackets\n");
  });

  it("hasCommit / isAncestor / countCommits", async () => {
    expect(await git.hasCommit(commit)).toBe(true);
    expect(await git.hasCommit("0".repeat(40))).toBe(false);
    expect(await git.isAncestor(commit, commit)).toBe(true);
    expect(await git.countCommits(commit, commit)).toBe(0);
  });

  it("buildPublishSet for a workspace below a directory whose name has a space (no .gitignore there)", async () => {
    // reads `<commit>:my apps/.gitignore`, which does not exist
    const fresh = await openGit(repo.dir);
    try {
      const set = await within(3000, buildPublishSet(fresh, commit, "my apps/www"));
      expect(set).toEqual({
        files: [expect.objectContaining({ path: ".gitignore" }), expect.objectContaining({ path: "index.html" })],
        excluded: [{ path: "x.tmp", reason: "my apps/www/.gitignore:1: *.tmp" }],
        submodules: [],
        ignore: [{ path: "my apps/www/.gitignore", blob: expect.stringMatching(/^[0-9a-f]{40}$/), kind: "gitignore" }],
        attributes: [],
        unreadableLfs: [],
      });
    } finally {
      await fresh.close();
    }
  });
});
