use super::*;
use crate::sse::Splitter;
use crate::sse::tests::{check_all_splits, splits};

/// An OpenAI chat stream with `stream_options.include_usage`: every chunk carries
/// `"usage":null` until the usage-only chunk, then `[DONE]`. Split in three so filter tests
/// can name the usage chunk.
const CHAT_HEAD: &str = concat!(
    r#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"finish_reason":null}],"usage":null}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"usage":null}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":"!"},"finish_reason":null}],"usage":null}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":" How can I help with \"usage\" today?\n"},"finish_reason":null}],"usage":null}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#,
    "\n\n",
);
const CHAT_USAGE: &str = concat!(
    r#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[],"usage":{"prompt_tokens":1117,"completion_tokens":46,"total_tokens":1163,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":32,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#,
    "\n\n",
);
const CHAT_DONE: &str = "data: [DONE]\n\n";

const CHAT_USAGE_EXPECTED: Usage = Usage {
    input_tokens: 93,
    cached_tokens: 1024,
    cache_write_5m_tokens: 0,
    cache_write_1h_tokens: 0,
    output_tokens: 46,
    reasoning_tokens: 32,
    images: 0,
};

/// A Responses stream as Codex CLI receives it: reasoning summary, text deltas, and usage
/// with cached, cache-write and reasoning tokens in `response.completed`.
const RESPONSES: &str = concat!(
    "event: response.created\n",
    r#"data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_68a1","object":"response","created_at":1754400000,"status":"in_progress","error":null,"incomplete_details":null,"instructions":"You are Codex.","max_output_tokens":null,"model":"gpt-5-codex","output":[],"parallel_tool_calls":false,"previous_response_id":null,"reasoning":{"effort":"medium","summary":"auto"},"store":false,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"truncation":"disabled","usage":null,"metadata":{}}}"#,
    "\n\n",
    "event: response.in_progress\n",
    r#"data: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_68a1","object":"response","status":"in_progress","model":"gpt-5-codex","output":[],"usage":null}}"#,
    "\n\n",
    "event: response.output_item.added\n",
    r#"data: {"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"rs_68a1","type":"reasoning","encrypted_content":"gAAAAABo","summary":[]}}"#,
    "\n\n",
    "event: response.reasoning_summary_part.added\n",
    r#"data: {"type":"response.reasoning_summary_part.added","sequence_number":3,"item_id":"rs_68a1","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}}"#,
    "\n\n",
    "event: response.reasoning_summary_text.delta\n",
    r#"data: {"type":"response.reasoning_summary_text.delta","sequence_number":4,"item_id":"rs_68a1","output_index":0,"summary_index":0,"delta":"**Greeting the user**"}"#,
    "\n\n",
    "event: response.reasoning_summary_text.done\n",
    r#"data: {"type":"response.reasoning_summary_text.done","sequence_number":5,"item_id":"rs_68a1","output_index":0,"summary_index":0,"text":"**Greeting the user**"}"#,
    "\n\n",
    "event: response.output_item.done\n",
    r#"data: {"type":"response.output_item.done","sequence_number":6,"output_index":0,"item":{"id":"rs_68a1","type":"reasoning","encrypted_content":"gAAAAABo","summary":[{"type":"summary_text","text":"**Greeting the user**"}]}}"#,
    "\n\n",
    "event: response.output_item.added\n",
    r#"data: {"type":"response.output_item.added","sequence_number":7,"output_index":1,"item":{"id":"msg_68a1","type":"message","status":"in_progress","content":[],"role":"assistant"}}"#,
    "\n\n",
    "event: response.content_part.added\n",
    r#"data: {"type":"response.content_part.added","sequence_number":8,"item_id":"msg_68a1","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}}"#,
    "\n\n",
    "event: response.output_text.delta\n",
    r#"data: {"type":"response.output_text.delta","sequence_number":9,"item_id":"msg_68a1","output_index":1,"content_index":0,"delta":"Hi","logprobs":[]}"#,
    "\n\n",
    "event: response.output_text.delta\n",
    r#"data: {"type":"response.output_text.delta","sequence_number":10,"item_id":"msg_68a1","output_index":1,"content_index":0,"delta":" there","logprobs":[]}"#,
    "\n\n",
    "event: response.output_text.delta\n",
    r#"data: {"type":"response.output_text.delta","sequence_number":11,"item_id":"msg_68a1","output_index":1,"content_index":0,"delta":"!","logprobs":[]}"#,
    "\n\n",
    "event: response.output_text.done\n",
    r#"data: {"type":"response.output_text.done","sequence_number":12,"item_id":"msg_68a1","output_index":1,"content_index":0,"text":"Hi there!","logprobs":[]}"#,
    "\n\n",
    "event: response.content_part.done\n",
    r#"data: {"type":"response.content_part.done","sequence_number":13,"item_id":"msg_68a1","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":"Hi there!"}}"#,
    "\n\n",
    "event: response.output_item.done\n",
    r#"data: {"type":"response.output_item.done","sequence_number":14,"output_index":1,"item":{"id":"msg_68a1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Hi there!"}],"role":"assistant"}}"#,
    "\n\n",
    "event: response.completed\n",
    r#"data: {"type":"response.completed","sequence_number":15,"response":{"id":"resp_68a1","object":"response","created_at":1754400000,"status":"completed","error":null,"incomplete_details":null,"model":"gpt-5-codex","output":[{"id":"rs_68a1","type":"reasoning","summary":[{"type":"summary_text","text":"**Greeting the user**"}]},{"id":"msg_68a1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"text":"Hi there!"}],"role":"assistant"}],"usage":{"input_tokens":2417,"input_tokens_details":{"cached_tokens":2048,"cache_write_tokens":256},"output_tokens":145,"output_tokens_details":{"reasoning_tokens":128},"total_tokens":2562},"metadata":{}}}"#,
    "\n\n",
);

