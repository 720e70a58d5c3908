import { createHash, type Hash } from "node:crypto";
import { Transform } from "node:stream";

/**
 * A pass-through stream that hashes the bytes of a multipart upload part by part, so that the
 * ETag the server computes can be checked: S3's multipart ETag is `md5(md5(part 1) ... md5(part
 * N))-N`, and a single-part upload's is the MD5 of the body.
 */
export class MultipartEtag extends Transform {
  private readonly parts: Buffer[] = [];
  private part: Hash = createHash("md5");
  private filled = 0;

  constructor(private readonly partSize: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error: null, chunk: Buffer) => void): void {
    for (let offset = 0; offset < chunk.length; ) {
      const take = Math.min(this.partSize - this.filled, chunk.length - offset);
      this.part.update(chunk.subarray(offset, offset + take));
      this.filled += take;
      offset += take;
      if (this.filled === this.partSize) {
        this.parts.push(this.part.digest());
        this.part = createHash("md5");
        this.filled = 0;
      }
    }
    done(null, chunk);
  }

  override _flush(done: () => void): void {
    if (this.filled > 0 || this.parts.length === 0) this.parts.push(this.part.digest());
    done();
  }

  /** The ETag the server should report once every byte has passed (the stream has ended). */
  expected(): string {
    const { parts } = this;
    if (parts.length === 1) return parts[0]!.toString("hex");
    return `${createHash("md5").update(Buffer.concat(parts)).digest("hex")}-${parts.length}`;
  }
}
