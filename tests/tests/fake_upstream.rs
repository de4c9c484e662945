//! Self-tests of the fake upstream (`codexkey_tests::fake_upstream`): every route in its wire
//! format, stream and non-stream, every fault, the recording and the key rules. The gateway is not
//! involved; a plain reqwest client talks to the fake directly.
#![expect(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use codexkey_tests::fake_upstream::{
    Action, CHAT_COMPLETIONS, COUNT_TOKENS, EMBEDDINGS, FakeUpstream, Filter, GARBAGE_BODY,
    GARBAGE_SSE, IMAGES, MESSAGES, MODELS, RESPONSES, Script, Usage,
};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// An OpenAI-style call: `Authorization: Bearer key`.
async fn openai(fake: &FakeUpstream, path: &str, key: &str, body: &Value) -> Response {
    client()
        .post(fake.url(path))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// An Anthropic-style call: `x-api-key` and `anthropic-version`.
async fn anthropic(fake: &FakeUpstream, path: &str, key: &str, body: &Value) -> Response {
    client()
        .post(fake.url(path))
        .header("x-api-key", key)
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

/// One SSE event: its `event:` name, if any, and its `data:`.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    name: Option<String>,
    data: String,
}

impl Event {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{e}: {}", self.data))
    }
}

fn parse_event(block: &str) -> Event {
    let mut name = None;
    let mut data = Vec::new();
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event: ") {
            name = Some(v.to_owned());
        } else if let Some(v) = line.strip_prefix("data: ") {
            data.push(v);
        }
    }
    Event {
        name,
        data: data.join("\n"),
    }
}

fn parse_sse(text: &str) -> Vec<Event> {
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(parse_event)
        .collect()
}

/// Reads a stream chunk by chunk, noting which events arrived in which chunk.
struct StreamReader {
    response: Response,
    buffer: String,
    chunks: usize,
}

impl StreamReader {
    fn new(response: Response) -> StreamReader {
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream; charset=utf-8"
        );
        StreamReader {
            response,
            buffer: String::new(),
            chunks: 0,
        }
    }

    /// The next whole event, `Ok(None)` at a clean end, `Err` when the connection broke.
    async fn next(&mut self) -> Result<Option<Event>, reqwest::Error> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                return Ok(Some(parse_event(&block)));
            }
            match self.response.chunk().await? {
                Some(chunk) => {
                    self.chunks += 1;
                    self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
                }
                None => {
                    assert!(self.buffer.trim().is_empty(), "trailing: {}", self.buffer);
                    return Ok(None);
                }
            }
        }
    }

    /// Every remaining event; panics if the connection breaks.
    async fn all(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        while let Some(e) = self.next().await.unwrap() {
            events.push(e);
        }
        events
    }
}

fn usage_custom() -> Usage {
    Usage {
        input_tokens: 1000,
        cached_tokens: 600,
        cache_write_5m_tokens: 70,
        cache_write_1h_tokens: 30,
        output_tokens: 55,
        reasoning_tokens: 5,
    }
}

// ---- Chat Completions ----

#[tokio::test]
async fn chat_completion_non_stream_reports_usage() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| s.usage = usage_custom());
    let response = openai(
        &fake,
        CHAT_COMPLETIONS,
        "sk-a",
        &json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().contains_key("x-request-id"));
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "gpt-4o");
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        fake.script().text()
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    let usage = &body["usage"];
    assert_eq!(usage["prompt_tokens"], 1000);
    assert_eq!(usage["completion_tokens"], 55);
    assert_eq!(usage["total_tokens"], 1055);
    assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 600);
    assert_eq!(usage["completion_tokens_details"]["reasoning_tokens"], 5);
}

