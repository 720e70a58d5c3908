// Entry point of the GitHub Action (action.yml: runs.main = dist/action/index.js, bundled from
// this file by scripts/bundle.mjs). All the work is in run(), which never throws.
import { run } from "./run.js";

await run();
