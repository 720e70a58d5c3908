import type { ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { spawnGit } from "./exec.js";
import { parseCatFileHeader } from "./parse.js";
import { gitFailure } from "../errors.js";

/** An object as read: its id and type (as peeled, for a `^{commit}` spec) and its body. */
export interface GitObject {
  oid: string;
  type: string;
  body: Buffer;
}

interface Pending {
  resolve: (object: GitObject | undefined) => void;
  reject: (error: Error) => void;
}

/**
 * One `git cat-file --batch` process answering blob reads in order, so a publish of 100k files
 * costs one git process, not 100k. Reads are queued; each answer is `<oid> <type> <size>\n<body>\n`.
 * Large blobs should be streamed with their own process instead (see CliGit.streamBlob) so that
 * this pipe is never held by one big file.
 */
export class CatFileBatch {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly queue: Pending[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header: { oid: string; type: string; size: number } | null = null;
  private closed = false;
  private failure: Error | undefined;

  constructor(cwd: string) {
    this.child = spawnGit(cwd, ["cat-file", "--batch"], "pipe");
    let stderr = "";
    this.child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const fail = (error: Error) => {
      this.failure = error;
      for (const p of this.queue.splice(0)) p.reject(error);
    };
    this.child.stdout.on("data", (data: Buffer) => {
      try {
        this.onData(data);
      } catch (e) {
        // An answer we cannot parse leaves the stream out of step: fail every pending read.
        fail(gitFailure(`git cat-file: ${(e as Error).message}`, e));
        this.child.kill();
      }
    });
    this.child.on("error", (e) => fail(gitFailure(`could not run git cat-file: ${e.message}`, e)));
    this.child.on("close", (code) => {
      if (!this.closed || this.queue.length > 0) {
        fail(gitFailure(`git cat-file exited (${code}): ${stderr.trim()}`));
      }
    });
    this.child.stdin.on("error", () => undefined); // reported through 'close'
  }

  /** The object's body, or undefined when it does not exist. */
  async read(spec: string): Promise<Buffer | undefined> {
    return (await this.readObject(spec))?.body;
  }

  /**
   * The object `spec` names (any revision expression: `HEAD`, `main^{commit}`, an id), or
   * undefined when it does not exist or is ambiguous.
   */
  readObject(spec: string): Promise<GitObject | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    if (spec.includes("\n")) return Promise.reject(new Error("object name contains a newline"));
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.child.stdin.write(`${spec}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.child.stdin.end();
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => this.child.once("close", () => resolve()));
    }
  }

  private onData(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
    for (;;) {
      // While a body is arriving, only count bytes: joining chunks once per object keeps this
      // linear in the blob size.
      if (this.header !== null && this.buffered < this.header.size + 1) return;
      if (this.chunks.length === 0) return;
      const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.chunks = [buf];
      if (this.header === null) {
        const nl = buf.indexOf(10);
        if (nl < 0) return;
        const parsed = parseCatFileHeader(buf.subarray(0, nl).toString("utf8"));
        this.consume(buf, nl + 1);
        if (parsed === undefined) this.queue.shift()?.resolve(undefined);
        else this.header = parsed;
        continue;
      }
      const { oid, type, size } = this.header;
      const body = Buffer.from(buf.subarray(0, size));
      this.consume(buf, size + 1);
      this.header = null;
      this.queue.shift()?.resolve({ oid, type, body });
    }
  }

  private consume(buf: Buffer, n: number): void {
    const rest = buf.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }
}