#[tokio::test]
async fn chat_stream_without_include_usage_sends_no_usage() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| s.events = 5);
    let response = openai(
        &fake,
        CHAT_COMPLETIONS,
        "sk-a",
        &json!({"model": "gpt-4o-mini", "stream": true, "messages": []}),
    )
    .await;
    let events = StreamReader::new(response).all().await;
    // role chunk, 5 content chunks, finish chunk, [DONE]
    assert_eq!(events.len(), 8, "{events:#?}");
    assert!(events.iter().all(|e| e.name.is_none()));
    assert_eq!(events[7].data, "[DONE]");
    let chunks: Vec<Value> = events[..7].iter().map(Event::json).collect();
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "gpt-4o-mini");
        assert!(chunk.get("usage").is_none(), "{chunk}");
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks[1..6]
        .iter()
        .map(|c| c["choices"][0]["delta"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(text, fake.script().text());
    assert_eq!(chunks[6]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[6]["choices"][0]["delta"], json!({}));
}

#[tokio::test]
async fn chat_stream_with_include_usage_ends_with_a_usage_chunk() {
    let fake = FakeUpstream::start().await;
    fake.set_script(Script {
        events: 3,
        usage: usage_custom(),
        ..Script::default()
    });
    let response = openai(
        &fake,
        CHAT_COMPLETIONS,
        "sk-a",
        &json!({
            "model": "gpt-4o",
            "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [],
        }),
    )
    .await;
    let events = StreamReader::new(response).all().await;
    // role, 3 content, finish, usage, [DONE]
    assert_eq!(events.len(), 7);
    assert_eq!(events[6].data, "[DONE]");
    for e in &events[..5] {
        assert_eq!(e.json()["usage"], Value::Null);
        assert!(e.json().as_object().unwrap().contains_key("usage"));
    }
    let last = events[5].json();
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["prompt_tokens"], 1000);
    assert_eq!(last["usage"]["completion_tokens"], 55);
    assert_eq!(last["usage"]["total_tokens"], 1055);
    assert_eq!(last["usage"]["prompt_tokens_details"]["cached_tokens"], 600);
    assert_eq!(
        last["usage"]["completion_tokens_details"]["reasoning_tokens"],
        5
    );
}

#[tokio::test]
async fn default_stream_has_fifty_content_events_each_in_its_own_chunk() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| s.event_delay = Duration::from_millis(2));
    let response = openai(
        &fake,
        CHAT_COMPLETIONS,
        "sk-a",
        &json!({"model": "gpt-4o", "stream": true, "messages": []}),
    )
    .await;
    let mut reader = StreamReader::new(response);
    let events = reader.all().await;
    assert_eq!(events.len(), 53);
    assert_eq!(reader.chunks, 53, "every event is flushed on its own");
}

#[tokio::test]
async fn canary_travels_whole_in_one_content_event() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| {
        s.events = 9;
        s.canary = Some("CANARY-7c1f".to_owned());
    });
    let response = openai(
        &fake,
        CHAT_COMPLETIONS,
        "sk-a",
        &json!({"model": "gpt-4o", "stream": true, "messages": []}),
    )
    .await;
    let events = StreamReader::new(response).all().await;
    let hits = events
        .iter()
        .filter(|e| e.data.contains("CANARY-7c1f"))
        .count();
    assert_eq!(hits, 1);
    assert!(fake.script().text().contains("CANARY-7c1f"));
    assert_eq!(fake.script().tokens().len(), 9);
}

// ---- Responses ----

