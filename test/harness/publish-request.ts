import type { GitReader } from "../../src/git/port.js";
import { silentReporter } from "../../src/events.js";
import type { PublishRequest } from "../../src/publish/request.js";
import type { Layout } from "../../src/store/layout.js";
import type { ObjectStore } from "../../src/store/port.js";

/** A publish of HEAD at the workspace root with the defaults a test starts from; `over` changes any of them. */
export function publishRequest(
  base: { git: GitReader; store: ObjectStore; layout: Layout; concurrency: number },
  over: Partial<PublishRequest> = {},
): PublishRequest {
  return {
    ...base,
    dir: "",
    ref: "HEAD",
    force: false,
    dryRun: false,
    excludes: [],
    reporter: silentReporter,
    actor: "tester",
    ...over,
  };
}