const RESPONSES_EXPECTED: Usage = Usage {
    input_tokens: 113,
    cached_tokens: 2048,
    cache_write_5m_tokens: 256,
    cache_write_1h_tokens: 0,
    output_tokens: 145,
    reasoning_tokens: 128,
    images: 0,
};

/// An Anthropic stream as Claude Code receives it, with extended thinking, a ping, an event
/// type from the future, and a `message_delta` repeating the cumulative input and cache
/// counts. Split before `message_delta` for truncation tests.
const ANTHROPIC_HEAD: &str = concat!(
    "event: message_start\n",
    r#"data: {"type":"message_start","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":2051,"cache_read_input_tokens":15214,"cache_creation":{"ephemeral_5m_input_tokens":51,"ephemeral_1h_input_tokens":2000},"output_tokens":4,"service_tier":"standard"}}}"#,
    "\n\n",
    "event: content_block_start\n",
    r#"data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
    "\n\n",
    "event: ping\n",
    r#"data: {"type": "ping"}"#,
    "\n\n",
    "event: content_block_delta\n",
    r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants a haiku about Rust. Five, seven, five syllables."}}"#,
    "\n\n",
    "event: content_block_delta\n",
    r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds+6z3y/sKAkxWPkN/WXa3Fq9lfn/Gw=="}}"#,
    "\n\n",
    "event: content_block_stop\n",
    r#"data: {"type":"content_block_stop","index":0}"#,
    "\n\n",
    "event: content_block_start\n",
    r#"data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
    "\n\n",
    "event: content_block_delta\n",
    r#"data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Borrowed, never owned\u2014\n"}}"#,
    "\n\n",
    "event: content_block_delta\n",
    r#"data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"the compiler guards each byte;\n"}}"#,
    "\n\n",
    "event: content_block_delta\n",
    r#"data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"no data races here."}}"#,
    "\n\n",
    "event: content_block_stop\n",
    r#"data: {"type":"content_block_stop","index":1}"#,
    "\n\n",
    "event: some_future_event\n",
    r#"data: {"type":"some_future_event","detail":{"usage":{"output_tokens":999999}}}"#,
    "\n\n",
);
const ANTHROPIC_TAIL: &str = concat!(
    "event: message_delta\n",
    r#"data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":12,"cache_creation_input_tokens":2051,"cache_read_input_tokens":15214,"output_tokens":87}}"#,
    "\n\n",
    "event: message_stop\n",
    r#"data: {"type":"message_stop"}"#,
    "\n\n",
);

const ANTHROPIC_EXPECTED: Usage = Usage {
    input_tokens: 12,
    cached_tokens: 15214,
    cache_write_5m_tokens: 51,
    cache_write_1h_tokens: 2000,
    output_tokens: 87,
    reasoning_tokens: 0,
    images: 0,
};

