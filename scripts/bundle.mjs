// Builds the GitHub Action into one committed file, dist/action/index.js (`npm run bundle`).
//
// An action runs from its repository as checked out, without `npm install`, so everything it
// imports (the wspub library, @actions/core, the AWS SDK) is bundled. ESM, because @actions/core
// is ESM-only; a createRequire banner gives the CommonJS parts of the bundle a `require` for
// Node's built-in modules. dist/action/package.json marks the directory as ESM on its own.
// The output must be a pure function of the sources and the lockfile: scripts/check-dist.sh
// rebuilds it and fails when it differs from the committed dist/.
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { sharedOptions } from "./esbuild-options.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "action");

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: ["src/action/index.ts"],
  outfile: join(outdir, "index.js"),
  target: "node24",
  ...sharedOptions,
});
writeFileSync(join(outdir, "package.json"), `${JSON.stringify({ type: "module", private: true }, null, 2)}\n`);

const file = join(outdir, "index.js");
console.log(`bundled ${relative(root, file)} (${(statSync(file).size / 1024).toFixed(0)} KiB)`);
