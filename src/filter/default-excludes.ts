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
