"""Chat Completions through the gateway with the official `openai` SDK: non-stream, stream
(without asking for usage), and stream with `stream_options={"include_usage": True}`."""

import openai

from _common import dump, emit, gateway, request_id

MODEL = "gpt-5.5"
MESSAGES = [{"role": "user", "content": "Say something."}]


def main():
    base_url, key = gateway()
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=key, max_retries=0, timeout=30)

    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    completion = raw.parse()
    non_stream = {
        "request_id": request_id(raw.headers),
        "object": completion.object,
        "model": completion.model,
        "text": completion.choices[0].message.content,
        "finish_reason": completion.choices[0].finish_reason,
        "usage": dump(completion.usage),
    }

    def stream(**extra):
        chunks = client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, **extra
        )
        text = []
        usages = []
        chunk_count = 0
        empty_choice_chunks = 0
        finish_reason = None
        for chunk in chunks:
            chunk_count += 1
            if chunk.usage is not None:
                usages.append(dump(chunk.usage))
            if not chunk.choices:
                empty_choice_chunks += 1
                continue
            choice = chunk.choices[0]
            if choice.delta.content:
                text.append(choice.delta.content)
            if choice.finish_reason:
                finish_reason = choice.finish_reason
        return {
            "request_id": request_id(chunks.response.headers),
            "text": "".join(text),
            "chunks": chunk_count,
            "empty_choice_chunks": empty_choice_chunks,
            "finish_reason": finish_reason,
            "any_usage": bool(usages),
            "usages": usages,
        }

    emit(
        {
            "sdk": f"openai {openai.__version__}",
            "non_stream": non_stream,
            "stream": stream(),
            "stream_include_usage": stream(stream_options={"include_usage": True}),
        }
    )


if __name__ == "__main__":
    main()
