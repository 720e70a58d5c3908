// Bundles the CLI into lib/bundle/ (run as part of `npm run build` and `prepare`, after tsc).
//
// Node resolves and reads every file of an import graph one by one: the AWS SDK alone is some
// hundreds of small modules, and loading them cost ~0.1 s of each `wspub push`. esbuild joins
// them into a few files. `splitting` keeps main.ts's dynamic import of the library a separate
// chunk, so `wspub --version` and `--help` still load only the small entry chunk.
import { rmSync, statSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { sharedOptions } from "./esbuild-options.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "lib", "bundle");

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ["src/cli/run.ts"],
  outdir,
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  target: "node22",
  ...sharedOptions,
});
const files = readdirSync(outdir, { recursive: true }).filter((f) => String(f).endsWith(".js"));
const kib = files.reduce((sum, f) => sum + statSync(join(outdir, String(f))).size, 0) / 1024;
console.log(`bundled the CLI into lib/bundle/ (${files.length} files, ${kib.toFixed(0)} KiB)`);
