import { describe, expect, it } from "vitest";
import { LsTreeReader, parseCatFileHeader, parseCommitObject, type TreeEntry } from "../../src/git/parse.js";

const OID_A = "83baae61804e65cc73a7201a7252750c76066a30";
const OID_B = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
const OID_256 = "0f".repeat(32);

/** One `git ls-tree -r -z -l` record, with git's right-aligned (7-wide) size column. */
const record = (mode: string, type: string, oid: string, size: string, path: string) =>
  `${mode} ${type} ${oid} ${size.padStart(7)}\t${path}\0`;

/** A whole `git ls-tree -r -z -l` output, read at once. */
function parseLsTree(output: string | Buffer): TreeEntry[] {
  const reader = new LsTreeReader();
  reader.push(Buffer.from(output));
  return reader.end();
}

describe("LsTreeReader", () => {
  const odd: [string, string][] = [
    ["plain", "src/index.ts"],
    ["space", "docs/my notes.md"],
    ["leading space", " leading.txt"],
    ["trailing space", "trailing.txt "],
    ["tab", "a\tb.txt"],
    ["two tabs", "dir\twith/tab\t"],
    ["newline", "line\nbreak.txt"],
    ["carriage return", "cr\r.txt"],
    ["unicode", "ünïcödé/日本語/😀.txt"],
    ["quote and backslash", 'q"uo\\te.txt'],
    ["NUL-free control char", "bell\u0007.txt"],
    ["looks like a record", "100644 blob x 1\tfake"],
    ["hash and bang", "#!/not-a-comment"],
    ["dot files", ".a/..b/...c"],
  ];

  it.each(odd)("a path with %s survives: %j", (_, path) => {
    expect(parseLsTree(record("100644", "blob", OID_A, "12", path))).toEqual([
      { path, mode: "100644", type: "blob", oid: OID_A, size: 12 },
    ]);
  });

  it("all odd paths in one output, in order", () => {
    const out = odd.map(([, p], i) => record("100644", "blob", OID_A, String(i), p)).join("");
    expect(parseLsTree(out).map((e) => e.path)).toEqual(odd.map(([, p]) => p));
    expect(parseLsTree(out).map((e) => e.size)).toEqual(odd.map((_, i) => i));
  });

  it("modes and types: regular, executable, symlink, gitlink (size '-')", () => {
    const out =
      record("100644", "blob", OID_A, "5", "a") +
      record("100755", "blob", OID_B, "0", "bin/run") +
      record("120000", "blob", OID_A, "9", "link") +
      record("160000", "commit", OID_B, "-", "libs/sub");
    expect(parseLsTree(out)).toEqual<TreeEntry[]>([
      { path: "a", mode: "100644", type: "blob", oid: OID_A, size: 5 },
      { path: "bin/run", mode: "100755", type: "blob", oid: OID_B, size: 0 },
      { path: "link", mode: "120000", type: "blob", oid: OID_A, size: 9 },
      { path: "libs/sub", mode: "160000", type: "commit", oid: OID_B, size: 0 },
    ]);
  });

  it("sizes wider than the column and SHA-256 object ids", () => {
    const out = `100644 blob ${OID_256} 123456789\tbig.bin\0`;
    expect(parseLsTree(out)).toEqual([
      { path: "big.bin", mode: "100644", type: "blob", oid: OID_256, size: 123456789 },
    ]);
  });

  it("reads output split anywhere, even inside a UTF-8 character, as the whole output reads", () => {
    const out = Buffer.from(odd.map(([, p], i) => record("100644", "blob", OID_A, String(i), p)).join(""));
    for (const size of [1, 2, 7, 64]) {
      const reader = new LsTreeReader();
      for (let at = 0; at < out.length; at += size) reader.push(out.subarray(at, at + size));
      expect(reader.end()).toEqual(parseLsTree(out.toString()));
    }
  });

  it("a last record without its NUL (output cut short) throws", () => {
    const reader = new LsTreeReader();
    reader.push(Buffer.from(`${record("100644", "blob", OID_A, "1", "a")}100644 blob ${OID_A} 1\tcut`));
    expect(() => reader.end()).toThrow(/unexpected ls-tree record: "100644 blob .* 1\\tcut"/);
  });

  it("empty output (empty tree) is no entries", () => {
    expect(parseLsTree("")).toEqual([]);
  });

  it.each([
    ["no tab", "100644 blob abc 12 path\0"],
    ["missing size", `100644 blob ${OID_A}\tpath\0`],
    ["only a path", "\tpath\0"],
  ])("a malformed record (%s) throws", (_, out) => {
    expect(() => parseLsTree(out)).toThrow(/unexpected ls-tree record/);
  });
});