#[tokio::test]
async fn responses_non_stream_reports_usage() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| s.usage = usage_custom());
    let (status, body) = json_of(
        openai(
            &fake,
            RESPONSES,
            "sk-a",
            &json!({"model": "gpt-5-codex", "input": "hi", "instructions": "be brief"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["object"], "response");
    assert_eq!(body["status"], "completed");
    assert_eq!(body["model"], "gpt-5-codex");
    assert_eq!(body["instructions"], "be brief");
    // reasoning tokens > 0: a reasoning item comes before the message
    assert_eq!(body["output"][0]["type"], "reasoning");
    assert_eq!(body["output"][1]["type"], "message");
    assert_eq!(
        body["output"][1]["content"][0]["text"],
        fake.script().text()
    );
    let usage = &body["usage"];
    assert_eq!(usage["input_tokens"], 1000);
    assert_eq!(usage["input_tokens_details"], json!({"cached_tokens": 600}));
    assert_eq!(usage["output_tokens"], 55);
    assert_eq!(usage["output_tokens_details"]["reasoning_tokens"], 5);
    assert_eq!(usage["total_tokens"], 1055);
}

#[tokio::test]
async fn responses_stream_sends_the_semantic_events_in_order() {
    let fake = FakeUpstream::start().await;
    fake.set_script(Script {
        events: 4,
        usage: Usage {
            reasoning_tokens: 0,
            ..usage_custom()
        },
        responses_cache_write_tokens: true,
        ..Script::default()
    });
    let response = openai(
        &fake,
        RESPONSES,
        "sk-a",
        &json!({"model": "gpt-5", "input": "hi", "stream": true}),
    )
    .await;
    let events = StreamReader::new(response).all().await;
    let names: Vec<&str> = events.iter().map(|e| e.name.as_deref().unwrap()).collect();
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for (i, e) in events.iter().enumerate() {
        let data = e.json();
        assert_eq!(data["type"], e.name.as_deref().unwrap());
        assert_eq!(data["sequence_number"], i);
    }
    assert_eq!(events[0].json()["response"]["status"], "in_progress");
    assert_eq!(events[0].json()["response"]["usage"], Value::Null);
    let text: String = events[4..8]
        .iter()
        .map(|e| e.json()["delta"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, fake.script().text());
    assert_eq!(events[8].json()["text"], text);
    let done = events[11].json();
    assert_eq!(done["response"]["status"], "completed");
    assert_eq!(done["response"]["output"][0]["content"][0]["text"], text);
    let usage = &done["response"]["usage"];
    assert_eq!(usage["input_tokens"], 1000);
    assert_eq!(
        usage["input_tokens_details"],
        json!({"cached_tokens": 600, "cache_write_tokens": 100})
    );
    assert_eq!(usage["output_tokens"], 55);
    assert_eq!(usage["output_tokens_details"]["reasoning_tokens"], 0);
    assert_eq!(usage["total_tokens"], 1055);
}

#[tokio::test]
async fn responses_stream_with_reasoning_adds_a_reasoning_item() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| {
        s.events = 1;
        s.usage.reasoning_tokens = 12;
    });
    let response = openai(
        &fake,
        RESPONSES,
        "sk-a",
        &json!({"model": "o3", "input": "hi", "stream": true}),
    )
    .await;
    let events = StreamReader::new(response).all().await;
    assert_eq!(events[2].json()["item"]["type"], "reasoning");
    assert_eq!(events[3].json()["item"]["type"], "reasoning");
    assert_eq!(events[4].json()["item"]["type"], "message");
    assert_eq!(events[4].json()["output_index"], 1);
    let last = events.last().unwrap().json();
    assert_eq!(
        last["response"]["usage"]["output_tokens_details"]["reasoning_tokens"],
        12
    );
}

// ---- Anthropic Messages ----

#[tokio::test]
async fn messages_non_stream_reports_cache_usage() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| s.usage = usage_custom());
    let response = client()
        .post(fake.url("/v1/messages?beta=true"))
        .header("x-api-key", "sk-ant-a")
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": []}))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("request-id"));
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["type"], "message");
    assert_eq!(body["role"], "assistant");
    assert_eq!(body["model"], "claude-sonnet-4-5");
    assert_eq!(body["content"][0]["type"], "text");
    assert_eq!(body["content"][0]["text"], fake.script().text());
    assert_eq!(body["stop_reason"], "end_turn");
    let usage = &body["usage"];
    assert_eq!(usage["input_tokens"], 1000);
    assert_eq!(usage["cache_creation_input_tokens"], 100);
    assert_eq!(usage["cache_read_input_tokens"], 600);
    assert_eq!(
        usage["cache_creation"],
        json!({"ephemeral_5m_input_tokens": 70, "ephemeral_1h_input_tokens": 30})
    );
    assert_eq!(usage["output_tokens"], 55);
    let recorded = fake.last_request().unwrap();
    assert_eq!(recorded.path, MESSAGES);
    assert_eq!(recorded.query.as_deref(), Some("beta=true"));
    assert_eq!(recorded.key.as_deref(), Some("sk-ant-a"));
}

