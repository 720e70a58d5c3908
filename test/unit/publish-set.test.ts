import { describe, expect, it } from "vitest";
import { buildPublishSet } from "../../src/filter/publish-set.js";
import { DEFAULT_EXCLUDES } from "../../src/filter/excludes.js";
import { COMMIT, FakeGit, type FakeNode } from "./support/fake-git.js";

/** Runs buildPublishSet on an in-memory tree; published paths sorted, excluded as path -> reason. */
async function run(tree: Record<string, FakeNode>, wsDir = "", extra: string[] = []) {
  const git = new FakeGit(tree);
  const set = await buildPublishSet(git, COMMIT, wsDir, extra);
  return {
    files: set.files.map((f) => f.path).sort(),
    excluded: Object.fromEntries(set.excluded.map((e) => [e.path, e.reason])),
    submodules: set.submodules,
    set,
    git,
  };
}

const under = (dir: string, tree: Record<string, FakeNode>) =>
  Object.fromEntries(Object.entries(tree).map(([p, n]) => [dir === "" ? p : `${dir}/${p}`, n]));

describe("buildPublishSet: default excludes", () => {
  it("the default list is the documented one", () => {
    expect(DEFAULT_EXCLUDES).toEqual([
      "node_modules/",
      ".git/",
      "*.log",
      ".env*",
      "dist/",
      "build/",
      "__pycache__/",
      "vendor/",
      "*.pyc",
      ".DS_Store",
      "Thumbs.db",
    ]);
  });

  // pattern, paths it excludes (root and nested), near misses that stay published
  const defaults: [string, string[], string[]][] = [
    [
      "node_modules/",
      ["node_modules/react/index.js", "packages/ui/node_modules/x/y.js"],
      ["node_modules.txt", "lib/node_modules"],
    ],
    [".git/", [".git/config", "sub/.git/HEAD"], [".gitattributes", ".gitkeep", ".github/workflows/ci.yml"]],
    ["*.log", ["debug.log", "logs/2024/app.log", "odd.log/inside.txt"], ["log.txt", "app.log.txt", "changelog"]],
    [".env*", [".env", ".env.local", "config/.env.production", ".envrc"], ["env", "x.env", "config/env.ts"]],
    ["dist/", ["dist/index.js", "packages/a/dist/b/c.js"], ["distance.ts", "dist", "src/dist.ts"]],
    ["build/", ["build/out.o", "x/build/y"], ["build.sh", "builder.ts", "build"]],
    ["__pycache__/", ["__pycache__/m.txt", "pkg/__pycache__/n.txt"], ["pycache.txt", "__pycache__.md"]],
    ["vendor/", ["vendor/autoload.php", "php/vendor/lib/x.php"], ["vendors.txt", "vendor"]],
    ["*.pyc", ["m.pyc", "a/b/c.pyc"], ["m.py", "m.pyc.txt", "pyc"]],
    [".DS_Store", [".DS_Store", "img/.DS_Store"], ["DS_Store", ".DS_Store.txt"]],
    ["Thumbs.db", ["Thumbs.db", "img/2024/Thumbs.db"], ["thumbs.db", "Thumbs.db.bak"]],
  ];
  const rows = ["", "workspaces/www"].flatMap((ws) => defaults.map(([p, ex, inc]) => [ws, p, ex, inc] as const));

  it.each(rows)(
    "wsDir %j, default %s: excluded at root and nested, near misses published",
    async (ws, pattern, excluded, included) => {
      const tree: Record<string, FakeNode> = {};
      for (const p of [...excluded, ...included]) tree[ws === "" ? p : `${ws}/${p}`] = `content of ${p}`;
      if (ws !== "") tree["workspaces/api/other.txt"] = "not in the workspace";
      const r = await run(tree, ws);
      expect(r.files).toEqual([...included].sort());
      expect(r.excluded).toEqual(Object.fromEntries(excluded.map((p) => [p, `default: ${pattern}`])));
    },
  );
});

