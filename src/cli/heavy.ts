/** What the commands use, behind one dynamic import (see main.ts): the CLI starts without loading it. */
export { resolveStoreSettings } from "../config/settings.js";
export { loadConfig } from "../config/load.js";
export { openGit } from "../git/cli-git.js";
export { buildPublishSet } from "../filter/publish-set.js";
export { pushWorkspaces } from "../publish/push-workspaces.js";
export { withStore } from "../publish/push-workspaces.js";
export { verify } from "../publish/verify.js";
export { readLock } from "../publish/lease.js";
export { repair } from "../publish/repair.js";
export { defaultActor } from "../publish/publish.js";
export { listWorkspaces } from "../publish/status.js";
export { status } from "../publish/status.js";
export { Layout } from "../store/layout.js";
export { openStore } from "../store/open-store.js";
export { resolveWorkspaces } from "../workspace/resolve.js";
