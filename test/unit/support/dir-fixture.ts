import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach } from "vitest";
import { DirStore } from "../../../src/store/dir-store.js";
import { Layout } from "../../../src/store/layout.js";
import { parseTarget, withConnection } from "../../../src/store/target.js";
import { RecordingStore } from "./recording-store.js";

/**
 * A directory store in a temporary directory, removed after each test, wrapped in a
 * RecordingStore, with the layout of workspace `app` at its root.
 */
export function dirStoreFixture() {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const root = mkdtempSync(join(tmpdir(), "wspub-unit-store-"));
    made.push(root);
    const store = new RecordingStore(new DirStore(root));
    const layout = new Layout(
      withConnection(parseTarget(root, "/"), { endpoint: undefined, region: undefined }),
      "app",
    );
    /** Every file under the store's root: relative path -> content. */
    const files = () => {
      const out: Record<string, string> = {};
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) walk(path);
          else out[relative(root, path)] = readFileSync(path, "utf8");
        }
      };
      walk(root);
      return out;
    };
    return { root, store, layout, files };
  };
}