describe("buildPublishSet: .gitignore files", () => {
  it("root .gitignore: matching tracked files are excluded, with file:line reasons", async () => {
    const r = await run({
      ".gitignore": "# generated\n*.tmp\n\ncache/\nsecret.txt\ndocs/*.pdf\n",
      "a.tmp": "x",
      "src/b.tmp": "x",
      "cache/c.bin": "x",
      "src/cache/d.bin": "x",
      "secret.txt": "force-added: tracked, so it is in the tree",
      "config/secret.txt": "x",
      "docs/guide.pdf": "x",
      "docs/old/guide.pdf": "x",
      "src/index.ts": "x",
    });
    expect(r.files).toEqual([".gitignore", "docs/old/guide.pdf", "src/index.ts"]);
    expect(r.excluded).toEqual({
      "a.tmp": ".gitignore:2: *.tmp",
      "src/b.tmp": ".gitignore:2: *.tmp",
      "cache/c.bin": ".gitignore:4: cache/",
      "src/cache/d.bin": ".gitignore:4: cache/",
      "secret.txt": ".gitignore:5: secret.txt",
      "config/secret.txt": ".gitignore:5: secret.txt",
      "docs/guide.pdf": ".gitignore:6: docs/*.pdf",
    });
  });

  it("a force-added file that the .gitignore matches is excluded", async () => {
    const r = await run({ ".gitignore": "credentials.json\n", "credentials.json": "{}", "app.ts": "x" });
    expect(r.files).toEqual([".gitignore", "app.ts"]);
    expect(r.excluded).toEqual({ "credentials.json": ".gitignore:1: credentials.json" });
  });

  it("a leading slash anchors a root .gitignore pattern to the root", async () => {
    const r = await run({
      ".gitignore": "/todo.txt\n/out/\n",
      "todo.txt": "x",
      "src/todo.txt": "x",
      "out/a": "x",
      "src/out/b": "x",
    });
    expect(r.files).toEqual([".gitignore", "src/out/b", "src/todo.txt"]);
    expect(r.excluded).toEqual({ "todo.txt": ".gitignore:1: /todo.txt", "out/a": ".gitignore:2: /out/" });
  });

  it("nested .gitignore applies only below its directory; the deeper file wins", async () => {
    const r = await run({
      ".gitignore": "*.tmp\n",
      "sub/.gitignore": "!*.tmp\nlocal.txt\n/anchored.txt\n",
      "sub/deep/.gitignore": "*.tmp\n",
      "a.tmp": "x",
      "other/a.tmp": "x",
      "sub/a.tmp": "x",
      "sub/x/a.tmp": "x",
      "sub/deep/a.tmp": "x",
      "sub/deep/y/a.tmp": "x",
      "local.txt": "x",
      "other/local.txt": "x",
      "sub/local.txt": "x",
      "sub/x/local.txt": "x",
      "anchored.txt": "x",
      "sub/anchored.txt": "x",
      "sub/x/anchored.txt": "x",
    });
    expect(r.files).toEqual([
      ".gitignore",
      "anchored.txt",
      "local.txt",
      "other/local.txt",
      "sub/.gitignore",
      "sub/a.tmp",
      "sub/deep/.gitignore",
      "sub/x/a.tmp",
      "sub/x/anchored.txt",
    ]);
    expect(r.excluded).toEqual({
      "a.tmp": ".gitignore:1: *.tmp",
      "other/a.tmp": ".gitignore:1: *.tmp",
      "sub/deep/a.tmp": "sub/deep/.gitignore:1: *.tmp",
      "sub/deep/y/a.tmp": "sub/deep/.gitignore:1: *.tmp",
      "sub/local.txt": "sub/.gitignore:2: local.txt",
      "sub/x/local.txt": "sub/.gitignore:2: local.txt",
      "sub/anchored.txt": "sub/.gitignore:3: /anchored.txt",
    });
  });

  it("a file cannot be re-included when a parent directory is excluded (git semantics)", async () => {
    const r = await run({
      ".gitignore": "logs/\n!logs/keep.txt\nout/**\n!out/readme.md\n",
      "logs/keep.txt": "x",
      "logs/a.txt": "x",
      "out/readme.md": "x",
      "out/x.md": "x",
    });
    expect(r.files).toEqual([".gitignore", "out/readme.md"]);
    expect(r.excluded).toEqual({
      "logs/keep.txt": ".gitignore:1: logs/",
      "logs/a.txt": ".gitignore:1: logs/",
      "out/x.md": ".gitignore:3: out/**",
    });
  });

  it("monorepo: .gitignore files above the workspace apply; a sibling workspace's do not", async () => {
    const r = await run(
      {
        ".gitignore": "*.secret\nworkspaces/www/generated/\n",
        "workspaces/.gitignore": "cache/\n",
        "workspaces/api/.gitignore": "*.txt\ncache/\n",
        "workspaces/api/notes.txt": "x",
        "workspaces/www/.gitignore": "!important.secret\n",
        "workspaces/www/a.secret": "x",
        "workspaces/www/important.secret": "x",
        "workspaces/www/cache/c.bin": "x",
        "workspaces/www/generated/g.ts": "x",
        "workspaces/www/src/generated/g.ts": "x",
        "workspaces/www/notes.txt": "x",
      },
      "workspaces/www",
    );
    expect(r.files).toEqual([".gitignore", "important.secret", "notes.txt", "src/generated/g.ts"]);
    expect(r.excluded).toEqual({
      "a.secret": ".gitignore:1: *.secret",
      "generated/g.ts": ".gitignore:2: workspaces/www/generated/",
      "cache/c.bin": "workspaces/.gitignore:1: cache/",
    });
    expect(r.git.calls).toEqual([
      `listTree ${COMMIT} "workspaces/www"`,
      `listPaths ${COMMIT} [".gitignore","workspaces/.gitignore",".gitattributes","workspaces/.gitattributes"]`,
      `readObject ${r.git.entry(".gitignore").oid}`,
      `readObject ${r.git.entry("workspaces/.gitignore").oid}`,
      `readObject ${r.git.entry("workspaces/www/.gitignore").oid}`,
    ]);
  });

  it("a symlinked .gitignore inside the workspace is not read (git does not follow it)", async () => {
    // The blob of a symlink is its target text; "*.txt" is a valid target name that WOULD exclude files if parsed.
    const r = await run({
      "sub/.gitignore": { symlink: "*.txt" },
      ".gitignore": { symlink: "*.md" },
      "sub/a.txt": "x",
      "b.md": "x",
    });
    expect(r.files).toEqual([".gitignore", "b.md", "sub/.gitignore", "sub/a.txt"]);
    expect(r.excluded).toEqual({});
  });

  it("a symlinked .gitignore in a directory above the workspace is not read either", async () => {
    const r = await run(
      {
        "workspaces/.gitignore": { symlink: "*.txt" },
        ".gitignore": { symlink: "*.md" },
        "workspaces/www/a.txt": "x",
        "workspaces/www/b.md": "x",
      },
      "workspaces/www",
    );
    expect(r.files).toEqual(["a.txt", "b.md"]);
    expect(r.excluded).toEqual({});
  });

  it("a .gitignore in a directory whose name has glob characters applies to that directory only", async () => {
    const r = await run({
      "app/[slug]/.gitignore": "*.gen.ts\n",
      "app/[slug]/page.gen.ts": "x",
      "app/[slug]/page.ts": "x",
      "app/s/page.gen.ts": "x",
    });
    expect(r.files).toEqual(["app/[slug]/.gitignore", "app/[slug]/page.ts", "app/s/page.gen.ts"]);
    expect(r.excluded).toEqual({ "app/[slug]/page.gen.ts": "app/[slug]/.gitignore:1: *.gen.ts" });
  });

  it("a .gitignore with a UTF-8 BOM: the first pattern still applies (git skips the BOM)", async () => {
    const r = await run({
      ".gitignore": "\uFEFFfirst.txt\nsecond.txt\n",
      "first.txt": "x",
      "second.txt": "x",
      "third.txt": "x",
    });
    expect(r.files).toEqual([".gitignore", "third.txt"]);
    expect(Object.keys(r.excluded).sort()).toEqual(["first.txt", "second.txt"]);
  });
});