fn chat() -> String {
    [CHAT_HEAD, CHAT_USAGE, CHAT_DONE].concat()
}

fn anthropic() -> String {
    [ANTHROPIC_HEAD, ANTHROPIC_TAIL].concat()
}

/// Runs `input` in `chunks` through a splitter (observe-only) into a tracker.
fn track(format: WireFormat, chunks: &[&[u8]]) -> StreamUsage {
    let mut splitter = Splitter::new();
    let mut usage = StreamUsage::new(format);
    for chunk in chunks {
        splitter.feed(chunk, |event| usage.on_event(event.name, event.data));
    }
    assert!(splitter.finish().is_empty());
    usage
}

fn not_usage_only(event: &crate::sse::Event<'_>) -> bool {
    !is_usage_only_chat_chunk(event.data)
}

#[test]
fn chat_stream_usage() {
    let usage = track(WireFormat::OpenAiChat, &[chat().as_bytes()]);
    assert_eq!(usage.usage(), Some(CHAT_USAGE_EXPECTED));
    assert!(usage.is_final());
    // Role chunk 0, "Hello" 1, "!" 1, the question (39 bytes as escaped) 13, finish chunk 0
    // (it delivers no output).
    assert_eq!(usage.delivered_output_estimate(), 15);
}

#[test]
fn responses_stream_usage() {
    let usage = track(WireFormat::OpenAiResponses, &[RESPONSES.as_bytes()]);
    assert_eq!(usage.usage(), Some(RESPONSES_EXPECTED));
    assert!(usage.is_final());
    // "**Greeting the user**" 7, "Hi" 1, " there" 2, "!" 1.
    assert_eq!(usage.delivered_output_estimate(), 11);
}

#[test]
fn anthropic_stream_usage_takes_the_latest_of_each_field() {
    let usage = track(WireFormat::AnthropicMessages, &[anthropic().as_bytes()]);
    // The repeated cumulative counts in `message_delta` are not added twice, the 1-hour
    // split from `message_start` survives a delta that repeats only the total, and the
    // unknown event's `usage` is ignored.
    assert_eq!(usage.usage(), Some(ANTHROPIC_EXPECTED));
    assert!(usage.is_final());
    // Thinking 63 bytes: 21; signature 1; texts 29, 32, 19 bytes: 9, 10, 6.
    assert_eq!(usage.delivered_output_estimate(), 47);
}

#[test]
fn every_split_gives_the_same_events_bytes_and_usage() {
    let cases = [
        (WireFormat::OpenAiChat, chat(), CHAT_USAGE_EXPECTED),
        (
            WireFormat::OpenAiResponses,
            RESPONSES.to_owned(),
            RESPONSES_EXPECTED,
        ),
        (
            WireFormat::AnthropicMessages,
            anthropic(),
            ANTHROPIC_EXPECTED,
        ),
    ];
    for (format, input, expected) in cases {
        let forwarded = match format {
            WireFormat::OpenAiChat => [CHAT_HEAD, CHAT_DONE].concat(),
            _ => input.clone(),
        };
        for end in ["\n", "\r\n", "\r"] {
            let input = input.replace('\n', end);
            // Events and filtered bytes at every cut point, in 1-byte chunks and more: only
            // the usage chunk is hidden, everything else (pings, signatures, the unknown
            // event type) passes untouched.
            let out = check_all_splits(input.as_bytes(), not_usage_only);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                forwarded.replace('\n', end)
            );
            // The tracker is a function of the events, so a sample of splits suffices.
            let whole = track(format, &[input.as_bytes()]);
            assert_eq!(whole.usage(), Some(expected));
            assert!(whole.is_final());
            for chunks in splits(input.as_bytes()).iter().step_by(11) {
                let usage = track(format, chunks);
                assert_eq!(usage.usage(), Some(expected));
                assert!(usage.is_final());
                assert_eq!(
                    usage.delivered_output_estimate(),
                    whole.delivered_output_estimate()
                );
            }
        }
    }
}

#[test]
fn filter_hides_exactly_the_usage_chunk() {
    let expected = [CHAT_HEAD, CHAT_DONE].concat();
    // The tracker still sees the hidden chunk when it rides along in `keep`.
    let mut splitter = Splitter::new();
    let mut usage = StreamUsage::new(WireFormat::OpenAiChat);
    let mut out = Vec::new();
    for chunk in chat().as_bytes().chunks(17) {
        splitter.filter_into(
            chunk,
            |event| {
                usage.on_event(event.name, event.data);
                !is_usage_only_chat_chunk(event.data)
            },
            &mut out,
        );
    }
    assert!(splitter.finish().is_empty());
    assert_eq!(String::from_utf8(out).unwrap(), expected);
    assert_eq!(usage.usage(), Some(CHAT_USAGE_EXPECTED));
    assert!(usage.is_final());
}

