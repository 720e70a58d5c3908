import ignore from "ignore";
import { describe, expect, it } from "vitest";
import { cleanLine, parseIgnoreFile, rebasePattern, rulesFromList, type Syntax } from "../../src/filter/rules.js";

describe("cleanLine", () => {
  it.each([
    { raw: "", expected: undefined },
    { raw: "# a comment", expected: undefined },
    { raw: "#", expected: undefined },
    { raw: "\\#hash.txt", expected: "\\#hash.txt" },
    { raw: "  # indented is not a comment", expected: "  # indented is not a comment" },
    { raw: "foo", expected: "foo" },
    { raw: "foo   ", expected: "foo" },
    { raw: "foo\\ ", expected: "foo\\ " },
    { raw: "foo\\  ", expected: "foo\\ " },
    { raw: "foo\r", expected: "foo" },
    { raw: "foo  \r", expected: "foo" },
    { raw: "\r", expected: undefined },
    { raw: "   ", expected: undefined },
    { raw: "!keep.log", expected: "!keep.log" },
    { raw: "/anchored/", expected: "/anchored/" },
    { raw: "  leading", expected: "  leading" },
    // git trims trailing SPACES only (dir.c trim_trailing_spaces); a trailing tab is part of the pattern.
    { raw: "tab.txt\t", expected: "tab.txt\t" },
  ])("cleanLine($raw) -> $expected", ({ raw, expected }) => {
    expect(cleanLine(raw)).toBe(expected);
  });
});

describe("rebasePattern: exact patterns", () => {
  it.each<[string, string, Syntax, string]>([
    // gitignore, root
    ["foo", "", "gitignore", "foo"],
    ["foo/", "", "gitignore", "foo/"],
    ["*.log", "", "gitignore", "*.log"],
    ["a/b", "", "gitignore", "/a/b"],
    ["a/b/", "", "gitignore", "/a/b/"],
    ["**/foo", "", "gitignore", "/**/foo"],
    ["foo/**", "", "gitignore", "/foo/**"],
    ["a/**/b", "", "gitignore", "/a/**/b"],
    ["!foo", "", "gitignore", "!foo"],
    ["!a/b", "", "gitignore", "!/a/b"],
    ["\\#hash", "", "gitignore", "\\#hash"],
    ["\\!bang", "", "gitignore", "\\!bang"],
    // gitignore, nested
    ["foo", "a/b/", "gitignore", "/a/b/**/foo"],
    ["foo/", "a/b/", "gitignore", "/a/b/**/foo/"],
    ["*.log", "a/b/", "gitignore", "/a/b/**/*.log"],
    ["/foo", "a/b/", "gitignore", "/a/b/foo"],
    ["/foo/", "a/b/", "gitignore", "/a/b/foo/"],
    ["x/y", "a/b/", "gitignore", "/a/b/x/y"],
    ["x/y/", "a/b/", "gitignore", "/a/b/x/y/"],
    ["**/foo", "a/b/", "gitignore", "/a/b/**/foo"],
    ["foo/**", "a/b/", "gitignore", "/a/b/foo/**"],
    ["!foo", "a/b/", "gitignore", "!/a/b/**/foo"],
    ["!/foo", "a/b/", "gitignore", "!/a/b/foo"],
    ["!x/y", "a/b/", "gitignore", "!/a/b/x/y"],
    ["\\#hash", "a/b/", "gitignore", "/a/b/**/\\#hash"],
    ["\\!bang", "a/b/", "gitignore", "/a/b/**/\\!bang"],
    // dockerignore: always anchored at the context root
    ["**/foo", "", "dockerignore", "/**/foo"],
    ["*/temp*", "", "dockerignore", "/*/temp*"],
    ["foo", "a/b/", "dockerignore", "/a/b/foo"],
    ["/foo", "a/b/", "dockerignore", "/a/b/foo"],
    ["//foo", "a/b/", "dockerignore", "/a/b/foo"],
    ["**/foo", "a/b/", "dockerignore", "/a/b/**/foo"],
    ["*.md", "a/b/", "dockerignore", "/a/b/*.md"],
    ["x/y", "a/b/", "dockerignore", "/a/b/x/y"],
    ["!foo", "a/b/", "dockerignore", "!/a/b/foo"],
    ["!/foo", "a/b/", "dockerignore", "!/a/b/foo"],
  ])("rebasePattern(%j, %j, %s) -> %j", (line, base, syntax, expected) => {
    expect(rebasePattern(line, base, syntax)).toBe(expected);
  });
});

