// Oracle test: buildPublishSet's .gitignore handling against git's own verdict. Every file of the
// fixture is force-added, so `git ls-files -ci --exclude-standard` lists exactly the tracked
// files that git's ignore rules match; wspub must exclude exactly those (no default-excluded
// names are in the fixture, so only .gitignore rules are compared).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPublishSet, type PublishSet } from "../../src/filter/publish-set.js";
import { openGit } from "../../src/git/cli-git.js";
import type { GitReader } from "../../src/git/port.js";
import { TempRepo } from "./support/git-repo.js";

const BOM = "\uFEFF";

/** path -> content. `.gitignore` files are the rules under test; everything else is a plain file. */
const fixture: Record<string, string> = {
  ".gitignore": [
    "# comment line",
    "*.tmp",
    "!keep.tmp",
    "/root-only.txt",
    "docs/*.pdf",
    "**/cache/",
    "secret/",
    "\\#hash.txt",
    "\\!bang.txt",
    "out/**",
    "!out/readme.md",
    "logs/",
    "!logs/keep.txt",
    "trailing.txt   ",
    "escaped-space\\ ",
    "a/**/z.txt",
    "[Bb]ackup*",
    "file?.dat",
    "dironly/",
    "",
  ].join("\n"),
  "a.tmp": "",
  "keep.tmp": "",
  "root-only.txt": "",
  "#hash.txt": "",
  "!bang.txt": "",
  "trailing.txt": "",
  "escaped-space ": "",
  Backup1: "",
  backup2: "",
  "file1.dat": "",
  "file10.dat": "",
  dironly: "a file, not a directory",
  "plain.txt": "",

  "nested/a.tmp": "",
  "nested/keep.tmp": "",
  "nested/root-only.txt": "",
  "nested/#hash.txt": "",
  "nested/Backup3": "",
  "nested/dironly/x": "",
  "nested/deep/cache/c2": "",
  "nested/secret/k": "",
  "nested/docs/a.pdf": "",

  "docs/a.pdf": "",
  "docs/x/b.pdf": "",
  "docs/readme.md": "",
  "cache/c1": "",
  "secret/k": "",
  "out/readme.md": "",
  "out/other.md": "",
  "out/sub/readme.md": "",
  "logs/keep.txt": "",
  "logs/a.txt": "",
  "a/z.txt": "",
  "a/b/c/z.txt": "",
  "a/y.txt": "",
  "b/a/z.txt": "",

  "sub/.gitignore": "!b.tmp\nlocal/\n/anchored.txt\n*.md\n!README.md\n",
  "sub/b.tmp": "",
  "sub/c.tmp": "",
  "sub/local/x": "",
  "sub/anchored.txt": "",
  "sub/notes.md": "",
  "sub/README.md": "",
  "sub/x/.gitignore": "!y.md\n/only-here.txt\n",
  "sub/x/anchored.txt": "",
  "sub/x/y.md": "",
  "sub/x/z.md": "",
  "sub/x/only-here.txt": "",
  "sub/x/q/only-here.txt": "",

  "neg/.gitignore": "*\n!*/\n!*.keep\n!.gitignore\n",
  "neg/a.txt": "",
  "neg/b.keep": "",
  "neg/d/c.keep": "",
  "neg/d/e.txt": "",

  "stars/.gitignore": "**/gen/**\nfoo/**/bar\n",
  "stars/gen/x": "",
  "stars/a/gen/b/c": "",
  "stars/foo/bar": "",
  "stars/foo/a/b/bar": "",
  "stars/x/foo/bar": "",
  "stars/generated": "",

  "crlf/.gitignore": "one.txt\r\ntwo/\r\n",
  "crlf/one.txt": "",
  "crlf/two/x": "",
  "crlf/three.txt": "",

  "more/.gitignore": "*.[oa]\n[!m]*.lib\n**/tmpdir/**/*.bin\nx/**/\n\\ lead.txt\n*~\n.#*\n",
  "more/a.o": "",
  "more/b.a": "",
  "more/c.so": "",
  "more/m.lib": "",
  "more/n.lib": "",
  "more/tmpdir/r.bin": "",
  "more/tmpdir/q/r.bin": "",
  "more/deep/tmpdir/s.bin": "",
  "more/x/y/z": "",
  "more/x/file": "",
  "more/ lead.txt": "",
  "more/lead.txt": "",
  "more/notes.txt~": "",
  "more/.#lock": "",

  "rules/sym-rules": "*.txt\n",
  "sym/a.txt": "",

  "app/[slug]/.gitignore": "*.gen.ts\n",
  "app/[slug]/page.gen.ts": "",
  "app/[slug]/page.ts": "",
  "app/s/page.gen.ts": "",

  "bom/.gitignore": `${BOM}first.txt\nsecond.txt\n`,
  "bom/first.txt": "",
  "bom/second.txt": "",
  "bom/third.txt": "",

  "tab/.gitignore": "t.txt\t\n",
  "tab/t.txt": "",
  "tab/t.txt\t": "",

  "pkgs/.gitignore": "*.cache-file\n/www/top-only.txt\n",
  "pkgs/api/.gitignore": "*.txt\n",
  "pkgs/api/notes.txt": "",
  "pkgs/www/.gitignore": "!keep.cache-file\n",
  "pkgs/www/a.cache-file": "",
  "pkgs/www/keep.cache-file": "",
  "pkgs/www/top-only.txt": "",
  "pkgs/www/x/top-only.txt": "",
  "pkgs/www/notes.txt": "",
  "pkgs/www/c.tmp": "",
  "pkgs/www/src/cache/z": "",
};