#[test]
fn filter_passes_unknown_events_and_signatures_untouched() {
    for input in [anthropic(), RESPONSES.to_owned()] {
        let mut splitter = Splitter::new();
        let mut out = Vec::new();
        for chunk in input.as_bytes().chunks(1) {
            splitter.filter_into(chunk, not_usage_only, &mut out);
        }
        assert_eq!(String::from_utf8(out).unwrap(), input);
    }
}

#[test]
fn cut_streams_are_not_final_and_estimate_what_was_sent() {
    let claude = track(WireFormat::AnthropicMessages, &[ANTHROPIC_HEAD.as_bytes()]);
    assert!(!claude.is_final());
    // Input and cache are known from `message_start`; output only its first count.
    assert_eq!(
        claude.usage(),
        Some(Usage {
            output_tokens: 4,
            ..ANTHROPIC_EXPECTED
        })
    );
    assert_eq!(claude.delivered_output_estimate(), 47);

    let chat = track(WireFormat::OpenAiChat, &[CHAT_HEAD.as_bytes()]);
    assert!(!chat.is_final());
    assert_eq!(chat.usage(), None);
    assert_eq!(chat.delivered_output_estimate(), 15);

    let cut = RESPONSES.find("event: response.completed").unwrap();
    let responses = track(WireFormat::OpenAiResponses, &[&RESPONSES.as_bytes()[..cut]]);
    assert!(!responses.is_final());
    assert_eq!(responses.usage(), None);
    assert_eq!(responses.delivered_output_estimate(), 11);

    // A cut inside the final event: nothing dispatched, `finish` reports the leftover.
    let input = anthropic();
    let cut = input.len() - 40;
    let mut splitter = Splitter::new();
    let mut usage = StreamUsage::new(WireFormat::AnthropicMessages);
    splitter.feed(&input.as_bytes()[..cut], |event| {
        usage.on_event(event.name, event.data);
    });
    assert!(usage.is_final(), "`message_delta` came before the cut");
    assert!(!splitter.finish().is_empty());
}

#[test]
fn message_delta_without_message_start_is_not_final() {
    let mut usage = StreamUsage::new(WireFormat::AnthropicMessages);
    usage.on_event(
        Some("message_delta"),
        br#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}"#,
    );
    assert!(!usage.is_final());
    assert_eq!(usage.usage().unwrap().output_tokens, 15);
}

#[test]
fn anthropic_cache_writes_without_split_are_five_minute() {
    let mut usage = StreamUsage::new(WireFormat::AnthropicMessages);
    usage.on_event(
        Some("message_start"),
        br#"{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":3,"cache_creation_input_tokens":1500,"cache_read_input_tokens":0,"output_tokens":1}}}"#,
    );
    usage.on_event(
        Some("message_delta"),
        br#"{"type":"message_delta","delta":{},"usage":{"output_tokens":20}}"#,
    );
    assert!(usage.is_final());
    assert_eq!(
        usage.usage(),
        Some(Usage {
            input_tokens: 3,
            cache_write_5m_tokens: 1500,
            output_tokens: 20,
            ..Usage::default()
        })
    );
}

#[test]
fn nameless_events_are_named_by_their_type() {
    let input = anthropic();
    let mut usage = StreamUsage::new(WireFormat::AnthropicMessages);
    let mut splitter = Splitter::new();
    splitter.feed(input.as_bytes(), |event| usage.on_event(None, event.data));
    assert_eq!(usage.usage(), Some(ANTHROPIC_EXPECTED));
    assert!(usage.is_final());

    let mut usage = StreamUsage::new(WireFormat::OpenAiResponses);
    let mut splitter = Splitter::new();
    splitter.feed(RESPONSES.as_bytes(), |event| {
        usage.on_event(None, event.data)
    });
    assert_eq!(usage.usage(), Some(RESPONSES_EXPECTED));
    assert_eq!(usage.delivered_output_estimate(), 11);
}

