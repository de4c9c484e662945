"""Checks real answers of the gateway against the schemas its OpenAPI document gives them.

Usage: openapi_responses.py DOCUMENT SAMPLES, both JSON files. SAMPLES is a list of
`{"method": "get", "path": "/api/v1/keys/{id}", "status": 200, "body": …}`: the path as the
document writes it, the status and JSON body the gateway answered with. Each body is validated
(formats included) against the `application/json` schema the document gives that operation and
status, with `openapi-schema-validator` (OpenAPI 3.1's dialect of JSON Schema).

Prints `ok: N samples` and exits 0, or prints one line per failure and exits 1. A sample whose
operation or status the document lacks is a failure too.
"""

import json
import sys

from openapi_schema_validator import OAS31Validator, oas31_format_checker


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    with open(sys.argv[2], encoding="utf-8") as f:
        samples = json.load(f)
    failures = []
    for s in samples:
        what = f"{s['method'].upper()} {s['path']} {s['status']}"
        op = doc["paths"].get(s["path"], {}).get(s["method"])
        if op is None:
            failures.append(f"{what}: the document has no such operation")
            continue
        response = op["responses"].get(str(s["status"]))
        if response is None:
            failures.append(f"{what}: the document lists no such status")
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            failures.append(f"{what}: the document gives this response no JSON schema")
            continue
        # The schema's `$ref`s point into the document's components: resolve them from a root
        # that carries those.
        root = {"allOf": [schema], "components": doc.get("components", {})}
        validator = OAS31Validator(root, format_checker=oas31_format_checker)
        for error in validator.iter_errors(s["body"]):
            where = "/".join(str(p) for p in error.absolute_path) or "(the body)"
            failures.append(f"{what}: at {where}: {error.message}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"ok: {len(samples)} samples")


if __name__ == "__main__":
    main()