const group = (path: string) => (path.includes("/") ? path.slice(0, path.indexOf("/")) : "(root)");
const groups = [...new Set(Object.keys(fixture).map(group))].sort();

describe("buildPublishSet agrees with git's ignore rules (oracle)", () => {
  let repo: TempRepo;
  let reader: GitReader;
  let commit: string;
  let tracked: string[];
  let gitIgnored: string[];
  let whole: PublishSet;

  beforeAll(async () => {
    repo = new TempRepo();
    for (const [path, content] of Object.entries(fixture)) repo.write(path, content);
    repo.symlink("sym/.gitignore", "../rules/sym-rules");
    commit = repo.commitAll();
    const z = (s: string) =>
      s
        .split("\0")
        .filter((p) => p !== "")
        .sort();
    tracked = z(repo.git("ls-files", "-z"));
    gitIgnored = z(repo.git("ls-files", "-ci", "--exclude-standard", "-z"));
    reader = await openGit(repo.dir);
    whole = await buildPublishSet(reader, commit, "");
  });

  afterAll(async () => {
    await reader?.close();
    repo?.remove();
  });

  it("the fixture is what the comparison assumes", () => {
    expect(tracked).toContain("sym/.gitignore");
    expect(tracked).toContain("escaped-space ");
    expect(tracked).toHaveLength(Object.keys(fixture).length + 1);
    // git's verdict is not trivial, and follows the documented rules on a few known paths
    for (const p of [
      "a.tmp",
      "docs/a.pdf",
      "logs/keep.txt",
      "sub/x/z.md",
      "neg/a.txt",
      "out/sub/readme.md",
      "more/n.lib",
      "more/ lead.txt",
      "more/x/y/z",
    ])
      expect(gitIgnored).toContain(p);
    for (const p of [
      "keep.tmp",
      "docs/x/b.pdf",
      "out/readme.md",
      "sub/x/y.md",
      "neg/d/c.keep",
      "sym/a.txt",
      "plain.txt",
      "more/m.lib",
      "more/lead.txt",
      "more/x/file",
    ])
      expect(gitIgnored).not.toContain(p);
    // no default exclude is involved
    expect(whole.excluded.filter((e) => e.reason.startsWith("default:"))).toEqual([]);
    expect(whole.submodules).toEqual([]);
  });

  it("published + excluded = every tracked file", () => {
    expect([...whole.files.map((f) => f.path), ...whole.excluded.map((e) => e.path)].sort()).toEqual(tracked);
  });

  it.each(groups)("same excluded paths under %s", (g) => {
    const ours = whole.excluded
      .map((e) => e.path)
      .filter((p) => group(p) === g)
      .sort();
    expect(ours).toEqual(gitIgnored.filter((p) => group(p) === g));
  });

  it("same excluded paths over the whole repository", () => {
    expect(whole.excluded.map((e) => e.path).sort()).toEqual(gitIgnored);
  });

  it("monorepo workspace pkgs/www: same verdict as git for the files under it", async () => {
    const ws = await buildPublishSet(reader, commit, "pkgs/www");
    expect(ws.excluded.map((e) => `pkgs/www/${e.path}`).sort()).toEqual(
      gitIgnored.filter((p) => p.startsWith("pkgs/www/")),
    );
    expect(ws.files.map((f) => f.path).sort()).toEqual([
      ".gitignore",
      "keep.cache-file",
      "notes.txt",
      "x/top-only.txt",
    ]);
  });
});