#[test]
fn chat_running_usage_is_final_only_when_finished() {
    // Some OpenAI-compatible servers attach running usage to every chunk.
    let mut usage = StreamUsage::new(WireFormat::OpenAiChat);
    usage.on_event(
        None,
        br#"{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":{"prompt_tokens":10,"completion_tokens":1,"total_tokens":11}}"#,
    );
    assert!(!usage.is_final());
    assert_eq!(usage.usage().unwrap().output_tokens, 1);
    assert_eq!(usage.delivered_output_estimate(), 1);
    usage.on_event(
        None,
        br#"{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}"#,
    );
    assert!(usage.is_final());
    assert_eq!(
        usage.usage(),
        Some(Usage {
            input_tokens: 10,
            output_tokens: 2,
            ..Usage::default()
        })
    );
    usage.on_event(None, b"[DONE]");
    // "Hi" counts; the finish chunk's empty delta does not.
    assert_eq!(usage.delivered_output_estimate(), 1);
}

#[test]
fn responses_incomplete_and_failed_are_final() {
    let mut usage = StreamUsage::new(WireFormat::OpenAiResponses);
    usage.on_event(
        Some("response.incomplete"),
        br#"{"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":50,"output_tokens":16,"output_tokens_details":{"reasoning_tokens":16}}}}"#,
    );
    assert!(usage.is_final());
    assert_eq!(
        usage.usage(),
        Some(Usage {
            input_tokens: 50,
            output_tokens: 16,
            reasoning_tokens: 16,
            ..Usage::default()
        })
    );
    let mut usage = StreamUsage::new(WireFormat::OpenAiResponses);
    usage.on_event(
        Some("response.failed"),
        br#"{"type":"response.failed","response":{"status":"failed","error":{"code":"server_error"},"usage":null}}"#,
    );
    assert!(usage.is_final());
    assert_eq!(usage.usage(), None);
}

#[test]
fn streamed_images_count_completed_images() {
    let mut usage = StreamUsage::new(WireFormat::OpenAiImages);
    usage.on_event(
        Some("image_generation.partial_image"),
        br#"{"type":"image_generation.partial_image","b64_json":"iVBORw0KGgo=","partial_image_index":0}"#,
    );
    assert!(!usage.is_final());
    usage.on_event(
        Some("image_generation.completed"),
        br#"{"type":"image_generation.completed","b64_json":"iVBORw0KGgo=","usage":{"total_tokens":4210,"input_tokens":50,"output_tokens":4160,"input_tokens_details":{"text_tokens":50,"image_tokens":0}}}"#,
    );
    assert!(usage.is_final());
    assert_eq!(
        usage.usage(),
        Some(Usage {
            input_tokens: 50,
            output_tokens: 4160,
            images: 1,
            ..Usage::default()
        })
    );
}

#[test]
fn usage_only_chat_chunk() {
    let usage_data = CHAT_USAGE.trim_end().strip_prefix("data: ").unwrap();
    assert!(is_usage_only_chat_chunk(usage_data.as_bytes()));
    assert!(is_usage_only_chat_chunk(
        br#"{ "choices" : [ ] , "usage" : { "prompt_tokens": 1 } }"#
    ));
    for data in CHAT_HEAD.split("\n\n").filter(|d| !d.is_empty()) {
        let data = data.strip_prefix("data: ").unwrap();
        assert!(!is_usage_only_chat_chunk(data.as_bytes()), "{data}");
    }
    for data in [
        &b"[DONE]"[..],
        br#"{"choices":[],"usage":null}"#,
        br#"{"choices":[{"index":0,"delta":{}}],"usage":{"prompt_tokens":1}}"#,
        // The words in the text are escaped, so they are not keys.
        br#"{"choices":[{"delta":{"content":"\"choices\":[],\"usage\":{}"}}],"usage":null}"#,
        br#"{"choices":[{"delta":{"content":"choices"}}],"x":"usage"}"#,
    ] {
        assert!(
            !is_usage_only_chat_chunk(data),
            "{}",
            String::from_utf8_lossy(data)
        );
    }
}

