import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatFileBatch } from "../../src/git/cat-file.js";
import { TempRepo } from "./support/git-repo.js";

/** Distinct, awkward bodies: empty, newlines only, header look-alikes, binary, CRLF. */
function body(i: number): Buffer {
  switch (i % 7) {
    case 0:
      return Buffer.alloc(0);
    case 1:
      return Buffer.from("\n".repeat(i));
    case 2:
      return Buffer.from(`${"0".repeat(40)} blob ${i}\n${"x".repeat(i)}`);
    case 3:
      return randomBytes(i * 37);
    case 4:
      return Buffer.from(`line ${i}\r\nmissing\r\n`);
    case 5:
      return Buffer.concat([Buffer.from([0, 10, 0, 10]), Buffer.from(String(i))]);
    default:
      return Buffer.from(`file ${i} ${"é".repeat(i)}`);
  }
}

const MISSING = "0123456789abcdef0123456789abcdef01234567";

describe("CatFileBatch (real git cat-file --batch)", () => {
  let repo: TempRepo;
  const blobs: { oid: string; body: Buffer }[] = [];
  let big: { oid: string; body: Buffer };
  let commit: string;

  beforeAll(() => {
    repo = new TempRepo();
    const paths: string[] = [];
    for (let i = 0; i < 200; i++) {
      const b = i % 7 === 0 ? Buffer.from(`unique empty-ish ${i}`) : body(i);
      repo.write(`blobs/${i}`, b);
      paths.push(`blobs/${i}`);
      blobs.push({ oid: "", body: b });
    }
    blobs.push({ oid: "", body: Buffer.alloc(0) });
    repo.write("blobs/empty", Buffer.alloc(0));
    paths.push("blobs/empty");
    const ids = repo
      .gitBuffer(["hash-object", "-w", "--stdin-paths"], Buffer.from(`${paths.join("\n")}\n`))
      .toString("utf8")
      .trim()
      .split("\n");
    ids.forEach((oid, i) => {
      blobs[i]!.oid = oid;
    });
    // ~3 MB of random bytes, with a few newlines and a fake header inside
    const bigBody = Buffer.concat([
      randomBytes(1_500_000),
      Buffer.from(`\n${MISSING} blob 12\n`),
      randomBytes(1_645_000),
    ]);
    repo.write("big.bin", bigBody);
    big = { oid: repo.hashObject(bigBody), body: bigBody };
    repo.write("dir with space/ünï cödé.txt", "odd path\n");
    repo.write("dir with space/.gitignore", "*.tmp\n");
    commit = repo.commitAll();
  });

  afterAll(() => repo?.remove());

  const withBatch = async (fn: (b: CatFileBatch) => Promise<void>) => {
    const batch = new CatFileBatch(repo.dir);
    try {
      await fn(batch);
    } finally {
      await batch.close();
    }
  };

  it("reads many blobs in sequence, byte for byte", async () => {
    await withBatch(async (batch) => {
      for (const b of blobs) expect(await batch.read(b.oid)).toEqual(b.body);
    });
  });

  it("reads 200 blobs concurrently (Promise.all), each answer to its own request", async () => {
    await withBatch(async (batch) => {
      const picks = Array.from({ length: 200 }, (_, i) => blobs[(i * 37) % blobs.length]!);
      const got = await Promise.all(picks.map((b) => batch.read(b.oid)));
      expect(got.map((g) => g?.toString("hex"))).toEqual(picks.map((b) => b.body.toString("hex")));
    });
  });

  it("concurrent reads mixed with missing objects and the big blob", async () => {
    await withBatch(async (batch) => {
      const specs = blobs.slice(0, 60).flatMap((b, i) => (i % 10 === 0 ? [b.oid, MISSING, big.oid] : [b.oid]));
      const expected = blobs.slice(0, 60).flatMap((b, i) => (i % 10 === 0 ? [b.body, undefined, big.body] : [b.body]));
      const got = await Promise.all(specs.map((s) => batch.read(s)));
      expect(got.map((g) => (g === undefined ? "missing" : createHash("sha1").update(g).digest("hex")))).toEqual(
        expected.map((e) => (e === undefined ? "missing" : createHash("sha1").update(e).digest("hex"))),
      );
    });
  });

  it("a missing object resolves undefined, and the batch keeps working", async () => {
    await withBatch(async (batch) => {
      expect(await batch.read(MISSING)).toBeUndefined();
      expect(await batch.read(`${commit}:no/such/file`)).toBeUndefined();
      expect(await batch.read(blobs[1]!.oid)).toEqual(blobs[1]!.body);
    });
  });

  it("a blob of ~3 MB comes back intact", async () => {
    await withBatch(async (batch) => {
      const got = await batch.read(big.oid);
      expect(got?.length).toBe(big.body.length);
      expect(got?.equals(big.body)).toBe(true);
      // and the next read after it is still aligned
      expect(await batch.read(blobs[2]!.oid)).toEqual(blobs[2]!.body);
    });
  });

  it("reads <commit>:<path> with spaces and unicode in the path", async () => {
    await withBatch(async (batch) => {
      expect((await batch.read(`${commit}:dir with space/ünï cödé.txt`))?.toString("utf8")).toBe("odd path\n");
      expect((await batch.read(`${commit}:dir with space/.gitignore`))?.toString("utf8")).toBe("*.tmp\n");
    });
  });

  it("a MISSING <commit>:<path> whose path has a space resolves undefined", async () => {
    await withBatch(async (batch) => {
      const answer = await Promise.race([
        batch.read(`${commit}:dir with space/no such file`),
        new Promise((resolve) => setTimeout(() => resolve("no answer within 2 s"), 2000)),
      ]);
      expect(answer).toBeUndefined();
    });
  });

  it("an object name with a newline is rejected without disturbing the stream", async () => {
    await withBatch(async (batch) => {
      await expect(batch.read("HEAD\nHEAD")).rejects.toThrow(/newline/);
      expect(await batch.read(blobs[4]!.oid)).toEqual(blobs[4]!.body);
    });
  });

  it("close() ends the process and can be called twice", async () => {
    const batch = new CatFileBatch(repo.dir);
    expect(await batch.read(blobs[3]!.oid)).toEqual(blobs[3]!.body);
    await batch.close();
    await batch.close();
  });

  it("outside a repository, reads reject with a git error", async () => {
    const batch = new CatFileBatch("/");
    await expect(batch.read(MISSING)).rejects.toThrow(/git cat-file exited/);
    await batch.close();
  });
});