describe("buildPublishSet: .dockerignore", () => {
  const dockerTree = {
    ".dockerignore": "# docker\nfoo\n**/bar\n*.md\n!README.md\n/baz\n",
    foo: "x",
    "sub/foo": "x",
    bar: "x",
    "sub/deep/bar": "x",
    "notes.md": "x",
    "README.md": "x",
    "sub/guide.md": "x",
    baz: "x",
    "sub/baz": "x",
    "src/index.ts": "x",
  };
  const expectedFiles = [".dockerignore", "README.md", "src/index.ts", "sub/baz", "sub/foo", "sub/guide.md"];

  it.each(["workspaces/www", ""])(
    "at the workspace root (wsDir %j): anchored, `foo` only at the root, `**/foo` anywhere",
    async (ws) => {
      const dockerfile = ws === "" ? ".dockerignore" : `${ws}/.dockerignore`;
      const r = await run(under(ws, dockerTree), ws);
      expect(r.files).toEqual(expectedFiles);
      expect(r.excluded).toEqual({
        foo: `${dockerfile}:2: foo`,
        bar: `${dockerfile}:3: **/bar`,
        "sub/deep/bar": `${dockerfile}:3: **/bar`,
        "notes.md": `${dockerfile}:4: *.md`,
        baz: `${dockerfile}:6: /baz`,
      });
    },
  );

  it("a .dockerignore in a subdirectory is not read", async () => {
    const r = await run({ "sub/.dockerignore": "*.txt\n", "sub/a.txt": "x", "a.txt": "x" });
    expect(r.files).toEqual(["a.txt", "sub/.dockerignore", "sub/a.txt"]);
    expect(r.excluded).toEqual({});
  });

  it("a .dockerignore above the workspace is not read", async () => {
    const r = await run(
      { ".dockerignore": "*.txt\n", "workspaces/.dockerignore": "*.txt\n", "workspaces/www/a.txt": "x" },
      "workspaces/www",
    );
    expect(r.files).toEqual(["a.txt"]);
    expect(r.excluded).toEqual({});
  });

  it("a symlinked .dockerignore is not read", async () => {
    const r = await run({ ".dockerignore": { symlink: "*.txt" }, "a.txt": "x" });
    expect(r.files).toEqual([".dockerignore", "a.txt"]);
  });
});