#[test]
fn body_chat() {
    let body = br#"{"id":"chatcmpl-1","object":"chat.completion","created":1754400000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_5d58a6052a"}"#;
    assert_eq!(
        valid_usage(WireFormat::OpenAiChat, body),
        Some(Usage {
            input_tokens: 86,
            cached_tokens: 1920,
            output_tokens: 300,
            ..Usage::default()
        })
    );
    // Details may be null or missing.
    let body =
        br#"{"usage":{"prompt_tokens":7,"completion_tokens":3,"prompt_tokens_details":null}}"#;
    assert_eq!(
        valid_usage(WireFormat::OpenAiChat, body),
        Some(Usage {
            input_tokens: 7,
            output_tokens: 3,
            ..Usage::default()
        })
    );
}

#[test]
fn body_responses() {
    let body = br#"{"id":"resp_1","object":"response","created_at":1754400000,"status":"completed","model":"gpt-5","output":[{"type":"message","content":[{"type":"output_text","text":"Hi"}]}],"usage":{"input_tokens":2417,"input_tokens_details":{"cached_tokens":2048,"cache_write_tokens":256},"output_tokens":145,"output_tokens_details":{"reasoning_tokens":128},"total_tokens":2562}}"#;
    assert_eq!(
        valid_usage(WireFormat::OpenAiResponses, body),
        Some(RESPONSES_EXPECTED)
    );
    // Inconsistent counts saturate rather than wrap.
    let body = br#"{"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":20},"output_tokens":1}}"#;
    assert_eq!(
        valid_usage(WireFormat::OpenAiResponses, body),
        Some(Usage {
            cached_tokens: 20,
            output_tokens: 1,
            ..Usage::default()
        })
    );
}

#[test]
fn body_anthropic() {
    let body = br#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-opus-4-1-20250805","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":21,"cache_creation_input_tokens":188086,"cache_read_input_tokens":5,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":188086},"output_tokens":393,"service_tier":"standard"}}"#;
    assert_eq!(
        valid_usage(WireFormat::AnthropicMessages, body),
        Some(Usage {
            input_tokens: 21,
            cached_tokens: 5,
            cache_write_1h_tokens: 188_086,
            output_tokens: 393,
            ..Usage::default()
        })
    );
    // Without the split (older API versions, some clouds), all writes are 5-minute.
    let body = br#"{"usage":{"input_tokens":21,"cache_creation_input_tokens":100,"cache_read_input_tokens":null,"output_tokens":9}}"#;
    assert_eq!(
        valid_usage(WireFormat::AnthropicMessages, body),
        Some(Usage {
            input_tokens: 21,
            cache_write_5m_tokens: 100,
            output_tokens: 9,
            ..Usage::default()
        })
    );
    // A zeroed split never hides a reported total.
    let body = br#"{"usage":{"input_tokens":1,"cache_creation_input_tokens":100,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":1}}"#;
    assert_eq!(
        valid_usage(WireFormat::AnthropicMessages, body)
            .unwrap()
            .cache_write_5m_tokens,
        100
    );
}

#[test]
fn body_embeddings_and_images() {
    let body = br#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023,-0.0093]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#;
    assert_eq!(
        valid_usage(WireFormat::OpenAiEmbeddings, body),
        Some(Usage {
            input_tokens: 8,
            ..Usage::default()
        })
    );
    let body = br#"{"created":1754400000,"data":[{"url":"https://example.invalid/a.png","revised_prompt":"a"},{"url":"https://example.invalid/b.png"}]}"#;
    assert_eq!(
        valid_usage(WireFormat::OpenAiImages, body),
        Some(Usage {
            images: 2,
            ..Usage::default()
        })
    );
    let body = br#"{"created":1754400000,"background":"opaque","data":[{"b64_json":"iVBORw0KGgoAAAANSUhEUgAA"}],"output_format":"png","quality":"high","size":"1024x1024","usage":{"input_tokens":50,"input_tokens_details":{"image_tokens":40,"text_tokens":10},"output_tokens":4160,"total_tokens":4210}}"#;
    assert_eq!(
        valid_usage(WireFormat::OpenAiImages, body),
        Some(Usage {
            input_tokens: 50,
            output_tokens: 4160,
            images: 1,
            ..Usage::default()
        })
    );
}

#[test]
fn bodies_without_usage() {
    let error = br#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
    let anthropic_error =
        br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
    for format in [
        WireFormat::OpenAiChat,
        WireFormat::OpenAiResponses,
        WireFormat::AnthropicMessages,
        WireFormat::OpenAiEmbeddings,
        WireFormat::OpenAiImages,
    ] {
        assert_eq!(valid_usage(format, error), None);
        assert_eq!(valid_usage(format, anthropic_error), None);
        assert_eq!(valid_usage(format, b"not json"), None);
        assert_eq!(valid_usage(format, b""), None);
    }
}

