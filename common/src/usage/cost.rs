use super::*;
use crate::sse::Splitter;

fn stream(format: WireFormat) -> (Vec<u8>, &'static str) {
    let mut out = Vec::new();
    match format {
        WireFormat::OpenAiChat => {
            for i in 0..48 {
                out.extend_from_slice(format!(r#"data: {{"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_5d58a6052a","choices":[{{"index":0,"delta":{{"content":" word{i}"}},"logprobs":null,"finish_reason":null}}],"usage":null}}"#).as_bytes());
                out.extend_from_slice(b"\n\n");
            }
            out.extend_from_slice(br#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":1117,"completion_tokens":48,"total_tokens":1165,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#);
            out.extend_from_slice(b"\n\ndata: [DONE]\n\n");
            (out, "chat, 50 events")
        }
        _ => {
            out.extend_from_slice(b"event: message_start\n");
            out.extend_from_slice(br#"data: {"type":"message_start","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":2051,"cache_read_input_tokens":15214,"cache_creation":{"ephemeral_5m_input_tokens":2051,"ephemeral_1h_input_tokens":0},"output_tokens":4,"service_tier":"standard"}}}"#);
            out.extend_from_slice(b"\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
            for _ in 0..45 {
                out.extend_from_slice(b"event: content_block_delta\n");
                out.extend_from_slice(br#"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" the compiler guards each byte,"}}"#);
                out.extend_from_slice(b"\n\n");
            }
            out.extend_from_slice(b"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
            out.extend_from_slice(b"event: message_delta\n");
            out.extend_from_slice(br#"data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":12,"cache_creation_input_tokens":2051,"cache_read_input_tokens":15214,"output_tokens":300}}"#);
            out.extend_from_slice(
                b"\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
            );
            (out, "anthropic, 50 events")
        }
    }
}

#[test]
#[ignore = "timing, run in release"]
fn cost_per_stream() {
    for format in [WireFormat::OpenAiChat, WireFormat::AnthropicMessages] {
        let (input, label) = stream(format);
        // Chunks as a network read might cut them, straddling event boundaries.
        let chunks: Vec<&[u8]> = input.chunks(700).collect();
        let rounds = 20_000;
        let mut out = Vec::with_capacity(input.len());
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            let mut splitter = Splitter::new();
            let mut usage = StreamUsage::new(format);
            out.clear();
            for chunk in &chunks {
                if format == WireFormat::OpenAiChat {
                    splitter.filter_into(
                        chunk,
                        |event| {
                            usage.on_event(event.name, event.data);
                            !is_usage_only_chat_chunk(event.data)
                        },
                        &mut out,
                    );
                } else {
                    splitter.feed(chunk, |event| usage.on_event(event.name, event.data));
                }
            }
            assert!(usage.is_final());
            std::hint::black_box(&usage);
        }
        let per_stream = started.elapsed() / rounds;
        eprintln!("{label}, {} bytes: {per_stream:?} per stream", input.len());
    }
}
