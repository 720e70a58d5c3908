import { createHash } from "node:crypto";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { PublishFile } from "../../src/filter/publish-set.js";
import type { GitReader } from "../../src/git/port.js";
import type { Journal } from "../../src/manifest/journal.js";
import type { Plan } from "../../src/plan/plan.js";
import { resumePlan } from "../../src/publish/resume.js";
import type { Publishing } from "../../src/publish/request.js";
import type { ObjectInfo } from "../../src/store/port.js";
import { DigestTable } from "../../src/publish/digest-table.js";

const COMMIT = "c".repeat(40);
const STARTED = "2026-12-01T10:00:00.700Z";
const blobs = new Map([
  ["a".repeat(40), Buffer.from("alpha\n")],
  ["b".repeat(40), Buffer.from("beta\n")],
  ["d".repeat(40), Buffer.from("delta\n")],
]);
const files: PublishFile[] = [...blobs].map(([oid, body], i) => ({
  path: `f${i}.txt`,
  mode: "100644",
  oid,
  size: body.length,
}));
const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

function publishing(): { p: Publishing; notices: string[] } {
  const notices: string[] = [];
  const git = { readObject: async (oid: string) => blobs.get(oid) } as unknown as GitReader;
  const reporter = { event: (e: { message?: string }) => notices.push(e.message ?? "") };
  const req = { git, concurrency: 4, reporter } as unknown as Publishing["req"];
  const p = { req, commit: { oid: COMMIT, committerTime: 1 }, filter: "" } as unknown as Publishing;
  return { p, notices };
}

function listed(entries: [PublishFile, string, number][]): Map<string, ObjectInfo> {
  return new Map(
    entries.map(([file, etag, modifiedAt]) => [file.path, { key: file.path, size: file.size, etag, modifiedAt }]),
  );
}

const plan = (): Plan => ({
  put: files.map((file) => ({ file, object: file.path })),
  copy: [],
  keep: [],
  delete: [],
  added: [],
});
const journal = (over: Partial<Journal> = {}): Journal => ({
  commit: COMMIT,
  startedAt: STARTED,
  holder: "test",
  writes: "all",
  deletes: [],
  ...over,
});

describe("resumePlan", () => {
  const [f0, f1, f2] = files as [PublishFile, PublishFile, PublishFile];
  const second = Date.parse("2026-12-01T10:00:00.000Z");

  it("keeps objects listed in the second the publish started (listings in whole seconds), with the right ETag", async () => {
    const { p, notices } = publishing();
    const seen = listed([
      [f0, md5(blobs.get(f0.oid)!), second],
      [f1, md5(blobs.get(f1.oid)!), second + 5000],
    ]);
    const digests = new DigestTable();
    const out = await resumePlan(p, plan(), seen, journal(), digests, {});
    expect(out.keep.map((k) => k.object).sort()).toEqual([f0.path, f1.path]);
    expect(out.put.map((a) => a.object)).toEqual([f2.path]);
    expect(digests.size).toBe(2);
    expect(notices).toEqual(["resuming: 2 objects an interrupted publish of this commit wrote are kept"]);
  });

  it("a large candidate whose blob git fails to stream fails the resume instead of leaving it waiting", async () => {
    const { p } = publishing();
    const big: PublishFile = { path: "big.bin", mode: "100644", oid: "e".repeat(40), size: 9 * 1024 * 1024 };
    const failing = new PassThrough();
    p.req.git.streamBlob = () => {
      setImmediate(() => failing.destroy(new Error("git cat-file blob failed: fatal: bad object")));
      return failing;
    };
    const seen = listed([[big, "0123456789abcdef0123456789abcdef-2", second]]);
    const bigPlan: Plan = { put: [{ file: big, object: big.path }], copy: [], keep: [], delete: [], added: [] };
    const outcome = await Promise.race([
      resumePlan(p, bigPlan, seen, journal(), new DigestTable(), {}).then(
        () => "resolved",
        (e: Error) => e.message,
      ),
      new Promise((r) => setTimeout(() => r("still waiting after 2 s"), 2000)),
    ]);
    expect(outcome).toMatch(/bad object/);
  });

  it("uploads again what is older than the publish, has another ETag or size, or the journal does not name", async () => {
    const { p } = publishing();
    const seen = listed([
      [f0, md5(blobs.get(f0.oid)!), second - 1000],
      [f1, md5(Buffer.from("other\n")), second],
      [f2, md5(blobs.get(f2.oid)!), second],
    ]);
    const out = await resumePlan(p, plan(), seen, journal({ writes: [f0.path, f1.path] }), new DigestTable(), {});
    expect(out.keep).toEqual([]);
    expect(out.put).toHaveLength(3);
  });

  it("keeps nothing for another commit's journal", async () => {
    const { p } = publishing();
    const seen = listed(files.map((f) => [f, md5(blobs.get(f.oid)!), second] as [PublishFile, string, number]));
    const out = await resumePlan(p, plan(), seen, journal({ commit: "e".repeat(40) }), new DigestTable(), {});
    expect(out.put).toHaveLength(3);
  });

  it("keeps nothing at a path the live manifest has (an older object: same bytes, maybe another mode)", async () => {
    const { p } = publishing();
    const seen = listed(files.map((f) => [f, md5(blobs.get(f.oid)!), second] as [PublishFile, string, number]));
    const live = { [f1.path]: { blob: f1.oid, sha256: "", md5: "", size: f1.size, mode: "100755" as const, mtime: 0 } };
    const out = await resumePlan(p, plan(), seen, journal(), new DigestTable(), live);
    expect(out.keep.map((k) => k.object).sort()).toEqual([f0.path, f2.path]);
    expect(out.put.map((a) => a.object)).toEqual([f1.path]);
  });
});
