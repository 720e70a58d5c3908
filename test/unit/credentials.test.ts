import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import {
  BATCH_CHARS,
  CREDENTIAL_RULES,
  CredentialScanner,
  isBinary,
  type ScannedText,
} from "../../src/filter/credentials.js";
import type { PublishFile } from "../../src/filter/publish-set.js";
import type { GitReader } from "../../src/git/port.js";
import { CREDENTIAL_SCAN_MAX_BYTES } from "../../src/limits.js";
import type { ManifestEntry } from "../../src/manifest/entry.js";
import type { Plan } from "../../src/plan/plan.js";
import { checkCredentials } from "../../src/publish/credential-check.js";
import type { Publishing } from "../../src/publish/request.js";
import { committedCredentials, fake, mentionsOnly, privateKey } from "../harness/fake-credentials.js";

async function findCredentials(files: Iterable<ScannedText>) {
  const scanner = new CredentialScanner();
  for (const file of files) await scanner.add(file);
  return scanner.done();
}
const texts = (files: Record<string, string>) =>
  Object.entries(files).map(([path, content]) => ({ path, content: Buffer.from(content) }));
const table = Object.fromEntries(Object.entries(committedCredentials).map(([p, c]) => [p, c.content]));

describe("credentials by content (secretlint's recommended preset)", () => {
  it("finds each credential of the issue's table, naming the rule and the line, never the value", async () => {
    const found = await findCredentials(texts(table));
    const rules = (path: string) => found.filter((f) => f.path === path).map((f) => f.rule);
    for (const [path, { rule }] of Object.entries(committedCredentials)) expect(rules(path)).toContain(rule);
    const line = (path: string) => found.find((f) => f.path === path)?.line;
    expect([line("src/github.ts"), line("deploy/settings.py"), line(".aws/credentials")]).toEqual([3, 3, 3]);
    const said = JSON.stringify(found);
    for (const value of [fake.githubToken, fake.awsSecret, privateKey().split("\n")[1]!])
      expect(said).not.toContain(value);
  });

  it("finds the other common token formats", async () => {
    const found = await findCredentials(
      texts({
        "a.sh": `export GITLAB_TOKEN=${fake.gitlabToken}\n`,
        "b.yml": `npm_token: ${fake.npmToken}\n`,
        "c.js": `const slack = "${fake.slackToken}";\n`,
        "d.rb": `Stripe.api_key = "${fake.stripeKey}"\n`,
      }),
    );
    expect(found.map((f) => `${f.path} ${f.rule.split("/")[0]}`)).toEqual([
      "a.sh gitlab",
      "b.yml npm",
      "c.js slack",
      "d.rb stripe",
    ]);
  });

  it("passes files that only mention secrets (docs, examples, environment lookups)", async () => {
    expect(await findCredentials(texts(mentionsOnly))).toEqual([]);
  });

  it("skips binary content (a NUL in the first 8000 bytes, as git decides)", async () => {
    const binary = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]), Buffer.from(privateKey())]);
    expect(isBinary(binary)).toBe(true);
    expect(await findCredentials([{ path: "logo.png", content: binary }])).toEqual([]);
  });

  it("honours secretlint's inline comments, and they do not reach into the next file", async () => {
    const found = await findCredentials(
      texts({
        "allowed.ts": `// secretlint-disable\nconst t = "${fake.githubToken}";\n`,
        "next.ts": `const t = "${fake.githubToken}";\n`,
      }),
    );
    expect(found.map((f) => f.path)).toEqual(["next.ts"]);
  });

  it("batched, finds exactly what it finds file by file, on the right lines", async () => {
    // Many small files around the credentials, a key block split by a doc that opens one, files
    // that end without a newline: the batches' seams must not add, lose or move a finding.
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++) files[`src/m${i}.ts`] = `export const n${i} = ${i};\n`.repeat((i % 40) + 1);
    Object.assign(files, table, mentionsOnly);
    files["docs/begin.md"] = "A key file starts with -----BEGIN RSA PRIVATE KEY-----";
    files["keys/after-doc"] = privateKey();
    files["src/no-newline.ts"] = `const t = "${fake.githubToken}"`;
    files["src/after.ts"] = `const u = "${fake.stripeKey}";`;
    // Line terminators other than LF before a finding, and in a file before it in the batch.
    files["src/crlf.ts"] = `// a\r\n// b\r// c\u2028// d\u2029const t = "${fake.githubToken}";\r\n`;
    files["src/crlf2.ts"] = `\r\r\r\n\u2028const k = "${fake.gitlabToken}";\n`;
    // A match that runs on from one file into the next while its reported range stays in the first
    // (the AWS rule's `\s*` crosses the newline between them): no credential in either file.
    files["deploy/values.yaml"] = `aws:\n  aws_secret_access_key:${" ".repeat(16)}\n`;
    files[".git-blame-ignore-revs"] = `${"0123456789abcdef".repeat(3).slice(0, 40)}\n`;
    files["deploy/env.sh"] = `AWS_SECRET_ACCESS_KEY=${"\n".repeat(20)}`;
    files["deploy/next.txt"] = `${"A1b2C3d4E5".repeat(4)}\n`;
    // Judged by name: npm's rule reads `_authToken=` in any path ending in .npmrc.
    files["ci/publish.npmrc"] = `//registry.npmjs.org/:_authToken=${fake.npmToken.slice(4)}\n`;
    const batched = await findCredentials(texts(files));
    const alone: { path: string }[] = [];
    for (const f of texts(files)) alone.push(...(await findCredentials([f])));
    alone.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    expect(batched).toEqual(alone);
    expect(batched.length).toBeGreaterThanOrEqual(Object.keys(table).length + 4);
    expect(batched.map((f) => f.path)).toContain("ci/publish.npmrc");
  });

  it("scans a batch once it is full, and keeps the findings of every batch", async () => {
    const scanner = new CredentialScanner();
    const filler = `${"x".repeat(99)}\n`.repeat(Math.ceil(BATCH_CHARS / 100));
    await scanner.add({ path: "a.ts", content: Buffer.from(`const t = "${fake.githubToken}";\n`) });
    await scanner.add({ path: "filler.txt", content: Buffer.from(filler) });
    await scanner.add({ path: "b.ts", content: Buffer.from(`\n\nconst t = "${fake.githubToken}";\n`) });
    expect((await scanner.done()).map((f) => `${f.path}:${f.line}`)).toEqual(["a.ts:1", "b.ts:3"]);
  });
});

