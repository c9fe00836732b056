#!/usr/bin/env bash
# Installs what tests/players/test_real_kodi.py needs: Debian's kodi (20.x), Xvfb with Mesa's
# software GL, iproute2 (ip, for the test's network namespace) and util-linux (unshare).
# Idempotent: does nothing when everything is already there. Needs root (or sudo) and apt.
set -euo pipefail

have_all() {
    compgen -G "/usr/lib/*/kodi/kodi.bin" >/dev/null &&
        command -v Xvfb >/dev/null && command -v ip >/dev/null && command -v unshare >/dev/null &&
        dpkg -s libgl1-mesa-dri >/dev/null 2>&1
}

if have_all; then
    echo "install-kodi: kodi, Xvfb, ip and unshare are already installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
        SUDO="sudo -n"
    else
        echo "install-kodi: needs root (or sudo) to apt-get install kodi" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
    kodi xvfb libgl1-mesa-dri iproute2 util-linux
have_all
echo "install-kodi: done ($(dpkg-query -W -f='${Version}' kodi))"
