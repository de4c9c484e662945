#!/usr/bin/env bash
# Installs what the OS-keyring test needs on Debian: a D-Bus session bus and gnome-keyring's
# Secret Service. Headless servers run neither; the test starts both in a private session.
set -euo pipefail
if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
    echo "keyring test tools: present"
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "keyring test tools missing: install the Debian packages dbus and gnome-keyring" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dbus gnome-keyring >/dev/null
echo "keyring test tools: installed dbus and gnome-keyring"