describe("buildPublishSet: config excludes and .wspubignore", () => {
  it.each(["", "workspaces/www"])(
    "config excludes (wsDir %j) are gitignore patterns relative to the workspace",
    async (ws) => {
      const r = await run(
        under(ws, {
          "a.bak": "x",
          "src/b.bak": "x",
          "docs/internal/x.md": "x",
          "src/docs/internal/y.md": "x",
          "tmp/t": "x",
          "src/tmp/t": "x",
          "keep.ts": "x",
        }),
        ws,
        ["*.bak", "docs/internal/", "tmp/", "# comment", ""],
      );
      expect(r.files).toEqual(["keep.ts", "src/docs/internal/y.md"]);
      expect(r.excluded).toEqual({
        "a.bak": "config exclude: *.bak",
        "src/b.bak": "config exclude: *.bak",
        "docs/internal/x.md": "config exclude: docs/internal/",
        "tmp/t": "config exclude: tmp/",
        "src/tmp/t": "config exclude: tmp/",
      });
    },
  );

  it('a config exclude with a leading slash is anchored to the workspace root (wsDir "")', async () => {
    const r = await run({ "notes.txt": "x", "src/notes.txt": "x" }, "", ["/notes.txt"]);
    expect(r.files).toEqual(["src/notes.txt"]);
    expect(r.excluded).toEqual({ "notes.txt": "config exclude: /notes.txt" });
  });

  it(".wspubignore re-includes with `!`, but not below an excluded directory", async () => {
    const r = await run({
      ".wspubignore": "!.env.example\n!dist/\n!node_modules/keep.js\n!build/keep.txt\n*.draft\n!api.gen.ts\n",
      ".gitignore": "*.gen.ts\n",
      ".env": "SECRET=1",
      ".env.example": "SECRET=",
      "dist/app.js": "x",
      "pkg/dist/lib.js": "x",
      "node_modules/keep.js": "x",
      "build/keep.txt": "x",
      "post.draft": "x",
      "api.gen.ts": "x",
      "db.gen.ts": "x",
    });
    expect(r.files).toEqual([
      ".env.example",
      ".gitignore",
      ".wspubignore",
      "api.gen.ts",
      "dist/app.js",
      "pkg/dist/lib.js",
    ]);
    expect(r.excluded).toEqual({
      ".env": "default: .env*",
      "node_modules/keep.js": "default: node_modules/",
      "build/keep.txt": "default: build/",
      "post.draft": ".wspubignore:5: *.draft",
      "db.gen.ts": ".gitignore:1: *.gen.ts",
    });
  });

  it(".wspubignore overrides config excludes and .dockerignore (it comes last)", async () => {
    const r = await run(
      {
        ".wspubignore": "!a.bak\n!b.md\n",
        ".dockerignore": "*.md\n",
        "a.bak": "x",
        "c.bak": "x",
        "b.md": "x",
        "d.md": "x",
      },
      "",
      ["*.bak"],
    );
    expect(r.files).toEqual([".dockerignore", ".wspubignore", "a.bak", "b.md"]);
    expect(r.excluded).toEqual({ "c.bak": "config exclude: *.bak", "d.md": ".dockerignore:1: *.md" });
  });

  it(".wspubignore in a monorepo workspace: relative to the workspace; only the workspace root's file is read", async () => {
    const r = await run(
      {
        "workspaces/www/.wspubignore": "!.env.example\n/private/\n",
        "workspaces/www/sub/.wspubignore": "*.ts\n",
        "workspaces/www/.env.example": "x",
        "workspaces/www/private/p.txt": "x",
        "workspaces/www/sub/private/q.txt": "x",
        "workspaces/www/sub/a.ts": "x",
      },
      "workspaces/www",
    );
    expect(r.files).toEqual([".env.example", ".wspubignore", "sub/.wspubignore", "sub/a.ts", "sub/private/q.txt"]);
    expect(r.excluded).toEqual({ "private/p.txt": "workspaces/www/.wspubignore:2: /private/" });
  });
});

