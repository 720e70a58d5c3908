#!/usr/bin/env node
// Node >= 22.1 caches the compiled bundle on disk (in the OS temp directory; NODE_COMPILE_CACHE
// moves it, NODE_DISABLE_COMPILE_CACHE=1 turns it off): a later start skips most of the compiling.
import module from "node:module";
import { nodeTooOld } from "./node-version.js";
import { youngGenerationRestart } from "./young-generation.js";

const tooOld = nodeTooOld(process.version);
if (tooOld) {
  process.stderr.write(`${tooOld}\n`);
  // --json: stdout is one JSON object, on failure too (as cli/program.ts does).
  if (process.argv.includes("--json")) {
    const error = { message: tooOld.replace(/^wspub: error: /, ""), exitCode: 2, code: "usage" };
    process.stdout.write(`${JSON.stringify({ error })}\n`);
  }
  process.exit(2);
}

// A push in a large repository starts again with a smaller young generation (see that module).
const restart = youngGenerationRestart(process);
if (restart) {
  if (process.env.WSPUB_DEBUG) process.stderr.write(`wspub: starting again with ${restart[1].join(" ")}\n`);
  process.execve(...restart);
}
module.enableCompileCache?.();
await import("../lib/bundle/run.js");
