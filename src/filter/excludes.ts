/**
 * Always excluded, as in the watch-and-sync design wspub replaces
 * (shared/reference/s3-mount-architecture.md, "Default Excludes"). Gitignore syntax, matched at
 * any depth under the workspace root; `.wspubignore` may re-include with `!`.
 */
export const DEFAULT_EXCLUDES: readonly string[] = [
  "node_modules/",
  ".git/",
  "*.log",
  ".env*",
  "dist/",
  "build/",
  "__pycache__/",
  "vendor/",
  "*.pyc",
  ".DS_Store",
  "Thumbs.db",
];

/**
 * Secret-looking files: never published even when tracked, unless re-included explicitly with
 * `!` in `.wspubignore`; a publish names what it withheld. `.npmrc` is withheld only when it holds
 * credentials (see publish-set.ts).
 */
export const SECRET_EXCLUDES: readonly string[] = [
  "id_rsa",
  "id_dsa",
  "id_ecdsa",
  "id_ed25519",
  "*.pem",
  "*.key",
  "*.p12",
  "*.pfx",
  ".netrc",
  ".git-credentials",
  ".pypirc",
];

/** npm's credential settings: `_authToken`, `_auth`, `_password` (https://docs.npmjs.com/cli/configuring-npm/npmrc). */
export const NPMRC_CREDENTIALS = /(^|[:\s])(_authToken|_auth|_password)\s*=/m;
