"""A message the gateway refuses (402, balance exhausted), with the official `anthropic` SDK:
which exception it raises, with what status and message."""

import anthropic

from _common import emit, gateway


def main():
    base_url, key = gateway()
    client = anthropic.Anthropic(base_url=base_url, api_key=key, max_retries=0, timeout=30)
    result = {"sdk": f"anthropic {anthropic.__version__}", "raised": None}
    try:
        client.messages.create(
            model="claude-opus-4-8",
            max_tokens=1024,
            messages=[{"role": "user", "content": "hi"}],
        )
    except anthropic.APIStatusError as e:
        result["raised"] = {
            "class": type(e).__name__,
            "module": type(e).__module__.split(".")[0],
            "is_api_status_error": isinstance(e, anthropic.APIStatusError),
            "status_code": e.status_code,
            "message": e.message,
            "api_message": e.api_message,
            "type": e.type,
            "body": e.body,
            "request_id": e.response.headers.get("x-request-id"),
        }
    emit(result)


if __name__ == "__main__":
    main()
