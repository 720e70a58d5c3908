import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { main } from "./program.js";

/** Process entry: the only place that touches process.argv, signals and the exit code. */
const code = await main({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  launcher: { node: process.execPath, script: realpathSync(fileURLToPath(import.meta.url)) },
  io: {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    isTTY: Boolean(process.stderr.isTTY),
  },
  onStop: (stop) => {
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  },
});
process.exitCode = code;
// Whatever a command left behind (a publish `wspub watch` abandoned at SIGTERM) does not keep the
// process alive: output still drains, then it exits.
setTimeout(() => process.exit(code), 1_000).unref();