#[tokio::test]
async fn messages_stream_sends_start_blocks_delta_and_stop() {
    let fake = FakeUpstream::start().await;
    fake.set_script(Script {
        events: 3,
        usage: usage_custom(),
        ..Script::default()
    });
    let response = anthropic(
        &fake,
        MESSAGES,
        "sk-ant-a",
        &json!({"model": "claude-opus-4-1", "max_tokens": 100, "stream": true, "messages": []}),
    )
    .await;
    let events = StreamReader::new(response).all().await;
    let names: Vec<&str> = events.iter().map(|e| e.name.as_deref().unwrap()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    for e in &events {
        assert_eq!(e.json()["type"], e.name.as_deref().unwrap());
    }
    let start = events[0].json();
    assert_eq!(start["message"]["model"], "claude-opus-4-1");
    assert_eq!(start["message"]["content"], json!([]));
    let usage = &start["message"]["usage"];
    assert_eq!(usage["input_tokens"], 1000);
    assert_eq!(usage["cache_creation_input_tokens"], 100);
    assert_eq!(usage["cache_read_input_tokens"], 600);
    assert_eq!(usage["cache_creation"]["ephemeral_5m_input_tokens"], 70);
    assert_eq!(usage["cache_creation"]["ephemeral_1h_input_tokens"], 30);
    assert_eq!(usage["output_tokens"], 1);
    let text: String = events[3..6]
        .iter()
        .map(|e| {
            let d = e.json();
            assert_eq!(d["delta"]["type"], "text_delta");
            d["delta"]["text"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(text, fake.script().text());
    let delta = events[7].json();
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(
        delta["usage"],
        json!({
            "input_tokens": 1000,
            "cache_creation_input_tokens": 100,
            "cache_read_input_tokens": 600,
            "output_tokens": 55,
        })
    );
}

#[tokio::test]
async fn messages_stream_old_style_delta_carries_output_only() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| {
        s.events = 2;
        s.anthropic_delta_repeats_input = false;
    });
    let response = anthropic(
        &fake,
        MESSAGES,
        "k",
        &json!({"model": "claude-haiku-4-5", "max_tokens": 10, "stream": true}),
    )
    .await;
    let events = StreamReader::new(response).all().await;
    let delta = events
        .iter()
        .find(|e| e.name.as_deref() == Some("message_delta"))
        .unwrap()
        .json();
    assert_eq!(delta["usage"], json!({"output_tokens": 50}));
}

#[tokio::test]
async fn messages_stream_with_thinking_and_an_unknown_event() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| {
        s.events = 2;
        s.anthropic_thinking_events = 3;
        s.unknown_event = true;
    });
    let response = anthropic(
        &fake,
        MESSAGES,
        "k",
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "stream": true}),
    )
    .await;
    let events = StreamReader::new(response).all().await;
    let names: Vec<&str> = events.iter().map(|e| e.name.as_deref().unwrap()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "future_event",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    assert_eq!(events[1].json()["content_block"]["type"], "thinking");
    assert_eq!(events[4].json()["delta"]["type"], "thinking_delta");
    let signature = events[7].json();
    assert_eq!(signature["delta"]["type"], "signature_delta");
    assert!(signature["delta"]["signature"].as_str().unwrap().len() > 400);
    assert_eq!(events[9].json()["index"], 1);
    assert_eq!(events[9].json()["content_block"]["type"], "text");
    assert_eq!(events[10].json()["delta"]["type"], "text_delta");

    // The same script, non-stream: a thinking block before the text.
    let (_, body) = json_of(
        anthropic(
            &fake,
            MESSAGES,
            "k",
            &json!({"model": "claude-sonnet-4-5", "max_tokens": 10}),
        )
        .await,
    )
    .await;
    assert_eq!(body["content"][0]["type"], "thinking");
    assert!(body["content"][0]["signature"].as_str().unwrap().len() > 400);
    assert_eq!(body["content"][1]["type"], "text");
}

#[tokio::test]
async fn count_tokens_answers_input_tokens() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| s.usage.input_tokens = 321);
    let (status, body) = json_of(
        anthropic(
            &fake,
            COUNT_TOKENS,
            "k",
            &json!({"model": "claude-sonnet-4-5", "messages": []}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"input_tokens": 321}));
}

#[tokio::test]
async fn anthropic_routes_require_anthropic_version_unless_relaxed() {
    let fake = FakeUpstream::start().await;
    let send = || {
        client()
            .post(fake.url(MESSAGES))
            .header("x-api-key", "k")
            .json(&json!({"model": "claude-sonnet-4-5", "max_tokens": 1}))
            .send()
    };
    let (status, body) = json_of(send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    fake.set_require_anthropic_version(false);
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
}

// ---- Embeddings, images, models ----

#[tokio::test]
async fn embeddings_one_per_input_float_or_base64() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| s.usage.input_tokens = 9);
    let (status, body) = json_of(
        openai(
            &fake,
            EMBEDDINGS,
            "sk-a",
            &json!({"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 8}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["object"], "list");
    assert_eq!(body["model"], "text-embedding-3-small");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["data"][1]["object"], "embedding");
    assert_eq!(body["data"][1]["index"], 1);
    assert_eq!(body["data"][0]["embedding"].as_array().unwrap().len(), 8);
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 9, "total_tokens": 9})
    );

    let (_, body) = json_of(
        openai(
            &fake,
            EMBEDDINGS,
            "sk-a",
            &json!({"model": "text-embedding-3-small", "input": "a", "encoding_format": "base64"}),
        )
        .await,
    )
    .await;
    let b64 = body["data"][0]["embedding"].as_str().unwrap();
    // 1536 little-endian f32s: 6144 bytes, 8192 base64 characters.
    assert_eq!(b64.len(), 8192);
}

