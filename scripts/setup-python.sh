#!/usr/bin/env bash
# The Python environment of the SDK tests (tests/tests/python_sdks.rs) and of the OpenAPI test
# (tests/tests/openapi.rs), of the Stripe webhook tests (tests/tests/billing_stripe.rs) and of the
# two-factor login tests (tests/tests/accounts_2fa.rs) and of the mail tests
# (tests/tests/accounts_mail.rs): a venv at .tools/venv holding pinned
# versions of the official `openai`, `anthropic` and `stripe` SDKs, of `openapi-spec-validator`
# of `pyotp` (an independent TOTP implementation) and of `aiosmtpd` (an SMTP server on
# loopback that keeps what it receives), from PyPI.
# Idempotent: when the venv already has exactly these versions it installs nothing and needs no
# network. Prints one line saying what it did. Needs `python3` with the `venv` module.
set -euo pipefail
cd "$(dirname "$0")/.."

# Bump these together with tests/python/*.py when an SDK changes.
OPENAI_VERSION=3.54.0
ANTHROPIC_VERSION=2.12.0
# Bump with tests/tests/openapi.rs, which runs it on the gateway's document.
VALIDATOR_VERSION=0.9.0
# Bump with tests/tests/accounts_2fa.rs, which computes authenticator codes with it.
PYOTP_VERSION=2.12.0
# Bump with tests/src/stripe_signer.rs, which signs webhook payloads with its helper.
STRIPE_VERSION=16.1.0
# Bump with tests/src/smtp.rs, which runs it as the SMTP server the gateway sends mail to.
AIOSMTPD_VERSION=1.4.6

VENV=.tools/venv
PY="$VENV/bin/python"

# The installed versions, as "openai=X anthropic=Y openapi-spec-validator=Z stripe=W pyotp=V
# aiosmtpd=U"
# ("-" for a missing package).
installed_versions() {
    "$PY" - <<'EOF' 2>/dev/null || true
from importlib import metadata
def v(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"
print(f"openai={v('openai')} anthropic={v('anthropic')} "
      f"openapi-spec-validator={v('openapi-spec-validator')} stripe={v('stripe')} pyotp={v('pyotp')} "
      f"aiosmtpd={v('aiosmtpd')}")
EOF
}

want="openai=$OPENAI_VERSION anthropic=$ANTHROPIC_VERSION openapi-spec-validator=$VALIDATOR_VERSION stripe=$STRIPE_VERSION pyotp=$PYOTP_VERSION aiosmtpd=$AIOSMTPD_VERSION"

if [[ -x "$PY" ]] && [[ "$(installed_versions)" == "$want" ]]; then
    echo "setup-python: $VENV already has $want; nothing to do"
    exit 0
fi

if ! command -v python3 >/dev/null 2>&1; then
    echo "setup-python: error: python3 is not installed (needs Python >= 3.9 with venv)" >&2
    exit 1
fi

created=""
if [[ ! -x "$PY" ]]; then
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    if ! python3 -m venv "$VENV" >&2; then
        echo "setup-python: error: \`python3 -m venv\` failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2
        rm -rf "$VENV"
        exit 1
    fi
    created="created $VENV and "
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$PY" -m pip install --disable-pip-version-check --no-input --quiet \
    "openai==$OPENAI_VERSION" "anthropic==$ANTHROPIC_VERSION" \
    "openapi-spec-validator==$VALIDATOR_VERSION" "stripe==$STRIPE_VERSION" "pyotp==$PYOTP_VERSION" \
    "aiosmtpd==$AIOSMTPD_VERSION" >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup-python: error: pip could not install $want into $VENV" >&2
    exit 1
fi

got=$(installed_versions)
if [[ "$got" != "$want" ]]; then
    echo "setup-python: error: after install $VENV has '$got', expected '$want'" >&2
    exit 1
fi
echo "setup-python: ${created}installed $want into $VENV"
