import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * A full garbage collection, on demand. V8 lets the old generation grow lazily: in a publish of
 * 100,000 files the garbage of the uploads (request objects, bodies, signatures) piles up to
 * several times what is live before it collects, and the process's resident memory follows. A
 * long run of writes collects every few thousand objects instead (a collection of ~100 MB of
 * live heap takes tens of milliseconds). `node --expose-gc` gives `gc`; otherwise it is exposed
 * here the way the expose-gc package does (the flag, then a fresh context's global).
 * Returns whether a collection ran.
 */
export function collectGarbage(): boolean {
  collector ??= lookUp();
  if (collector === false) return false;
  collector();
  return true;
}

let collector: (() => void) | false | undefined;

function lookUp(): (() => void) | false {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") return exposed as () => void;
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    return typeof gc === "function" ? (gc as () => void) : false;
  } catch {
    return false;
  }
}
