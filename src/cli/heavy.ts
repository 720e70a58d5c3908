/** What the commands use, behind one dynamic import (see main.ts): the CLI starts without loading it. */
export { resolveStoreSettings } from "../config/settings.js";
export { loadConfig } from "../config/load.js";
export { openGit } from "../git/cli-git.js";
export { buildPublishSet } from "../filter/publish-set.js";
export { pushWorkspaces } from "../app/push.js";
export { withStore } from "../app/push.js";
export { verify } from "../inspect/verify.js";
export { readLock } from "../lock/lease.js";
export { repair } from "../inspect/repair.js";
export { defaultActor } from "../publish/publish.js";
export { listWorkspaces } from "../inspect/status.js";
export { status } from "../inspect/status.js";
export { Layout } from "../store/layout.js";
export { openStore } from "../store/open-store.js";
export { resolveWorkspaces } from "../workspace/resolve.js";
