"""Anthropic Messages through the gateway with the official `anthropic` SDK: non-stream and
`client.messages.stream(...)`, with each way of passing the key: `api_key=` and `auth_token=`
(anthropic 2.12.0 sends both as `Authorization: Bearer`), and an `x-api-key` header with no
SDK credential (what older versions sent for `api_key=`, and what Claude Code sends)."""

import anthropic

from _common import dump, emit, gateway, request_id

MODEL = "claude-opus-4-8"
MESSAGES = [{"role": "user", "content": "Say something."}]


def text_of(message):
    return "".join(b.text for b in message.content if b.type == "text")


def sent(request):
    """Which credential headers the SDK sent (never their values), and its API version."""
    headers = request.headers
    return {
        "x-api-key": "x-api-key" in headers,
        "authorization-bearer": headers.get("authorization", "").startswith("Bearer "),
        "anthropic-version": headers.get("anthropic-version"),
    }


def calls(client):
    raw = client.messages.with_raw_response.create(
        model=MODEL, max_tokens=1024, messages=MESSAGES
    )
    message = raw.parse()
    non_stream = {
        "request_id": request_id(raw.headers),
        "sent": sent(raw.http_request),
        "type": message.type,
        "model": message.model,
        "stop_reason": message.stop_reason,
        "block_types": [b.type for b in message.content],
        "text": text_of(message),
        "usage": dump(message.usage),
    }

    with client.messages.stream(model=MODEL, max_tokens=1024, messages=MESSAGES) as stream:
        streamed_text = "".join(stream.text_stream)
        final = stream.get_final_message()
        stream_request_id = request_id(stream.response.headers)
        stream_sent = sent(stream.response.request)
    streamed = {
        "request_id": stream_request_id,
        "sent": stream_sent,
        "text": streamed_text,
        "final_text": text_of(final),
        "block_types": [b.type for b in final.content],
        "stop_reason": final.stop_reason,
        "usage": dump(final.usage),
    }
    return {"non_stream": non_stream, "stream": streamed}


def main():
    base_url, key = gateway()

    def client(**credentials):
        return anthropic.Anthropic(base_url=base_url, max_retries=0, timeout=30, **credentials)

    emit(
        {
            "sdk": f"anthropic {anthropic.__version__}",
            "api_key": calls(client(api_key=key)),
            "auth_token": calls(client(auth_token=key)),
            "x_api_key_header": calls(client(default_headers={"x-api-key": key})),
        }
    )


if __name__ == "__main__":
    main()
