// Which files are Git LFS files, decided as git decides (real git, the commit's .gitattributes),
// pointer files read exactly as git-lfs writes them, and git-lfs include patterns that name
// exactly one path.
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveLfsMode } from "../../src/config/settings.js";
import { buildPublishSet } from "../../src/filter/publish-set.js";
import { openGit } from "../../src/git/cli-git.js";
import { includeLists, includePattern } from "../../src/git/lfs-objects.js";
import { lfsOidOf, parseLfsPointer } from "../../src/git/lfs-pointer.js";
import type { GitRepository } from "../../src/git/port.js";
import { type TempRepo, tempRepo } from "../harness/repo.js";
import { COMMIT, FakeGit } from "./support/fake-git.js";

const OID = createHash("sha256").update("content").digest("hex");
const pointer = (oid = OID, size = 7) =>
  `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;

describe("parseLfsPointer", () => {
  it("reads a pointer as git-lfs writes it (and the pre-release version URL)", () => {
    expect(parseLfsPointer(Buffer.from(pointer()))).toEqual({ oid: OID, size: 7 });
    const hawser = pointer().replace("git-lfs.github.com", "hawser.github.com");
    expect(parseLfsPointer(Buffer.from(hawser))).toEqual({ oid: OID, size: 7 });
  });

  it.each([
    ["no final newline", pointer().slice(0, -1)],
    ["CRLF line ends", pointer().replace(/\n/g, "\r\n")],
    ["keys out of order", `version https://git-lfs.github.com/spec/v1\nsize 7\noid sha256:${OID}\n`],
    ["an extension", `version https://git-lfs.github.com/spec/v1\next-0-x sha256:${OID}\noid sha256:${OID}\nsize 7\n`],
    ["an upper-case oid", pointer(OID.toUpperCase())],
    ["a short oid", pointer(OID.slice(1))],
    ["another hash", pointer().replace("sha256:", "sha512:")],
    ["a size with a leading zero", pointer(OID, 7).replace("size 7", "size 07")],
    ["a negative size", pointer(OID, 7).replace("size 7", "size -7")],
    ["a size past 2^53", pointer(OID, 7).replace("size 7", "size 9007199254740993")],
    ["another version", pointer().replace("spec/v1", "spec/v2")],
    ["an empty file", ""],
    ["text that mentions a pointer", `see below:\n${pointer()}`],
  ])("is not a pointer: %s", (_what, text) => {
    expect(parseLfsPointer(Buffer.from(text))).toBeUndefined();
  });

  it("lfs: ids name the content's SHA-256; git blob ids are not lfs ids", () => {
    expect(lfsOidOf(`lfs:${OID}`)).toBe(OID);
    expect(lfsOidOf("a".repeat(40))).toBeUndefined();
  });
});

describe("includePattern (git lfs fetch --include)", () => {
  it("anchors at the top, escapes wildcards, and matches a comma (the list separator) with ?", () => {
    expect(includePattern("assets/model.bin")).toBe("/assets/model.bin");
    expect(includePattern("d/a,b [x]*?.bin")).toBe("/d/a?b \\[x\\]\\*\\?.bin");
    // git-lfs trims whitespace at the end of a pattern and reads a backslash as syntax: `?` matches them.
    expect(includePattern("back\\slash.bin")).toBe("/back?slash.bin");
    expect(includePattern("ends in spaces.bin  ")).toBe("/ends in spaces.bin??");
  });

  it("splits thousands of paths over several fetches, each argument under 64 KiB", () => {
    const paths = Array.from({ length: 5000 }, (_, i) => `assets/models/model-${String(i).padStart(5, "0")}.bin`);
    const lists = includeLists(paths);
    expect(lists.length).toBeGreaterThan(1);
    for (const list of lists) expect(list.length).toBeLessThanOrEqual(64 * 1024);
    expect(lists.join(",").split(",")).toEqual(paths.map(includePattern));
  });
});

