"""The Responses API through the gateway with the official `openai` SDK: non-stream, and
`stream=True` collecting `response.output_text.delta` and the `response.completed` usage."""

import openai

from _common import dump, emit, gateway, request_id

MODEL = "gpt-5.5"


def main():
    base_url, key = gateway()
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=key, max_retries=0, timeout=30)

    raw = client.responses.with_raw_response.create(model=MODEL, input="Say something.")
    response = raw.parse()
    non_stream = {
        "request_id": request_id(raw.headers),
        "object": response.object,
        "status": response.status,
        "text": response.output_text,
        "usage": dump(response.usage),
    }

    events = client.responses.create(model=MODEL, input="Say something.", stream=True)
    deltas = []
    event_types = []
    completed = None
    for event in events:
        event_types.append(event.type)
        if event.type == "response.output_text.delta":
            deltas.append(event.delta)
        elif event.type == "response.completed":
            completed = event.response
    stream = {
        "request_id": request_id(events.response.headers),
        "text": "".join(deltas),
        "event_types": sorted(set(event_types)),
        "completed": completed is not None,
        "completed_status": completed.status if completed else None,
        "completed_text": completed.output_text if completed else None,
        "usage": dump(completed.usage) if completed else None,
    }

    emit({"sdk": f"openai {openai.__version__}", "non_stream": non_stream, "stream": stream})


if __name__ == "__main__":
    main()
