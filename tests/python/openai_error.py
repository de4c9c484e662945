"""A chat completion the gateway refuses (402, balance exhausted), with the official `openai`
SDK: which exception it raises, with what status and message."""

import openai

from _common import emit, gateway


def main():
    base_url, key = gateway()
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=key, max_retries=0, timeout=30)
    result = {"sdk": f"openai {openai.__version__}", "raised": None}
    try:
        client.chat.completions.create(
            model="gpt-5.5", messages=[{"role": "user", "content": "hi"}]
        )
    except openai.APIStatusError as e:
        result["raised"] = {
            "class": type(e).__name__,
            "module": type(e).__module__.split(".")[0],
            "is_api_status_error": isinstance(e, openai.APIStatusError),
            "status_code": e.status_code,
            "message": e.message,
            "type": e.type,
            "code": e.code,
            "body": e.body,
            "request_id": e.request_id,
        }
    emit(result)


if __name__ == "__main__":
    main()
