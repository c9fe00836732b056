#!/usr/bin/env bash
# Installs exfatprogs and exfat-fuse, with which tests/publish/test_caseless.py and
# tests/publish/test_coarse_times.py mount a real exFAT image (a file system that ignores letter
# case, keeps whole-second times and numbers a file by the name looked up). Optional: those
# tests are skipped without them (or without root, /dev/fuse or a loop device), and
# tests/caseless.py gives the same behaviour everywhere. Idempotent.
set -uo pipefail
if command -v mkfs.exfat >/dev/null 2>&1 && command -v mount.exfat-fuse >/dev/null 2>&1; then
    echo "install-exfat: exfatprogs and exfat-fuse already installed"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        echo "install-exfat: not root: the real exFAT tests will be skipped" >&2
        exit 0
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-exfat: no apt-get: the real exFAT tests will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get install -y -qq --no-install-recommends exfatprogs exfat-fuse \
    || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends exfatprogs exfat-fuse; }; }; then
    echo "install-exfat: apt-get failed: the real exFAT tests will be skipped" >&2
fi
exit 0