#[tokio::test]
async fn images_return_n_items_and_gpt_image_usage() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| {
        s.usage.input_tokens = 20;
        s.usage.output_tokens = 4160;
    });
    let (status, body) = json_of(
        openai(
            &fake,
            IMAGES,
            "sk-a",
            &json!({"model": "gpt-image-1", "prompt": "a cat", "n": 3}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["created"].is_u64());
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    assert!(data.iter().all(|d| d["b64_json"].is_string()));
    assert_eq!(body["usage"]["input_tokens"], 20);
    assert_eq!(body["usage"]["output_tokens"], 4160);
    assert_eq!(body["usage"]["total_tokens"], 4180);

    let (_, body) = json_of(
        openai(
            &fake,
            IMAGES,
            "sk-a",
            &json!({"model": "dall-e-3", "prompt": "a dog", "response_format": "b64_json"}),
        )
        .await,
    )
    .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert!(body.get("usage").is_none());
}

#[tokio::test]
async fn models_list_in_either_format() {
    let fake = FakeUpstream::start().await;
    fake.set_models(["gpt-4o", "claude-sonnet-4-5"]);
    let response = client()
        .get(fake.url(MODELS))
        .bearer_auth("sk-a")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["object"], "list");
    assert_eq!(body["data"][0]["id"], "gpt-4o");
    assert_eq!(body["data"][0]["object"], "model");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);

    let response = client()
        .get(fake.url(MODELS))
        .header("x-api-key", "sk-ant")
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap();
    let (_, body) = json_of(response).await;
    assert_eq!(body["data"][1]["type"], "model");
    assert_eq!(body["data"][1]["id"], "claude-sonnet-4-5");
    assert_eq!(body["has_more"], false);
}

// ---- Authentication ----

