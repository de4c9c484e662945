"""Shared by the SDK scripts: where the gateway is, and how to print the result.

Each script takes the gateway's base URL (`http://127.0.0.1:PORT`, no `/v1`) and a gateway key,
as `argv[1]` and `argv[2]` or from `CODEXKEY_BASE_URL` and `CODEXKEY_KEY`, makes its calls with
an official SDK (retries off), and prints one JSON document to stdout: what the SDK returned.
An unexpected exception is not caught: the script exits non-zero with a traceback on stderr.
"""

import json
import os
import sys


def gateway():
    """`(base_url, key)` from argv, else from the environment."""
    base_url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CODEXKEY_BASE_URL")
    key = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("CODEXKEY_KEY")
    if not base_url or not key:
        sys.exit(f"usage: {sys.argv[0]} BASE_URL KEY (or CODEXKEY_BASE_URL and CODEXKEY_KEY)")
    return base_url.rstrip("/"), key


def request_id(headers):
    """The gateway's `x-request-id` of a response (None when absent)."""
    return headers.get("x-request-id")


def dump(obj):
    """A pydantic model (or None) as plain JSON data: the fields that were on the wire."""
    if obj is None:
        return None
    return obj.model_dump(mode="json", exclude_unset=True)


def emit(result):
    json.dump(result, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
