//! A fast fake OpenAI upstream for the loopback benchmark (`bench/run.sh`).
//!
//! `POST /v1/chat/completions` answers a canned `chat.completion` with `usage`, or, when the
//! body says `"stream": true`, a canned SSE stream of 50 `chat.completion.chunk` events, then a
//! usage chunk (`"choices": []`) only when the body asks `"stream_options":
//! {"include_usage": true}`, then `data: [DONE]`. Every answer is rendered once at start-up and
//! written in one piece (one HTTP chunk for streams), without delays, so that the upstream costs
//! next to nothing and the benchmark measures what sits in front of it. Anything else is 404.
//!
//! HTTP/1.1 with keep-alive; accepted sockets get `TCP_NODELAY`. Prints
//! `listening on http://ADDR` on stdout once bound.

#![expect(clippy::print_stdout, reason = "a benchmark tool reports on stdout")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use clap::Parser;
use http_body_util::BodyExt as _;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// Content events per stream (role, words, finish), before the optional usage chunk.
const STREAM_EVENTS: usize = 50;
const PROMPT_TOKENS: u64 = 12;
const MODEL: &str = "gpt-4o-mini";
const CREATED: u64 = 1_700_000_000;
const WORDS: &[&str] = &[
    "Lorem",
    " ipsum",
    " dolor",
    " sit",
    " amet,",
    " consectetur",
    " adipiscing",
    " elit.",
];

#[derive(Parser)]
#[command(about = "A fast fake OpenAI upstream for the codexkey benchmark")]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Tokio worker threads; 1 runs a single-threaded runtime.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

/// The three answers, rendered once.
struct Canned {
    completion: Bytes,
    stream: Bytes,
    stream_with_usage: Bytes,
}

fn usage() -> Value {
    let completion = (STREAM_EVENTS - 2) as u64;
    json!({
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": completion,
        "total_tokens": PROMPT_TOKENS + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0
        }
    })
}

fn words() -> impl Iterator<Item = &'static str> {
    WORDS.iter().copied().cycle().take(STREAM_EVENTS - 2)
}

impl Canned {
    fn render() -> Canned {
        let completion = json!({
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": CREATED,
            "model": MODEL,
            "system_fingerprint": "fp_bench",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": words().collect::<String>(), "refusal": null},
                "logprobs": null,
                "finish_reason": "stop"
            }],
            "usage": usage(),
            "service_tier": "default"
        });
        Canned {
            completion: Bytes::from(completion.to_string()),
            stream: Bytes::from(Self::sse(false)),
            stream_with_usage: Bytes::from(Self::sse(true)),
        }
    }

    /// A chat completion stream as OpenAI sends it: with `include_usage`, every chunk carries
    /// `"usage": null` and a last chunk with empty `choices` carries the usage.
    fn sse(include_usage: bool) -> String {
        let chunk = |choices: Value, usage: Option<Value>| {
            let mut c = json!({
                "id": "chatcmpl-bench",
                "object": "chat.completion.chunk",
                "created": CREATED,
                "model": MODEL,
                "system_fingerprint": "fp_bench",
                "choices": choices,
            });
            if include_usage {
                c["usage"] = usage.unwrap_or(Value::Null);
            }
            format!("data: {c}\n\n")
        };
        let delta = |delta: Value, finish: Value| json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]);
        let mut out = chunk(
            delta(
                json!({"role": "assistant", "content": "", "refusal": null}),
                Value::Null,
            ),
            None,
        );
        for word in words() {
            out.push_str(&chunk(delta(json!({"content": word}), Value::Null), None));
        }
        out.push_str(&chunk(delta(json!({}), json!("stop")), None));
        if include_usage {
            out.push_str(&chunk(json!([]), Some(usage())));
        }
        out.push_str("data: [DONE]\n\n");
        out
    }
}

/// A body that is one piece of bytes, sent with `content-length` or, for streams, as a single
/// chunk of a chunked body (as real upstreams stream).
struct OnePiece {
    data: Option<Bytes>,
    sized: bool,
}

impl Body for OnePiece {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.data.take().map(|d| Ok(Frame::data(d))))
    }

    fn is_end_stream(&self) -> bool {
        self.sized && self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match (&self.data, self.sized) {
            (Some(d), true) => SizeHint::with_exact(d.len() as u64),
            (None, true) => SizeHint::with_exact(0),
            (_, false) => SizeHint::default(),
        }
    }
}

fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
    sized: bool,
) -> Response<OnePiece> {
    let mut resp = Response::new(OnePiece {
        data: Some(body),
        sized,
    });
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

async fn handle(
    canned: &'static Canned,
    req: Request<Incoming>,
) -> Result<Response<OnePiece>, Infallible> {
    if req.method() != Method::POST || req.uri().path() != "/v1/chat/completions" {
        let body = Bytes::from_static(
            br#"{"error":{"message":"not found","type":"invalid_request_error"}}"#,
        );
        return Ok(respond(
            StatusCode::NOT_FOUND,
            "application/json",
            body,
            true,
        ));
    }
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(respond(
                StatusCode::BAD_REQUEST,
                "text/plain",
                Bytes::new(),
                true,
            ));
        }
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        let body = Bytes::from_static(
            br#"{"error":{"message":"invalid JSON","type":"invalid_request_error"}}"#,
        );
        return Ok(respond(
            StatusCode::BAD_REQUEST,
            "application/json",
            body,
            true,
        ));
    };
    if request["stream"] != Value::Bool(true) {
        return Ok(respond(
            StatusCode::OK,
            "application/json",
            canned.completion.clone(),
            true,
        ));
    }
    let stream = if request["stream_options"]["include_usage"] == Value::Bool(true) {
        canned.stream_with_usage.clone()
    } else {
        canned.stream.clone()
    };
    let mut resp = respond(
        StatusCode::OK,
        "text/event-stream; charset=utf-8",
        stream,
        false,
    );
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

async fn serve(args: Args) -> std::io::Result<()> {
    let canned: &'static Canned = Box::leak(Box::new(Canned::render()));
    let listener = TcpListener::bind(args.listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (socket, _) = listener.accept().await?;
        socket.set_nodelay(true)?;
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(canned, req));
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(socket), service)
                .await;
        });
    }
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(serve(args))
}
