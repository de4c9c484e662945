#!/usr/bin/env bash
# Installs the Prometheus server that tests/tests/metrics.rs starts on loopback to scrape the
# gateway's /metrics, so the exposition is checked by the real parser, not by string matching.
set -euo pipefail
if command -v prometheus >/dev/null; then
    echo "prometheus: present"
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "prometheus missing: install the Debian package prometheus" >&2
    exit 1
fi
apt-get update -qq
# Only the server binary is needed; the package's service is not started in containers.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
echo "prometheus: installed"
