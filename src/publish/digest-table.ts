import type { Digests } from "./content.js";

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Content digests by blob id, as a publish learns them. A first publish of 100k files holds one
 * per file until its manifest is made: packed into one 48-character string each (the SHA-256 and
 * MD5 bytes), the table takes 9.6 MiB of heap instead of 18.8 MiB as hex and base64 strings in an
 * object. Digests that do not pack (read from a manifest that is not wspub's) are kept as given.
 */
export class DigestTable {
  private readonly packed = new Map<string, string>();
  private readonly unpacked = new Map<string, Digests>();

  get(oid: string): Digests | undefined {
    const packed = this.packed.get(oid);
    if (packed === undefined) return this.unpacked.get(oid);
    const bytes = Buffer.from(packed, "latin1");
    return { sha256: bytes.toString("hex", 0, 32), md5: bytes.toString("base64", 32, 48) };
  }

  set(oid: string, digests: Digests): this {
    const md5 = Buffer.from(digests.md5, "base64");
    if (HEX_SHA256.test(digests.sha256) && md5.length === 16 && md5.toString("base64") === digests.md5) {
      this.packed.set(oid, Buffer.concat([Buffer.from(digests.sha256, "hex"), md5]).toString("latin1"));
      this.unpacked.delete(oid);
    } else {
      this.unpacked.set(oid, { sha256: digests.sha256, md5: digests.md5 });
      this.packed.delete(oid);
    }
    return this;
  }

  get size(): number {
    return this.packed.size + this.unpacked.size;
  }
}