#[tokio::test]
async fn any_non_empty_key_is_accepted_by_default_and_none_is_refused() {
    let fake = FakeUpstream::start().await;
    let chat = json!({"model": "gpt-4o", "messages": []});
    assert_eq!(
        openai(&fake, CHAT_COMPLETIONS, "anything", &chat)
            .await
            .status(),
        StatusCode::OK
    );
    let (status, body) = json_of(
        client()
            .post(fake.url(CHAT_COMPLETIONS))
            .json(&chat)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("You didn't provide an API key")
    );
    // An OpenAI route does not read `x-api-key`.
    let response = client()
        .post(fake.url(CHAT_COMPLETIONS))
        .header("x-api-key", "sk-a")
        .json(&chat)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_keys_get_each_providers_401() {
    let fake = FakeUpstream::start().await;
    fake.set_valid_keys(["sk-good-0000000000", "sk-ant-good"]);
    let (status, body) = json_of(
        openai(
            &fake,
            CHAT_COMPLETIONS,
            "sk-wrong-1234567890",
            &json!({"model": "gpt-4o"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["param"], Value::Null);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Incorrect API key provided: sk-w"),
        "{message}"
    );
    assert!(
        !message.contains("sk-wrong-1234567890"),
        "the key is masked"
    );

    let (status, body) = json_of(
        anthropic(
            &fake,
            MESSAGES,
            "sk-ant-bad",
            &json!({"model": "claude-sonnet-4-5", "max_tokens": 1}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "authentication_error");
    assert_eq!(body["error"]["message"], "invalid x-api-key");

    // Good keys pass; Anthropic routes also accept Bearer.
    let ok = openai(
        &fake,
        CHAT_COMPLETIONS,
        "sk-good-0000000000",
        &json!({"model": "gpt-4o"}),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let ok = client()
        .post(fake.url(MESSAGES))
        .bearer_auth("sk-ant-good")
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": "claude-sonnet-4-5", "max_tokens": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(
        fake.last_request().unwrap().key.as_deref(),
        Some("sk-ant-good")
    );

    fake.accept_any_key();
    let ok = openai(
        &fake,
        CHAT_COMPLETIONS,
        "sk-other",
        &json!({"model": "gpt-4o"}),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn malformed_requests_get_400_in_the_routes_format() {
    let fake = FakeUpstream::start().await;
    let (status, body) = json_of(
        client()
            .post(fake.url(CHAT_COMPLETIONS))
            .bearer_auth("k")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let (status, body) =
        json_of(anthropic(&fake, MESSAGES, "k", &json!({"model": "claude-sonnet-4-5"})).await)
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["message"], "max_tokens: Field required");
    let (status, body) = json_of(
        client()
            .post(fake.url("/v1/nope"))
            .bearer_auth("k")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["message"], "Invalid URL (POST /v1/nope)");
    assert_eq!(fake.count("/v1/nope"), 1);
}

// ---- Faults ----

#[tokio::test]
async fn error_statuses_carry_the_providers_bodies() {
    let fake = FakeUpstream::start().await;
    let chat = json!({"model": "gpt-4o"});
    let msg = json!({"model": "claude-sonnet-4-5", "max_tokens": 1});

    fake.push(Action::rate_limited(7));
    let response = openai(&fake, CHAT_COMPLETIONS, "k", &chat).await;
    assert_eq!(response.headers()["retry-after"], "7");
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");

    fake.push(Action::rate_limited(3));
    let response = anthropic(&fake, MESSAGES, "k", &msg).await;
    assert_eq!(response.headers()["retry-after"], "3");
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "rate_limit_error");

    fake.push(Action::status(500));
    let (status, body) = json_of(openai(&fake, RESPONSES, "k", &chat).await).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"]["type"], "server_error");

    fake.push(Action::status(500));
    let (status, body) = json_of(anthropic(&fake, MESSAGES, "k", &msg).await).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"]["type"], "api_error");

    fake.push(Action::status(503));
    let (status, body) = json_of(openai(&fake, CHAT_COMPLETIONS, "k", &chat).await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["type"], "server_error");

    fake.push(Action::overloaded());
    let (status, body) = json_of(anthropic(&fake, MESSAGES, "k", &msg).await).await;
    assert_eq!(status.as_u16(), 529);
    assert_eq!(
        body["error"],
        json!({"type": "overloaded_error", "message": "Overloaded"})
    );

    fake.push(Action::status(502));
    let response = openai(&fake, CHAT_COMPLETIONS, "k", &chat).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert!(response.text().await.unwrap().contains("502 Bad Gateway"));

    fake.push(Action::error_body(418, r#"{"custom":true}"#));
    let (status, body) = json_of(openai(&fake, CHAT_COMPLETIONS, "k", &chat).await).await;
    assert_eq!(status.as_u16(), 418);
    assert_eq!(body, json!({"custom": true}));

    assert_eq!(fake.pending_actions(), 0);
    // The queue is empty: back to normal.
    assert_eq!(
        openai(&fake, CHAT_COMPLETIONS, "k", &chat).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn close_connection_sends_nothing() {
    let fake = FakeUpstream::start().await;
    fake.push(Action::CloseConnection);
    let err = client()
        .post(fake.url(CHAT_COMPLETIONS))
        .bearer_auth("k")
        .json(&json!({"model": "gpt-4o"}))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout(), "{err:?}");
    assert!(err.status().is_none());
    assert_eq!(fake.count(CHAT_COMPLETIONS), 1, "the request was recorded");
    let ok = openai(&fake, CHAT_COMPLETIONS, "k", &json!({"model": "gpt-4o"})).await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn hang_before_headers_delays_the_first_byte() {
    let fake = FakeUpstream::start().await;
    fake.push(Action::HangBeforeHeaders(Duration::from_secs(5)));
    let impatient = client()
        .post(fake.url(CHAT_COMPLETIONS))
        .bearer_auth("k")
        .timeout(Duration::from_millis(200))
        .json(&json!({"model": "gpt-4o"}))
        .send()
        .await
        .unwrap_err();
    assert!(impatient.is_timeout());

    fake.push(Action::HangBeforeHeaders(Duration::from_millis(300)));
    let started = Instant::now();
    let response = openai(&fake, CHAT_COMPLETIONS, "k", &json!({"model": "gpt-4o"})).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn stall_mid_stream_goes_silent_after_k_events() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| s.events = 5);
    fake.push(Action::StallMidStream {
        after_events: 3,
        stall: Duration::from_millis(1500),
    });
    let response = anthropic(
        &fake,
        MESSAGES,
        "k",
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 1, "stream": true}),
    )
    .await;
    let mut reader = StreamReader::new(response);
    for _ in 0..3 {
        reader.next().await.unwrap().unwrap();
    }
    let silent = tokio::time::timeout(Duration::from_millis(500), reader.next()).await;
    assert!(silent.is_err(), "nothing arrives during the stall");
    // After the stall the stream goes on to the end.
    let rest = reader.all().await;
    assert_eq!(rest.last().unwrap().name.as_deref(), Some("message_stop"));
}

#[tokio::test]
async fn stall_on_a_non_stream_request_holds_the_body() {
    let fake = FakeUpstream::start().await;
    fake.push(Action::StallMidStream {
        after_events: 1,
        stall: Duration::from_millis(300),
    });
    let started = Instant::now();
    let response = openai(&fake, CHAT_COMPLETIONS, "k", &json!({"model": "gpt-4o"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers_after = started.elapsed();
    let (_, body) = json_of(response).await;
    assert!(headers_after < Duration::from_millis(300));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(body["object"], "chat.completion");
}

#[tokio::test]
async fn garbage_is_200_and_not_json() {
    let fake = FakeUpstream::start().await;
    fake.push(Action::Garbage);
    let response = openai(&fake, CHAT_COMPLETIONS, "k", &json!({"model": "gpt-4o"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert_eq!(text, GARBAGE_BODY);
    assert!(serde_json::from_str::<Value>(&text).is_err());

    fake.push(Action::Garbage);
    let response = openai(
        &fake,
        CHAT_COMPLETIONS,
        "k",
        &json!({"model": "gpt-4o", "stream": true}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), GARBAGE_SSE);
}

#[tokio::test]
async fn cut_stream_breaks_the_connection_after_k_events() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| s.events = 10);
    fake.push(Action::CutStream { after_events: 4 });
    let response = openai(
        &fake,
        CHAT_COMPLETIONS,
        "k",
        &json!({"model": "gpt-4o", "stream": true, "stream_options": {"include_usage": true}}),
    )
    .await;
    let mut reader = StreamReader::new(response);
    let mut events = Vec::new();
    let error = loop {
        match reader.next().await {
            Ok(Some(e)) => events.push(e),
            Ok(None) => panic!("the stream ended cleanly after {events:?}"),
            Err(e) => break e,
        }
    };
    assert_eq!(events.len(), 4);
    assert!(
        events
            .iter()
            .all(|e| e.json().get("usage") == Some(&Value::Null))
    );
    assert!(error.is_body() || error.is_decode(), "{error:?}");

    // Non-stream: half a body, then the break.
    fake.push(Action::CutStream { after_events: 1 });
    let response = openai(&fake, CHAT_COMPLETIONS, "k", &json!({"model": "gpt-4o"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.is_err());
}

#[tokio::test]
async fn end_stream_early_stops_cleanly_without_usage() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| s.events = 10);
    fake.push(Action::EndStreamEarly { after_events: 6 });
    let response = openai(
        &fake,
        RESPONSES,
        "k",
        &json!({"model": "gpt-5", "stream": true}),
    )
    .await;
    let events = StreamReader::new(response).all().await;
    assert_eq!(events.len(), 6);
    assert!(
        events
            .iter()
            .all(|e| e.name.as_deref() != Some("response.completed"))
    );
}

#[tokio::test]
async fn stream_error_sends_the_providers_error_event() {
    let fake = FakeUpstream::start().await;
    fake.push(Action::StreamError { after_events: 2 });
    let response = anthropic(
        &fake,
        MESSAGES,
        "k",
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 1, "stream": true}),
    )
    .await;
    let events = StreamReader::new(response).all().await;
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].name.as_deref(), Some("error"));
    assert_eq!(events[2].json()["error"]["type"], "overloaded_error");
}

#[tokio::test]
async fn responses_stream_error_and_unknown_event_are_numbered_in_sequence() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| {
        s.events = 3;
        s.unknown_event = true;
    });
    fake.push(Action::StreamError { after_events: 5 });
    let response = openai(
        &fake,
        RESPONSES,
        "k",
        &json!({"model": "gpt-5", "stream": true}),
    )
    .await;
    let events = StreamReader::new(response).all().await;
    let names: Vec<&str> = events.iter().map(|e| e.name.as_deref().unwrap()).collect();
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.future_event",
            "response.output_item.added",
            "response.content_part.added",
            "response.failed",
        ]
    );
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.json()["sequence_number"], i);
    }
    assert_eq!(events[5].json()["response"]["status"], "failed");
}

#[tokio::test]
async fn slow_stream_spaces_events_out() {
    let fake = FakeUpstream::start().await;
    fake.update_script(|s| s.events = 4);
    fake.push(Action::SlowStream(Duration::from_millis(60)));
    let started = Instant::now();
    let response = anthropic(
        &fake,
        MESSAGES,
        "k",
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 1, "stream": true}),
    )
    .await;
    let mut reader = StreamReader::new(response);
    let first = reader.next().await.unwrap().unwrap();
    assert_eq!(first.name.as_deref(), Some("message_start"));
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "the first event does not wait for the rest"
    );
    let rest = reader.all().await;
    // 10 events, 9 gaps of 60 ms
    assert_eq!(rest.len(), 9);
    assert!(started.elapsed() >= Duration::from_millis(540));
    assert_eq!(reader.chunks, 10);
}