#[test]
fn counts_that_are_not_whole_numbers_in_range_make_usage_invalid() {
    // A whole float is a count; null is absent.
    let body = br#"{"usage":{"prompt_tokens":12.0,"completion_tokens":null}}"#;
    assert_eq!(
        valid_usage(WireFormat::OpenAiChat, body),
        Some(Usage {
            input_tokens: 12,
            ..Usage::default()
        })
    );
    let max = MAX_TOKENS.to_string();
    let above = (MAX_TOKENS + 1).to_string();
    for bad in [
        "-3",
        "\"100\"",
        "12.5",
        "1e30",
        "18446744073709551615",
        "9223372036854775808",
        "true",
        &above,
    ] {
        let chat = format!(r#"{{"usage":{{"prompt_tokens":5,"completion_tokens":{bad}}}}}"#);
        assert_eq!(
            usage_from_body(WireFormat::OpenAiChat, chat.as_bytes()),
            Some(Err(InvalidUsage)),
            "{bad}"
        );
        let details = format!(
            r#"{{"usage":{{"input_tokens":5,"output_tokens":1,"input_tokens_details":{{"cached_tokens":{bad}}}}}}}"#
        );
        assert_eq!(
            usage_from_body(WireFormat::OpenAiResponses, details.as_bytes()),
            Some(Err(InvalidUsage)),
            "{bad}"
        );
        let anthropic = format!(
            r#"{{"usage":{{"input_tokens":5,"output_tokens":1,"cache_creation":{{"ephemeral_1h_input_tokens":{bad}}}}}}}"#
        );
        assert_eq!(
            usage_from_body(WireFormat::AnthropicMessages, anthropic.as_bytes()),
            Some(Err(InvalidUsage)),
            "{bad}"
        );
        let embeddings = format!(r#"{{"usage":{{"prompt_tokens":{bad}}}}}"#);
        assert_eq!(
            usage_from_body(WireFormat::OpenAiEmbeddings, embeddings.as_bytes()),
            Some(Err(InvalidUsage)),
            "{bad}"
        );
        let images = format!(r#"{{"data":[{{}}],"usage":{{"input_tokens":{bad}}}}}"#);
        assert_eq!(
            usage_from_body(WireFormat::OpenAiImages, images.as_bytes()),
            Some(Err(InvalidUsage)),
            "{bad}"
        );
        // In a stream, the final event's invalid usage is seen as such.
        let mut stream = StreamUsage::new(WireFormat::OpenAiChat);
        stream.on_event(None, chat.as_bytes());
        assert!(stream.is_final() && stream.invalid(), "{bad}");
        assert_eq!(stream.usage(), None);
        let mut stream = StreamUsage::new(WireFormat::AnthropicMessages);
        stream.on_event(
            Some("message_start"),
            br#"{"type":"message_start","message":{"usage":{"input_tokens":5,"output_tokens":1}}}"#,
        );
        let delta = format!(r#"{{"type":"message_delta","usage":{{"output_tokens":{bad}}}}}"#);
        stream.on_event(Some("message_delta"), delta.as_bytes());
        assert!(stream.is_final() && stream.invalid(), "{bad}");
    }
    let at_max = format!(r#"{{"usage":{{"prompt_tokens":{max},"completion_tokens":0}}}}"#);
    assert_eq!(
        valid_usage(WireFormat::OpenAiChat, at_max.as_bytes()),
        Some(Usage {
            input_tokens: MAX_TOKENS,
            ..Usage::default()
        })
    );
}

#[test]
fn usage_is_read_from_events_that_answer_a_non_stream_request() {
    let body = b"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2}}\n\ndata: [DONE]";
    assert_eq!(
        usage_from_events(WireFormat::OpenAiChat, body),
        Some(Ok(Usage {
            input_tokens: 9,
            output_tokens: 2,
            ..Usage::default()
        }))
    );
    assert_eq!(
        usage_from_events(WireFormat::OpenAiChat, b"data: {\"choices\":[]}\n\n"),
        None
    );
}

/// The usage of a body that must be valid.
fn valid_usage(format: WireFormat, body: &[u8]) -> Option<Usage> {
    usage_from_body(format, body).map(|r| r.unwrap())
}
