// A small seeded PRNG (sfc32, seeded through splitmix32) so that every generated workspace,
// every edit and every random choice is the same from run to run and machine to machine.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  /** Log-uniform integer in [lo, hi]: as many files of 200-400 B as of 4-8 KB. */
  logInt(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  /** A raw 32-bit unsigned value. */
  u32(): number;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A PRNG for `seed`; `stream` separates independent sequences with the same seed. */
export function rng(seed: number, stream = 0): Rng {
  const init = splitmix32((seed ^ Math.imul(stream + 1, 0x27d4eb2d)) >>> 0);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) u32();
  const next = () => u32() / 4294967296;
  return {
    next,
    u32,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    logInt: (lo, hi) => Math.min(hi, Math.floor(Math.exp(Math.log(lo) + next() * (Math.log(hi + 1) - Math.log(lo))))),
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[Math.floor(next() * items.length)] as T;
    },
  };
}

/** `length` pseudo-random (incompressible) bytes. */
export function randomBytes(r: Rng, length: number): Buffer {
  const words = new Uint32Array(Math.ceil(length / 4));
  for (let i = 0; i < words.length; i++) words[i] = r.u32();
  return Buffer.from(words.buffer, 0, length);
}