describe("buildPublishSet: entries", () => {
  it("submodules (gitlinks) are skipped and reported", async () => {
    const r = await run({
      "libs/ui": { submodule: "a".repeat(40) },
      vendor2: { submodule: "b".repeat(40) },
      "src/a.ts": "x",
    });
    expect(r.files).toEqual(["src/a.ts"]);
    expect(r.submodules).toEqual(["libs/ui", "vendor2"]);
    expect(r.excluded).toEqual({
      "libs/ui": "submodule (gitlinks are not published)",
      vendor2: "submodule (gitlinks are not published)",
    });
  });

  it("submodules in a monorepo workspace are reported relative to the workspace", async () => {
    const r = await run(
      { "ws/www/ext/lib": { submodule: "c".repeat(40) }, "ws/api/ext": { submodule: "d".repeat(40) }, "ws/www/a": "x" },
      "ws/www",
    );
    expect(r.submodules).toEqual(["ext/lib"]);
    expect(r.files).toEqual(["a"]);
  });

  it("publish files carry the workspace-relative path, mode, blob id and size", async () => {
    const git = new FakeGit({
      "ws/www/run.sh": { exec: "#!/bin/sh\n" },
      "ws/www/link": { symlink: "run.sh" },
      "ws/www/ünï cödé.txt": "héllo",
    });
    const set = await buildPublishSet(git, COMMIT, "ws/www");
    expect(set.files).toEqual([
      { path: "link", mode: "120000", oid: git.entry("ws/www/link").oid, size: 6 },
      { path: "run.sh", mode: "100755", oid: git.entry("ws/www/run.sh").oid, size: 10 },
      { path: "ünï cödé.txt", mode: "100644", oid: git.entry("ws/www/ünï cödé.txt").oid, size: 6 },
    ]);
    expect(set).toEqual({
      files: set.files,
      excluded: [],
      submodules: [],
      ignore: [],
      attributes: [],
      unreadableLfs: [],
    });
  });

  it("a workspace directory that is a prefix of another is not confused with it", async () => {
    const r = await run({ "www/a": "x", "www2/b": "x", "www/.gitignore": "*.tmp\n", "www2/c.tmp": "x" }, "www");
    expect(r.files).toEqual([".gitignore", "a"]);
  });

  it("everything is read from the commit: only listTree and readObject are used (listPaths too, above a monorepo workspace)", async () => {
    const r = await run({ ".gitignore": "*.tmp\n", ".dockerignore": "x\n", ".wspubignore": "y\n", "a.tmp": "x" });
    expect(r.git.calls.map((c) => c.split(" ")[0])).toEqual(["listTree", "readObject", "readObject", "readObject"]);
  });

  it("names the ignore files it read, in the order their rules apply (the manifest keeps them for incremental publishes)", async () => {
    const git = new FakeGit({
      "ws/.gitignore": "a\n",
      "ws/www/.wspubignore": "b\n",
      "ws/www/.dockerignore": "c\n",
      "ws/www/x/y/.gitignore": "d\n",
      "ws/www/x/.gitignore": "e\n",
      "ws/www/.gitignore": "f\n",
      "ws/www/x/.gitignore-not": "g\n",
    });
    const set = await buildPublishSet(git, COMMIT, "ws/www");
    expect(set.ignore).toEqual([
      { path: "ws/.gitignore", blob: git.entry("ws/.gitignore").oid, kind: "gitignore" },
      { path: "ws/www/.gitignore", blob: git.entry("ws/www/.gitignore").oid, kind: "gitignore" },
      { path: "ws/www/x/.gitignore", blob: git.entry("ws/www/x/.gitignore").oid, kind: "gitignore" },
      { path: "ws/www/x/y/.gitignore", blob: git.entry("ws/www/x/y/.gitignore").oid, kind: "gitignore" },
      { path: "ws/www/.dockerignore", blob: git.entry("ws/www/.dockerignore").oid, kind: "dockerignore" },
      { path: "ws/www/.wspubignore", blob: git.entry("ws/www/.wspubignore").oid, kind: "wspubignore" },
    ]);
  });
});