describe("parseCatFileHeader", () => {
  it.each([
    [`${OID_A} blob 12`, { oid: OID_A, type: "blob", size: 12 }],
    [`${OID_B} blob 0`, { oid: OID_B, type: "blob", size: 0 }],
    [`${OID_A} tree 3145728`, { oid: OID_A, type: "tree", size: 3145728 }],
    [`${OID_256} commit 250`, { oid: OID_256, type: "commit", size: 250 }],
  ])("%j", (line, expected) => {
    expect(parseCatFileHeader(line)).toEqual(expected);
  });

  // git cat-file --batch echoes the object name AS GIVEN before " missing" / " ambiguous"; a
  // `<commit>:<path>` name may contain spaces.
  it.each([
    `${OID_A} missing`,
    "deadbeef ambiguous",
    "HEAD:no/such/file missing",
    "HEAD:dir with spaces/.gitignore missing",
    `${OID_A}:my app/.gitignore missing`,
    "HEAD:trailing space  missing",
    "HEAD:ünï cödé missing",
  ])("%j -> undefined (missing)", (line) => {
    expect(parseCatFileHeader(line)).toBeUndefined();
  });

  it.each(["", "garbage", `${OID_A} blob`, `${OID_A} blob twelve`, `${OID_A} blob -1`, `${OID_A} blob 12 extra`])(
    "%j throws",
    (line) => {
      expect(() => parseCatFileHeader(line)).toThrow(/unexpected cat-file header/);
    },
  );
});

describe("parseCommitObject (git cat-file output of a commit)", () => {
  const tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
  const commit = (message: string, extra = "") =>
    Buffer.from(
      `tree ${tree}\nparent ${OID_A}\n${extra}author A <a@x> 1600000000 +0200\n` +
        `committer C <c@x> 1700000123 -0500\n\n${message}`,
    );

  it.each([
    ["plain subject", "Fix the thing\n", "Fix the thing"],
    ["unicode subject", "Ünïcödé ✨ 日本語\n", "Ünïcödé ✨ 日本語"],
    ["tabs and inner spaces", "a\tb  c\n", "a\tb  c"],
    ["trailing spaces dropped, as git's %s does", "subject  \n", "subject"],
    ["a first paragraph over two lines, joined", "one\ntwo\n\nbody\n", "one two"],
    ["leading blank lines skipped", "\n\n  indented\n", "  indented"],
    ["empty message", "", ""],
    ["no final newline", "s", "s"],
  ])("%s", (_, message, subject) => {
    expect(parseCommitObject("c".repeat(40), commit(message))).toEqual({
      oid: "c".repeat(40),
      tree,
      committerTime: 1_700_000_123,
      subject,
      parents: [OID_A],
    });
  });

  it("a merge has its parents in order; a root commit none; other headers (gpgsig) are skipped", () => {
    const merge = commit("m\n", `parent ${"b".repeat(40)}\n`);
    expect(parseCommitObject("c".repeat(40), merge).parents).toEqual([OID_A, "b".repeat(40)]);
    const root = Buffer.from(`tree ${tree}\ncommitter C <c@x> 5 +0000\ngpgsig -----BEGIN\n x\n\nr\n`);
    expect(parseCommitObject("c".repeat(40), root)).toMatchObject({ parents: [], committerTime: 5, subject: "r" });
  });

  it.each(["", "tree x\n\nno committer", `committer C <c@x> 5 +0000\n\nno tree`])("malformed %j throws", (text) => {
    expect(() => parseCommitObject("c".repeat(40), Buffer.from(text))).toThrow(/unexpected commit object/);
  });
});