// ---- Queue, filters, key rules ----

#[tokio::test]
async fn queued_actions_are_fifo_and_filters_skip_other_requests() {
    let fake = FakeUpstream::start().await;
    let chat = json!({"model": "gpt-4o"});
    let msg = json!({"model": "claude-sonnet-4-5", "max_tokens": 1});
    fake.push_for_path(MESSAGES, Action::status(500));
    fake.push_for_key("key-b", Action::status(503));
    fake.push(Action::status(502));
    fake.push_filtered(
        Filter::path(CHAT_COMPLETIONS).and_key("key-c"),
        Action::status(418),
    );
    assert_eq!(fake.pending_actions(), 4);

    // A chat request with key-a skips the MESSAGES and key-b entries and takes the 502.
    let r = openai(&fake, CHAT_COMPLETIONS, "key-a", &chat).await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    // Then nothing matches key-a on chat: normal.
    let r = openai(&fake, CHAT_COMPLETIONS, "key-a", &chat).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = openai(&fake, CHAT_COMPLETIONS, "key-c", &chat).await;
    assert_eq!(r.status().as_u16(), 418);
    let r = anthropic(&fake, MESSAGES, "key-b", &msg).await;
    assert_eq!(
        r.status(),
        StatusCode::INTERNAL_SERVER_ERROR,
        "first match wins"
    );
    let r = anthropic(&fake, MESSAGES, "key-b", &msg).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(fake.pending_actions(), 0);
}

