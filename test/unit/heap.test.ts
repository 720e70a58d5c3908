import { setImmediate as tick } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { collectGarbage } from "../../src/heap.js";

describe("collectGarbage", () => {
  it("runs a full collection without --expose-gc: garbage held only by a WeakRef is gone after it", async () => {
    const ref = new WeakRef({ big: new Array(100_000).fill(1) });
    // A WeakRef keeps its target for the rest of the job that made it.
    await tick();
    expect(collectGarbage()).toBe(true);
    expect(ref.deref()).toBeUndefined();
  });
});
