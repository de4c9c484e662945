//! The data plane's HTTP client: hyper's pooled client over rustls (platform trust store),
//! with nothing between it and the exchange. A general-purpose client re-parsed each request's
//! URL twice and ran redirect and retry layers the gateway has no use for: about a sixth of the
//! gateway's CPU per request.
//!
//! Timeouts: connecting is bounded by the connector; the response head by the exchange
//! (`first_byte_timeout`); every wait for the next piece of a body by [`UpstreamBody`]
//! (`idle_timeout`).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use hyper::body::{Body as _, Incoming};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::time::{Instant, Sleep};

use super::body::OutBody;
use crate::config::UpstreamTuning;
use crate::joined::Joined;

pub type Request = hyper::Request<OutBody>;
pub type Response = hyper::Response<Incoming>;

/// A pooled client; cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct HttpClient(Client<HttpsConnector<HttpConnector>, OutBody>);

impl HttpClient {
    pub fn new(tuning: &UpstreamTuning) -> std::io::Result<HttpClient> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(tuning.connect_timeout));
        let https = HttpsConnectorBuilder::new()
            .with_provider_and_platform_verifier(rustls::crypto::ring::default_provider())?
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(256)
            .build(https);
        Ok(HttpClient(client))
    }

    pub async fn send(&self, req: Request) -> Result<Response, SendError> {
        self.0.request(req).await.map_err(SendError)
    }
}

/// A request that got no response head.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SendError(hyper_util::client::legacy::Error);

impl SendError {
    /// Whether the connection attempt timed out (upstream unreachable in time).
    pub fn is_timeout(&self) -> bool {
        timed_out(&self.0)
    }
}

fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(e) = cur {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        cur = e.source();
    }
    false
}

/// Why a response body stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("no data from upstream for {0:?}")]
    Idle(Duration),
    #[error("{0}")]
    Broken(#[from] hyper::Error),
}

impl BodyError {
    pub fn is_timeout(&self) -> bool {
        matches!(self, BodyError::Idle(_))
    }
}

/// A response body as a stream of chunks, failing when upstream stays silent for longer than
/// the idle timeout between two chunks. The timer is armed only while the body waits.
pub struct UpstreamBody {
    body: Incoming,
    idle: Duration,
    last: Instant,
    timer: Option<Pin<Box<Sleep>>>,
}

impl UpstreamBody {
    pub fn new(body: Incoming, idle: Duration) -> UpstreamBody {
        UpstreamBody {
            body,
            idle,
            last: Instant::now(),
            timer: None,
        }
    }

    /// The whole body; a body that came in one piece is not copied.
    pub async fn collect(mut self) -> Result<Bytes, BodyError> {
        let mut body = Joined::default();
        while let Some(chunk) = self.next().await {
            body.push(chunk?);
        }
        Ok(body.take().unwrap_or_default())
    }
}

impl Stream for UpstreamBody {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers carry nothing the gateway relays or meters.
                    if let Ok(data) = frame.into_data() {
                        this.last = Instant::now();
                        if !data.is_empty() {
                            return Poll::Ready(Some(Ok(data)));
                        }
                    }
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => {
                    let deadline = this.last + this.idle;
                    let timer = match &mut this.timer {
                        Some(t) => {
                            if t.deadline() != deadline {
                                t.as_mut().reset(deadline);
                            }
                            t
                        }
                        None => this
                            .timer
                            .insert(Box::pin(tokio::time::sleep_until(deadline))),
                    };
                    if timer.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(Some(Err(BodyError::Idle(this.idle))));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}
