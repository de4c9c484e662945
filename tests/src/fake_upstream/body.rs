//! How a normal answer goes on the wire: a JSON body in two halves, or an SSE stream with one
//! HTTP chunk per event, each bent by a fault (stall, cut, early end, an error event).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header::{CONTENT_TYPE, HeaderName};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ctx::{Bend, Ctx, Route, set_header};

pub(super) fn json_body(value: &Value, bend: Bend) -> Response {
    let bytes = value.to_string().into_bytes();
    let mut response = match bend {
        Bend::None => Body::from(bytes).into_response(),
        // A non-stream body splits into two halves: `after == 0` bends before the body.
        Bend::Stall { after, stall } => {
            let (head, tail) = split_half(&bytes, after);
            let mut steps = vec![Step::Data(head), Step::Sleep(stall), Step::Data(tail)];
            steps.retain(|s| !matches!(s, Step::Data(d) if d.is_empty()));
            Body::from_stream(steps_stream(steps)).into_response()
        }
        Bend::Cut { after } => {
            let (head, _) = split_half(&bytes, after);
            Body::from_stream(steps_stream(vec![Step::Data(head), Step::Fail])).into_response()
        }
        Bend::EndEarly { after } | Bend::StreamError { after } => {
            let (head, _) = split_half(&bytes, after);
            Body::from(head).into_response()
        }
    };
    set_header(&mut response, CONTENT_TYPE, "application/json");
    response
}

fn split_half(bytes: &[u8], after: usize) -> (Bytes, Bytes) {
    let at = if after == 0 { 0 } else { bytes.len() / 2 };
    (
        Bytes::copy_from_slice(&bytes[..at]),
        Bytes::copy_from_slice(&bytes[at..]),
    )
}

/// One step of a streamed body.
enum Step {
    Data(Bytes),
    Sleep(Duration),
    /// Break the connection: the body errors, so the chunked encoding is never terminated.
    Fail,
}

fn steps_stream(
    steps: Vec<Step>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold(
        (steps.into_iter(), false),
        |(mut steps, sent_any)| async move {
            loop {
                match steps.next()? {
                    Step::Sleep(d) => tokio::time::sleep(d).await,
                    Step::Data(bytes) => {
                        if sent_any {
                            // Hand control back to the connection so it flushes the previous
                            // event before this one: each event leaves as its own write.
                            tokio::task::yield_now().await;
                        }
                        return Some((Ok(bytes), (steps, true)));
                    }
                    Step::Fail => {
                        // Let the events before the cut reach the socket first.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        let cut = std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "fake upstream cut the stream",
                        );
                        return Some((Err(cut), (Vec::new().into_iter(), true)));
                    }
                }
            }
        },
    )
}

pub(super) fn stream_body(ctx: &Ctx, mut events: Vec<String>, bend: Bend) -> Response {
    let mut stall_at = None;
    let mut cut = false;
    match bend {
        Bend::None => {}
        Bend::Stall { after, stall } => stall_at = Some((after, stall)),
        Bend::Cut { after } => {
            events.truncate(after);
            cut = true;
        }
        Bend::EndEarly { after } => events.truncate(after),
        Bend::StreamError { after } => {
            events.truncate(after);
            let error = stream_error_event(ctx, events.len());
            events.push(error);
        }
    }
    let count = events.len();
    let mut steps = Vec::with_capacity(count * 2 + 2);
    for (i, event) in events.into_iter().enumerate() {
        if i > 0 && !ctx.script.event_delay.is_zero() {
            steps.push(Step::Sleep(ctx.script.event_delay));
        }
        if let Some((after, stall)) = stall_at
            && i == after
        {
            steps.push(Step::Sleep(stall));
        }
        steps.push(Step::Data(Bytes::from(event)));
    }
    if let Some((after, stall)) = stall_at
        && after >= count
    {
        // Stall after the last event, before the body ends.
        steps.push(Step::Sleep(stall));
    }
    if cut {
        steps.push(Step::Fail);
    }
    let mut response = Body::from_stream(steps_stream(steps)).into_response();
    set_header(
        &mut response,
        CONTENT_TYPE,
        "text/event-stream; charset=utf-8",
    );
    set_header(
        &mut response,
        HeaderName::from_static("cache-control"),
        "no-cache",
    );
    response
}

fn stream_error_event(ctx: &Ctx, sequence_number: usize) -> String {
    match ctx.route {
        Some(Route::Messages) => sse_event(
            "error",
            &json!({
                "type": "error",
                "error": { "type": "overloaded_error", "message": "Overloaded" },
            }),
        ),
        Some(Route::Responses) => sse_event(
            "response.failed",
            &json!({
                "type": "response.failed",
                "sequence_number": sequence_number,
                "response": {
                    "id": format!("resp_fake{:040x}", ctx.id),
                    "object": "response",
                    "status": "failed",
                    "error": {
                        "code": "server_error",
                        "message": "An error occurred while processing your request.",
                    },
                    "usage": null,
                },
            }),
        ),
        _ => sse_data(&json!({
            "error": {
                "message": "The server had an error while processing your request. Sorry about that!",
                "type": "server_error",
                "param": null,
                "code": null,
            }
        })),
    }
}

pub(super) fn sse_data(value: &Value) -> String {
    format!("data: {value}\n\n")
}

pub(super) fn sse_event(name: &str, value: &Value) -> String {
    format!("event: {name}\ndata: {value}\n\n")
}