describe("buildPublishSet: --explain reasons", () => {
  it.each([
    ["node_modules/x/y.js", "default: node_modules/"],
    ["deep/app.log", "default: *.log"],
    [".env.local", "default: .env*"],
    ["a.tmp", ".gitignore:3: *.tmp"],
    ["cache/x/y/z.bin", ".gitignore:5: cache/"],
    ["sub/local.txt", "sub/.gitignore:2: local.txt"],
    ["image.psd", ".dockerignore:1: image.psd"],
    ["notes.bak", "config exclude: *.bak"],
    ["draft.md", ".wspubignore:1: draft.md"],
    ["libs/sub", "submodule (gitlinks are not published)"],
  ])("%s -> %s", async (path, reason) => {
    const r = await run(
      {
        ".gitignore": "# comment\n\n*.tmp\n!keep.tmp\ncache/\n",
        "sub/.gitignore": "# local\nlocal.txt\n",
        ".dockerignore": "image.psd\n",
        ".wspubignore": "draft.md\n",
        "libs/sub": { submodule: "e".repeat(40) },
        "node_modules/x/y.js": "x",
        "deep/app.log": "x",
        ".env.local": "x",
        "a.tmp": "x",
        "keep.tmp": "x",
        "cache/x/y/z.bin": "x",
        "sub/local.txt": "x",
        "image.psd": "x",
        "notes.bak": "x",
        "draft.md": "x",
      },
      "",
      ["*.bak"],
    );
    expect(r.excluded[path]).toBe(reason);
    expect(r.files).not.toContain(path);
    expect(Object.keys(r.excluded)).toHaveLength(10);
  });
});
