#!/usr/bin/env bash
# Installs systemd-analyze, which tests/daemon/test_systemd.py uses to verify the unit files.
# Idempotent; needs root (or sudo) and apt when it is missing.
set -euo pipefail
if command -v systemd-analyze >/dev/null 2>&1; then
    echo "install-systemd: systemd-analyze already installed"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "install-systemd: needs root (or sudo) to apt-get install systemd" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends systemd
command -v systemd-analyze >/dev/null
