import { createReadStream, createWriteStream, type Dirent } from "node:fs";
import { createHash } from "node:crypto";
import {
  mkdir,
  readFile,
  readdir,
  rename,
  rm,
  rmdir,
  stat,
  utimes,
  writeFile,
  chmod,
  lstat,
  link,
} from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import type { Condition, ObjectInfo, ObjectStore, Versioned, WriteOptions } from "./port.js";
import { storeError } from "../errors.js";

let tmpCounter = 0;

/**
 * A local directory laid out exactly like the bucket: key `a/b/c` is the file `<root>/a/b/c`.
 * The `mtime` and `mode` metadata become the file's mtime and permission bits. Writes go to a
 * temporary sibling and are renamed into place, so a reader never sees half a file.
 *
 * Unlike S3, a directory cannot hold both a file `a` and a file `a/b`: when a new tree turns a
 * file into a directory (or back), the obstacle, which the same publish deletes anyway, is
 * removed before the write.
 */
export class DirStore implements ObjectStore {
  constructor(readonly root: string) {}

  private path(key: string): string {
    const parts = key.split("/");
    if (parts.some((p) => p === "" || p === "." || p === "..")) throw storeError(`invalid key ${JSON.stringify(key)}`);
    return join(this.root, ...parts);
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (e) {
      // A key that is a directory here (`<name>` beside `<name>/...`) is no object, as on S3.
      if (isMissing(e) || (e as NodeJS.ErrnoException).code === "EISDIR") return undefined;
      throw storeError(`cannot read ${this.path(key)}: ${(e as Error).message}`, e);
    }
  }

  async put(key: string, body: Buffer, options: WriteOptions): Promise<void> {
    await this.write(key, options, (tmp) => writeFile(tmp, body));
  }

  async putStream(key: string, open: () => Readable, options: WriteOptions): Promise<void> {
    await this.write(key, options, (tmp) => pipeline(open(), createWriteStream(tmp)));
  }

  async copy(from: string, to: string, options: WriteOptions): Promise<void> {
    const source = this.path(from);
    await this.write(to, options, (tmp) => pipeline(createReadStream(source), createWriteStream(tmp)));
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const file = this.path(key);
      // A directory holds other keys (`key/...`), not the object `key`: as on S3, nothing to delete.
      if ((await stat(file).catch(() => undefined))?.isDirectory()) continue;
      await rm(file, { force: true });
      await this.prune(dirname(file));
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // A key prefix may end inside a name ("ws/a" matches "ws/ab"); walk from its directory.
    const slash = prefix.lastIndexOf("/");
    const dirKey = slash < 0 ? "" : prefix.slice(0, slash);
    const start = dirKey === "" ? this.root : this.path(dirKey);
    for await (const info of this.walk(start, dirKey)) {
      if (info.key.startsWith(prefix)) yield info;
    }
  }

  async listDirs(prefix: string): Promise<string[]> {
    const dir = prefix === "" ? this.root : this.path(prefix.replace(/\/$/, ""));
    const entries = await readdir(dir, { withFileTypes: true }).catch((e: unknown) => {
      if (isMissing(e)) return [];
      throw e;
    });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  }

  async read(key: string): Promise<Readable> {
    return createReadStream(this.path(key));
  }

  async getVersioned(key: string): Promise<Versioned | undefined> {
    const body = await this.get(key);
    return body === undefined ? undefined : { body, etag: md5Hex(body) };
  }

  /**
   * Create-if-absent is a hard link of a complete temporary file (link fails if the name exists);
   * compare-and-swap holds a short mutex file, made the same way, while it compares and renames.
   * Atomic among processes on one machine, which is what a local store serves.
   */
  async putConditional(key: string, body: Buffer, condition: Condition): Promise<{ etag: string } | "conflict"> {
    const file = this.path(key);
    await this.makeParent(file);
    const tmp = join(dirname(file), `.wspub-tmp-${process.pid}-${++tmpCounter}`);
    await writeFile(tmp, body);
    try {
      if ("ifNoneMatch" in condition) {
        try {
          await link(tmp, file);
          return { etag: md5Hex(body) };
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "EEXIST") return "conflict";
          throw storeError(`cannot write ${file}: ${(e as Error).message}`, e);
        }
      }
      const mutex = `${file}.cas`;
      if (!(await takeMutex(mutex))) return "conflict";
      try {
        const current = await readFile(file).catch(() => undefined);
        if (current === undefined || md5Hex(current) !== condition.ifMatch) return "conflict";
        await rename(tmp, file);
        return { etag: md5Hex(body) };
      } finally {
        await rm(mutex, { force: true });
      }
    } finally {
      await rm(tmp, { force: true });
    }
  }

  close(): void {}

  private async *walk(dir: string, dirKey: string): AsyncIterable<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e) || (e as NodeJS.ErrnoException).code === "ENOTDIR") return;
      throw e;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const key = dirKey === "" ? entry.name : `${dirKey}/${entry.name}`;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) yield* this.walk(full, key);
      else yield { key, size: (await lstat(full)).size };
    }
  }

  private async write(key: string, options: WriteOptions, fill: (tmp: string) => Promise<unknown>): Promise<void> {
    const file = this.path(key);
    await this.makeParent(file);
    const tmp = join(dirname(file), `.wspub-tmp-${process.pid}-${++tmpCounter}`);
    try {
      await fill(tmp);
      const mode = Number(options.metadata["mode"] ?? 0o100644) & 0o777;
      await chmod(tmp, mode === 0o777 ? 0o644 : mode);
      const mtime = Number(options.metadata["mtime"] ?? Date.now() / 1000);
      await utimes(tmp, mtime, mtime);
      const existing = await stat(file).catch(() => undefined);
      if (existing?.isDirectory()) await rm(file, { recursive: true, force: true });
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw storeError(`cannot write ${file}: ${(e as Error).message}`, e);
    }
  }

  /** mkdir -p, replacing a file that stands where a directory must be. */
  private async makeParent(file: string): Promise<void> {
    const parent = dirname(file);
    try {
      await mkdir(parent, { recursive: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "EEXIST" && code !== "ENOTDIR") throw e;
      const rel = parent.slice(this.root.length + 1).split(sep);
      for (let i = 1; i <= rel.length; i++) {
        const p = join(this.root, ...rel.slice(0, i));
        const s = await stat(p).catch(() => undefined);
        if (s && !s.isDirectory()) await rm(p, { force: true });
      }
      await mkdir(parent, { recursive: true });
    }
  }

  private async prune(dir: string): Promise<void> {
    while (dir.startsWith(this.root + sep)) {
      try {
        await rmdir(dir);
      } catch {
        return;
      }
      dir = dirname(dir);
    }
  }
}

const md5Hex = (body: Buffer) => createHash("md5").update(body).digest("hex");

/** A mutex file; one left by a crashed process is taken over after a few seconds. */
async function takeMutex(path: string): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: "wx" });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const age = Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? Date.now());
      if (age > 5_000) await rm(path, { force: true });
      else await new Promise((r) => setTimeout(r, 20));
    }
  }
  return false;
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOENT";
}
