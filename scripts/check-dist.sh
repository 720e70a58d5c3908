#!/usr/bin/env bash
# Fails when the committed dist/ (the bundled GitHub Action) is not what `npm run bundle` builds
# from the current sources and lockfile. Run by scripts/test.sh (npm test) and by CI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

npm run --silent bundle
# Changed or deleted tracked files, and files the bundle created that are not committed.
if ! git diff --exit-code --stat -- dist/ || [ -n "$(git ls-files --others --exclude-standard -- dist/)" ]; then
  git ls-files --others --exclude-standard -- dist/ | sed 's/^/untracked: /'
  echo "dist/ is out of date with the sources: run 'npm run bundle' and commit dist/" >&2
  exit 1
fi
echo "dist/ is up to date"
