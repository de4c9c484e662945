//! One dedicated connection that `LISTEN`s on a channel and hands over the payloads of the
//! notifications that arrive, for the replicas' change feed (`crate::changes`). What the
//! payloads mean, and reconnecting when this connection ends, are the caller's.
//!
//! Outside the pool: a pooled connection goes back to other callers between uses, and a
//! `LISTEN` must stay on one session for as long as the gateway runs. The connection's
//! `application_name` is the pool's with `-listener` appended (`codexkey-listener` by
//! default), so it can be told apart in `pg_stat_activity`.

use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_postgres::config::SslMode;
use tokio_postgres::{AsyncMessage, Connection};

use super::connect::{Target, tls};
use crate::store::StoreError;

/// TCP keep-alive on the listening connection: a connection that went away without a word (a
/// dropped network path) is found within about a minute even while no notification comes.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 3;

/// A connection listening on one channel. Dropping it closes the connection.
pub struct Listening {
    client: tokio_postgres::Client,
    payloads: mpsc::UnboundedReceiver<Result<String, StoreError>>,
    driver: tokio::task::JoinHandle<()>,
}

impl Target {
    /// Opens a connection of its own and runs `LISTEN channel` on it. From the moment this
    /// returns, every notification committed on `channel` arrives through
    /// [`Listening::next`]. `channel` is an SQL identifier chosen by the code, never input.
    pub async fn listen(&self, channel: &'static str) -> Result<Listening, StoreError> {
        let mut config = self.config().clone();
        let name = format!(
            "{}-listener",
            config.get_application_name().unwrap_or("codexkey")
        );
        config
            .application_name(name)
            .keepalives(true)
            .keepalives_idle(KEEPALIVE_IDLE)
            .keepalives_interval(KEEPALIVE_INTERVAL)
            .keepalives_retries(KEEPALIVE_RETRIES);
        let (tx, payloads) = mpsc::unbounded_channel();
        let connect_error = |e: tokio_postgres::Error| {
            let why = match std::error::Error::source(&e) {
                Some(cause) => format!("{e}: {cause}"),
                None => e.to_string(),
            };
            StoreError::Backend(format!(
                "cannot reach PostgreSQL at {}: {why}",
                self.shown()
            ))
        };
        let (client, driver) = match config.get_ssl_mode() {
            SslMode::Disable => {
                let (client, conn) = config
                    .connect(tokio_postgres::NoTls)
                    .await
                    .map_err(connect_error)?;
                (client, tokio::spawn(drive(conn, channel, tx)))
            }
            mode => {
                let (client, conn) = config
                    .connect(tls(mode != SslMode::Prefer)?)
                    .await
                    .map_err(connect_error)?;
                (client, tokio::spawn(drive(conn, channel, tx)))
            }
        };
        let listening = Listening {
            client,
            payloads,
            driver,
        };
        listening
            .client
            .batch_execute(&format!("LISTEN {channel}"))
            .await?;
        Ok(listening)
    }
}

impl Listening {
    /// The next notification's payload; an error once the connection has ended (terminated by
    /// the server, a network failure), after which this value is spent.
    pub async fn next(&mut self) -> Result<String, StoreError> {
        match self.payloads.recv().await {
            Some(payload) => payload,
            None => Err(StoreError::Backend("the connection closed".into())),
        }
    }

    /// A round-trip on the connection: proves it still reaches the server.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.client.simple_query("").await?;
        Ok(())
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Drives the connection (without this, queries on its client never complete) and forwards
/// the payloads of `channel`'s notifications; ends with the connection, saying why.
async fn drive<S, T>(
    mut conn: Connection<S, T>,
    channel: &'static str,
    tx: mpsc::UnboundedSender<Result<String, StoreError>>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
    T: AsyncRead + AsyncWrite + Unpin,
{
    let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
    while let Some(message) = messages.next().await {
        match message {
            Ok(AsyncMessage::Notification(n)) if n.channel() == channel => {
                if tx.send(Ok(n.payload().to_owned())).is_err() {
                    return;
                }
            }
            Ok(AsyncMessage::Notice(notice)) => {
                tracing::info!(
                    severity = notice.severity(),
                    "PostgreSQL notice on the listening connection: {}",
                    notice.message()
                );
            }
            Ok(_) => {}
            Err(e) => {
                let _ = tx.send(Err(e.into()));
                return;
            }
        }
    }
    let _ = tx.send(Err(StoreError::Backend(
        "the server closed the connection".into(),
    )));
}