/**
 * What a rebased pattern MATCHES, checked with the same `ignore` matcher the publish set uses.
 * This is what matters (and what git does), whatever the pattern's spelling.
 */
describe("rebasePattern: what the rebased pattern matches", () => {
  const matches = (line: string, base: string, syntax: Syntax, path: string) =>
    ignore({ ignorecase: false })
      .add(rebasePattern(line, base, syntax))
      .ignores(path);

  it.each<[string, string, Syntax, string, boolean]>([
    // gitignore, unanchored: any depth below the base
    ["foo", "", "gitignore", "foo", true],
    ["foo", "", "gitignore", "x/foo", true],
    ["foo", "", "gitignore", "x/foo/y", true],
    ["foo", "a/b/", "gitignore", "a/b/foo", true],
    ["foo", "a/b/", "gitignore", "a/b/x/y/foo", true],
    ["foo", "a/b/", "gitignore", "a/foo", false],
    ["foo", "a/b/", "gitignore", "foo", false],
    ["foo", "a/b/", "gitignore", "c/a/b/foo", false],
    ["*.log", "a/b/", "gitignore", "a/b/x/debug.log", true],
    ["*.log", "a/b/", "gitignore", "a/debug.log", false],
    // gitignore, anchored with a middle slash
    ["x/y", "a/b/", "gitignore", "a/b/x/y", true],
    ["x/y", "a/b/", "gitignore", "a/b/z/x/y", false],
    ["x/y", "", "gitignore", "x/y", true],
    ["x/y", "", "gitignore", "z/x/y", false],
    ["docs/*.pdf", "", "gitignore", "docs/a.pdf", true],
    ["docs/*.pdf", "", "gitignore", "docs/sub/a.pdf", false],
    // gitignore, anchored with a leading slash
    ["/foo", "a/b/", "gitignore", "a/b/foo", true],
    ["/foo", "a/b/", "gitignore", "a/b/x/foo", false],
    ["/foo", "", "gitignore", "foo", true],
    ["/foo", "", "gitignore", "foo/inside", true],
    ["/foo", "", "gitignore", "x/foo", false],
    ["/foo/", "", "gitignore", "x/foo/y", false],
    ["/*.txt", "", "gitignore", "notes.txt", true],
    ["/*.txt", "", "gitignore", "docs/notes.txt", false],
    // gitignore, directory-only
    ["foo/", "a/b/", "gitignore", "a/b/x/foo/y", true],
    // dockerignore: `foo` only at the context root, `**/foo` anywhere
    ["foo", "a/b/", "dockerignore", "a/b/foo", true],
    ["foo", "a/b/", "dockerignore", "a/b/foo/inside", true],
    ["foo", "a/b/", "dockerignore", "a/b/x/foo", false],
    ["**/foo", "a/b/", "dockerignore", "a/b/x/y/foo", true],
    ["*.md", "a/b/", "dockerignore", "a/b/x/README.md", false],
    ["foo", "", "dockerignore", "foo", true],
    ["foo", "", "dockerignore", "x/foo", false],
    ["*.md", "", "dockerignore", "README.md", true],
    ["*.md", "", "dockerignore", "docs/guide.md", false],
    ["**/foo", "", "dockerignore", "x/y/foo", true],
    ["*/temp*", "", "dockerignore", "x/temp.txt", true],
    ["*/temp*", "", "dockerignore", "x/y/temp.txt", false],
    // The base is a literal directory name, not a glob (Next.js / SvelteKit route folders, etc.)
    ["*.tmp", "app/[slug]/", "gitignore", "app/[slug]/x.tmp", true],
    ["*.tmp", "app/[slug]/", "gitignore", "app/s/x.tmp", false],
    ["/out", "app/[slug]/", "gitignore", "app/[slug]/out", true],
    ["*.tmp", "!draft/", "gitignore", "!draft/x.tmp", true],
    ["*.tmp", "#notes/", "gitignore", "#notes/x.tmp", true],
    ["*.tmp", "dir*/", "gitignore", "dirty/x.tmp", false],
  ])("%j in %j (%s) matches %j: %s", (line, base, syntax, path, expected) => {
    expect(matches(line, base, syntax, path)).toBe(expected);
  });
});