describe("resolveLfsMode", () => {
  it("WSPUB_LFS, then the config, then content; anything else is a usage error", () => {
    expect(resolveLfsMode({}, {})).toBe("content");
    expect(resolveLfsMode({}, { lfs: "pointers" })).toBe("pointers");
    expect(resolveLfsMode({ WSPUB_LFS: "content" }, { lfs: "pointers" })).toBe("content");
    expect(() => resolveLfsMode({ WSPUB_LFS: "yes" }, {})).toThrow(/invalid WSPUB_LFS="yes": set it to content/);
  });
});

describe("which files are Git LFS files (real git, the commit's .gitattributes)", () => {
  let repo: TempRepo;
  let git: GitRepository;
  beforeEach(() => {
    repo = tempRepo();
  });
  afterEach(async () => {
    await git?.close();
    repo.cleanup();
  });

  it("filter=lfs and a pointer blob: the content's id and size; otherwise the file as stored", async () => {
    // No git-lfs filter is configured in this repository: the pointer texts are stored as they are.
    repo.write({
      ".gitattributes": "*.bin filter=lfs diff=lfs merge=lfs -text\n[attr]big filter=lfs\n*.psd big\n",
      "model.bin": pointer(OID, 7),
      "art.psd": pointer(OID, 7),
      "raw/.gitattributes": "*.bin -filter\n",
      "raw/dump.bin": pointer(OID, 7),
      "notes.txt": pointer(OID, 7),
      "plain.bin": "not a pointer\n",
      "ext.bin": `version https://git-lfs.github.com/spec/v1\next-0-x sha256:${OID}\noid sha256:${OID}\nsize 7\n`,
    });
    const commit = repo.commit("one");
    git = await openGit(repo.dir);
    const set = await buildPublishSet(git, commit, "");
    const of = (path: string) => set.files.find((f) => f.path === path)!;
    expect(of("model.bin")).toMatchObject({
      oid: `lfs:${OID}`,
      size: 7,
      pointer: repo.git("rev-parse", `${commit}:model.bin`).trim(),
    });
    expect(of("art.psd")).toMatchObject({ oid: `lfs:${OID}` }); // through a macro
    for (const path of ["raw/dump.bin", "notes.txt", "plain.bin", "ext.bin"]) {
      expect(of(path).oid).toBe(repo.git("rev-parse", `${commit}:${path}`).trim());
      expect(of(path).pointer).toBeUndefined();
    }
    expect(set.unreadableLfs).toEqual(["ext.bin"]);
    expect(set.attributes.map((a) => a.path)).toEqual([".gitattributes", "raw/.gitattributes"]);
    expect((await buildPublishSet(git, commit, "", [], "pointers")).files.every((f) => f.pointer === undefined)).toBe(
      true,
    );
  });

  it("the attributes are the commit's, not the working tree's; those above a workspace apply", async () => {
    repo.write({ ".gitattributes": "*.bin filter=lfs\n", "apps/www/model.bin": pointer(OID, 7) });
    const commit = repo.commit("one");
    repo.write({ ".gitattributes": "*.bin -filter\n" }); // uncommitted
    git = await openGit(repo.dir);
    const set = await buildPublishSet(git, commit, "apps/www");
    expect(set.files).toEqual([expect.objectContaining({ path: "model.bin", oid: `lfs:${OID}` })]);
  });

  it("without a .gitattributes that mentions lfs, no file is read", async () => {
    const fake = new FakeGit({ ".gitattributes": "*.sh text eol=lf\n", "a.bin": pointer(OID, 7) });
    const set = await buildPublishSet(fake, COMMIT, "");
    expect(set.files.map((f) => f.oid)).not.toContain(`lfs:${OID}`);
    expect(fake.calls.filter((c) => c.startsWith("readObject"))).toEqual([
      `readObject ${fake.entry(".gitattributes").oid}`,
    ]);
  });
});