#[tokio::test]
async fn key_rules_fail_one_key_and_spare_another() {
    let fake = FakeUpstream::start().await;
    let chat = json!({"model": "gpt-4o"});
    fake.set_key_rule("key-a", Action::status(500));
    for _ in 0..3 {
        let r = openai(&fake, CHAT_COMPLETIONS, "key-a", &chat).await;
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let r = openai(&fake, CHAT_COMPLETIONS, "key-b", &chat).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    // A queued action comes before the rule.
    fake.push_for_key(
        "key-a",
        Action::respond(Script {
            events: 1,
            ..Script::default()
        }),
    );
    let (status, body) = json_of(openai(&fake, CHAT_COMPLETIONS, "key-a", &chat).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["choices"][0]["message"]["content"], "Lorem");
    fake.clear_key_rule("key-a");
    let r = openai(&fake, CHAT_COMPLETIONS, "key-a", &chat).await;
    assert_eq!(r.status(), StatusCode::OK);
}

// ---- Recording ----

#[tokio::test]
async fn requests_are_recorded_whole_and_reset_forgets_them() {
    let fake = FakeUpstream::start().await;
    assert!(fake.last_request().is_none());
    let body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]});
    client()
        .post(fake.url(CHAT_COMPLETIONS))
        .bearer_auth("sk-rec")
        .header("X-Custom-Header", "Value-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    client()
        .get(fake.url("/v1/models?limit=5"))
        .bearer_auth("sk-rec-2")
        .send()
        .await
        .unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, CHAT_COMPLETIONS);
    assert_eq!(first.query, None);
    assert_eq!(first.key.as_deref(), Some("sk-rec"));
    assert_eq!(first.header("x-custom-header"), Some("Value-1"));
    assert_eq!(first.header("X-CUSTOM-HEADER"), Some("Value-1"));
    assert!(first.headers.iter().any(|(n, _)| n == "x-custom-header"));
    assert_eq!(first.header("authorization"), Some("Bearer sk-rec"));
    assert_eq!(first.json(), body);
    assert_eq!(first.body, serde_json::to_vec(&body).unwrap());
    let last = fake.last_request().unwrap();
    assert_eq!(last.method, "GET");
    assert_eq!(last.path, MODELS);
    assert_eq!(last.query.as_deref(), Some("limit=5"));
    assert!(last.body.is_empty());
    assert_eq!(fake.count(CHAT_COMPLETIONS), 1);
    assert_eq!(fake.count(MODELS), 1);
    assert_eq!(fake.count(MESSAGES), 0);

    fake.push(Action::status(500));
    fake.set_key_rule("k", Action::status(500));
    fake.set_valid_keys(["nobody"]);
    fake.update_script(|s| s.events = 1);
    fake.reset();
    assert!(fake.requests().is_empty());
    assert_eq!(fake.pending_actions(), 0);
    assert_eq!(fake.script(), Script::default());
    let r = openai(&fake, CHAT_COMPLETIONS, "k", &json!({"model": "gpt-4o"})).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn http2_prior_knowledge_is_served_too() {
    let fake = FakeUpstream::start().await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let h2 = reqwest::Client::builder()
        .no_proxy()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let response = h2
        .post(fake.url(MESSAGES))
        .header("x-api-key", "k")
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": "claude-sonnet-4-5", "max_tokens": 1, "stream": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    let events = parse_sse(&response.text().await.unwrap());
    assert_eq!(events.last().unwrap().name.as_deref(), Some("message_stop"));
}