describe("parseIgnoreFile", () => {
  const text = ["# comment", "", "*.log\r", "!keep.log", "\\#hash", "!", "/root-only  ", "cache/", "   ", "x/y"].join(
    "\n",
  );

  it("gitignore in a/b/: rebased rules with 1-based line numbers, comments and blanks skipped", () => {
    expect(parseIgnoreFile(text, "a/b/", "a/b/.gitignore", "gitignore")).toEqual([
      { pattern: "/a/b/**/*.log", source: "a/b/.gitignore:3: *.log" },
      { pattern: "!/a/b/**/keep.log", source: "a/b/.gitignore:4: !keep.log" },
      { pattern: "/a/b/**/\\#hash", source: "a/b/.gitignore:5: \\#hash" },
      { pattern: "/a/b/root-only", source: "a/b/.gitignore:7: /root-only" },
      { pattern: "/a/b/**/cache/", source: "a/b/.gitignore:8: cache/" },
      { pattern: "/a/b/x/y", source: "a/b/.gitignore:10: x/y" },
    ]);
  });

  it("gitignore at the root: unanchored patterns are left as they are", () => {
    const rules = parseIgnoreFile("*.log\n!keep.log\ncache/\nx/y\n", "", ".gitignore", "gitignore");
    expect(rules).toEqual([
      { pattern: "*.log", source: ".gitignore:1: *.log" },
      { pattern: "!keep.log", source: ".gitignore:2: !keep.log" },
      { pattern: "cache/", source: ".gitignore:3: cache/" },
      { pattern: "/x/y", source: ".gitignore:4: x/y" },
    ]);
  });

  it("dockerignore in a/b/: every pattern anchored at a/b/", () => {
    expect(parseIgnoreFile("# c\nfoo\n**/bar\n!foo/keep\n/baz\n", "a/b/", "a/b/.dockerignore", "dockerignore")).toEqual(
      [
        { pattern: "/a/b/foo", source: "a/b/.dockerignore:2: foo" },
        { pattern: "/a/b/**/bar", source: "a/b/.dockerignore:3: **/bar" },
        { pattern: "!/a/b/foo/keep", source: "a/b/.dockerignore:4: !foo/keep" },
        { pattern: "/a/b/baz", source: "a/b/.dockerignore:5: /baz" },
      ],
    );
  });

  it("an empty file gives no rules", () => {
    expect(parseIgnoreFile("", "", ".gitignore", "gitignore")).toEqual([]);
    expect(parseIgnoreFile("\n\n# only comments\n", "a/", "a/.gitignore", "gitignore")).toEqual([]);
  });

  it("a UTF-8 byte order mark at the start of the file is skipped, as git does", () => {
    expect(parseIgnoreFile("\uFEFFfirst.txt\nsecond.txt\n", "", ".gitignore", "gitignore")).toEqual([
      { pattern: "first.txt", source: ".gitignore:1: first.txt" },
      { pattern: "second.txt", source: ".gitignore:2: second.txt" },
    ]);
  });

  it("CRLF files: the CR is not part of the pattern", () => {
    expect(parseIgnoreFile("a.txt\r\nb/\r\n", "w/", "w/.gitignore", "gitignore").map((r) => r.pattern)).toEqual([
      "/w/**/a.txt",
      "/w/**/b/",
    ]);
  });
});

describe("rulesFromList", () => {
  it.each([
    {
      base: "",
      expected: [
        { pattern: "node_modules/", source: "default: node_modules/" },
        { pattern: "*.log", source: "default: *.log" },
        { pattern: "/docs/internal", source: "default: docs/internal" },
      ],
    },
    {
      base: "ws/www/",
      expected: [
        { pattern: "/ws/www/**/node_modules/", source: "default: node_modules/" },
        { pattern: "/ws/www/**/*.log", source: "default: *.log" },
        { pattern: "/ws/www/docs/internal", source: "default: docs/internal" },
      ],
    },
  ])("base $base: skips blanks and comments, keeps the list's spelling as source", ({ base, expected }) => {
    expect(rulesFromList(["node_modules/", "   ", "# comment", "*.log  ", "docs/internal"], base, "default")).toEqual(
      expected,
    );
  });
});