describe("what a publish scans (checkCredentials)", () => {
  const file = (path: string, extra: Partial<PublishFile> = {}): PublishFile => ({
    path,
    mode: "100644",
    oid: `oid-${path}`,
    size: 10,
    ...extra,
  });
  const token = Buffer.from(`const t = "${fake.githubToken}";\n`);
  function publishing(read: string[]) {
    const readObject = async (oid: string) => {
      read.push(oid);
      return token;
    };
    const git = { readObject } as unknown as GitReader;
    return {
      req: { git, reporter: { event: () => undefined }, layout: { workspace: "app" } },
      commit: { oid: "c".repeat(40) },
    } as unknown as Publishing;
  }
  const action = (f: PublishFile) => ({ file: f, object: f.path });
  const plan = (over: Partial<Plan>): Plan => ({ put: [], copy: [], keep: [], delete: [], added: [], ...over });

  it("reads only what the plan writes (uploads and copies), not what it keeps, unless the rules changed", async () => {
    const put = action(file("new.ts"));
    const copy = { ...action(file("moved.ts")), from: "old.ts" };
    const keep = { ...action(file("kept.ts")), entry: {} as ManifestEntry };
    const read: string[] = [];
    const error = await checkCredentials(publishing(read), {
      plan: plan({ put: [put], copy: [copy], keep: [keep] }),
      rescan: false,
    }).catch((e: unknown) => e);
    expect(read.sort()).toEqual(["oid-moved.ts", "oid-new.ts"]);
    expect(error).toMatchObject({ exitCode: 3 });
    const again: string[] = [];
    await checkCredentials(publishing(again), { plan: plan({ keep: [keep] }), rescan: true }).catch(() => undefined);
    expect(again).toEqual(["oid-kept.ts"]);
  });

  it("a plan made again under the lock scans only files the first plan did not find clean", async () => {
    const clean = new Set<string>();
    const first: string[] = [];
    const p1 = publishing(first);
    (p1.req.git as { readObject: unknown }).readObject = async (oid: string) => {
      first.push(oid);
      return Buffer.from("console.log(1);\n");
    };
    await checkCredentials(p1, { plan: plan({ put: [action(file("a.ts"))] }), rescan: false }, clean);
    const again: string[] = [];
    const plan2 = plan({ put: [action(file("a.ts")), action(file("b.ts"))] });
    const error = await checkCredentials(publishing(again), { plan: plan2, rescan: false }, clean).catch((e) => e);
    expect([first, again]).toEqual([["oid-a.ts"], ["oid-b.ts"]]);
    // b.ts held a token: refused, and not counted as clean.
    expect(error).toMatchObject({ exitCode: 3 });
    expect([...clean]).toEqual(["oid-a.ts a.ts"]);
  });

  it("does not read allowed files, symlinks, or files over the size limit (named in a notice)", async () => {
    const read: string[] = [];
    const notices: string[] = [];
    const p = publishing(read);
    (p.req as { reporter: unknown }).reporter = { event: (e: { message: string }) => notices.push(e.message) };
    const files = [
      file("allowed.ts", { allowed: true }),
      file("link", { mode: "120000" }),
      file("huge.sql", { size: CREDENTIAL_SCAN_MAX_BYTES + 1 }),
    ];
    await checkCredentials(p, { plan: plan({ put: files.map(action) }), rescan: false });
    expect(read).toEqual([]);
    expect(notices).toEqual([
      expect.stringContaining("1 new file(s) over 1 MiB were published without a credential scan"),
    ]);
  });

  it("names the rule set it runs, as installed (a new version rescans every workspace once)", async () => {
    const { version } = JSON.parse(
      readFileSync(
        new URL("../../node_modules/@secretlint/secretlint-rule-preset-recommend/package.json", import.meta.url),
        "utf8",
      ),
    ) as { version: string };
    expect(CREDENTIAL_RULES).toBe(`@secretlint/secretlint-rule-preset-recommend@${version}`);
  });
});
