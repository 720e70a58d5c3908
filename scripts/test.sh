#!/usr/bin/env bash
# The project's test entry point (`npm test`): installs the external test tools, checks formatting
# and lint (Biome), typechecks, and runs every vitest project (unit, integration, e2e). Any failing
# step fails the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== install test dependencies"
bash scripts/install-test-deps.sh

echo "== format and lint (biome ci: formatting, lint rules, import cycles)"
npx biome ci --error-on-warnings .

echo "== typecheck (tsc -p tsconfig.json --noEmit; the benchmark: tsc -p bench --noEmit)"
npx tsc -p tsconfig.json --noEmit
npx tsc -p bench --noEmit

echo "== dist check (the committed GitHub Action bundle matches the sources)"
bash scripts/check-dist.sh

echo "== tests (vitest run)"
npx vitest run "$@"
