//! A fast fake upstream for the loopback benchmark (`bench/run.sh`), speaking OpenAI Chat
//! Completions, OpenAI Responses and Anthropic Messages.
//!
//! `POST /v1/chat/completions`, `/v1/responses` and `/v1/messages` answer in their API's wire
//! format (see `codexkey_bench::answers`): one JSON body, or with `"stream":true` an SSE stream
//! of 50 events, or as many as the body's `bench-events-N` tag asks (`codexkey_bench`). Chat
//! streams carry a usage chunk only when the body asks `"include_usage":true`. Input tokens are
//! reported as a quarter of the body's bytes. The body is never parsed, only searched for those
//! flags, so a 10 MB body costs the upstream a read and a byte search. Each distinct answer is
//! rendered once and written in one piece (one HTTP chunk for streams), without delays, so the
//! upstream costs next to nothing and the benchmark measures what sits in front of it.
//! Anything else is 404.
//!
//! HTTP/1.1 with keep-alive; accepted sockets get `TCP_NODELAY`. Prints
//! `listening on http://ADDR` on stdout once bound.

#![expect(clippy::print_stdout, reason = "a benchmark tool reports on stdout")]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use bytes::Bytes;
use clap::Parser;
use codexkey_bench::Api;
use codexkey_bench::answers::{self, Ask};
use http_body_util::BodyExt as _;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Events of a stream whose request names no length: the original benchmark's 50.
const DEFAULT_EVENTS: usize = 50;

#[derive(Parser)]
#[command(about = "A fast fake OpenAI/Anthropic upstream for the codexkey benchmark")]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Tokio worker threads; 1 runs a single-threaded runtime.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

/// Answers rendered so far: a benchmark cell asks the same one over and over.
#[derive(Default)]
struct Canned(Mutex<HashMap<Ask, Bytes>>);

impl Canned {
    fn get(&self, ask: Ask) -> Bytes {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(ask)
            .or_insert_with(|| {
                let model = match ask.api {
                    Api::Chat => "gpt-4o-mini",
                    Api::Responses => "gpt-5-codex",
                    Api::Messages => "claude-sonnet-4-5",
                };
                Bytes::from(answers::render(ask, model))
            })
            .clone()
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
    let api = Api::from_path(req.uri().path()).filter(|_| req.method() == Method::POST);
    let Some(api) = api else {
        let body = Bytes::from_static(
            br#"{"error":{"message":"not found","type":"invalid_request_error"}}"#,
        );
        return Ok(respond(
            StatusCode::NOT_FOUND,
            "application/json",
            body,
            true,
        ));
    };
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
    let stream = codexkey_bench::flag_set(&body, "stream");
    let ask = Ask {
        api,
        stream,
        events: codexkey_bench::events_asked(&body).unwrap_or(DEFAULT_EVENTS),
        include_usage: api == Api::Chat && codexkey_bench::flag_set(&body, "include_usage"),
        input_tokens: (body.len() as u64 / 4).max(1),
    };
    let answer = canned.get(ask);
    if !stream {
        return Ok(respond(StatusCode::OK, "application/json", answer, true));
    }
    let mut resp = respond(
        StatusCode::OK,
        "text/event-stream; charset=utf-8",
        answer,
        false,
    );
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

async fn serve(args: Args) -> std::io::Result<()> {
    let canned: &'static Canned = Box::leak(Box::default());
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
