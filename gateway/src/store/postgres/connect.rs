//! Reaching the database: the URL, TLS by its `sslmode`, and the pool of connections. What the
//! connections then run is the rest of `postgres/`.

use std::str::FromStr as _;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::config::{Host, SslMode};

use crate::store::StoreError;

/// Connections the pool keeps at most. The metering writer takes one per batch, reports and
/// the control plane the rest; PostgreSQL's default `max_connections` is 100, so several
/// replicas still fit.
const POOL_SIZE: usize = 16;

/// How long opening one connection may take before the gateway says the database is
/// unreachable (start-up) or a request fails (while serving).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a caller waits for a free pooled connection before failing.
const WAIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a pooled connection may sit idle inside a transaction before the server ends it.
/// The store's transactions never wait on anything but the database, so an idle one belongs
/// to a gateway that is frozen (stopped, swapped out, a stalled runtime) while it holds row
/// locks on accounts: every replica's writes to those accounts would queue behind it until it
/// woke. Ended, its transaction rolls back, and the gateway retries on a new connection.
/// An operator's own setting (for the role or the database) is kept.
const IDLE_IN_TRANSACTION_TIMEOUT: &str = "30s";

/// A parsed `postgres://` URL and a description of it that is safe to print.
pub struct Target {
    config: tokio_postgres::Config,
    /// `host:port/database`: what error messages name (never the user's password).
    shown: String,
}

impl Target {
    /// Parses `postgres://user:password@host:port/database?sslmode=…&options=…` (or
    /// `postgresql://`). `sslmode` is `disable`, `prefer` (the default) or `require`.
    pub fn parse(url: &str) -> Result<Target, StoreError> {
        let url = verify_full_as_require(url)?;
        // tokio-postgres' own error would not echo the URL either, but it says little.
        let mut config = tokio_postgres::Config::from_str(&url).map_err(|e| {
            StoreError::Backend(format!(
                "the PostgreSQL URL is not valid ({e}); expected `postgres://user@host:5432/database`"
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("codexkey");
        }
        let shown = shown(&config);
        Ok(Target { config, shown })
    }

    /// A pool of connections (none opened yet). By `sslmode`, as libpq reads it except that
    /// `require` also verifies:
    /// - `disable`: plain TCP;
    /// - `prefer` (the default): TLS when the server offers it, its certificate not verified
    ///   (libpq's `prefer`: a local server's self-signed certificate works), else plain TCP;
    /// - `require`: TLS, the certificate verified against the platform's trust roots for the
    ///   host named (libpq's `verify-full`): the one mode that stops an impostor.
    ///
    /// TLS is rustls with the ring provider, the workspace's one.
    pub fn pool(&self) -> Result<Pool, StoreError> {
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match self.config.get_ssl_mode() {
            SslMode::Disable => {
                Manager::from_config(self.config.clone(), tokio_postgres::NoTls, manager_config)
            }
            SslMode::Prefer => {
                Manager::from_config(self.config.clone(), tls(false)?, manager_config)
            }
            _ => Manager::from_config(self.config.clone(), tls(true)?, manager_config),
        };
        Pool::builder(manager)
            .post_create(deadpool_postgres::Hook::async_fn(|client, _| {
                Box::pin(async move {
                    bound_idle_transactions(client)
                        .await
                        .map_err(deadpool_postgres::HookError::Backend)
                })
            }))
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT * 2))
            .build()
            .map_err(|e| StoreError::Backend(format!("cannot build the connection pool: {e}")))
    }

    /// The parsed connection settings, for a connection of its own outside the pool.
    pub(super) fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// `host:port/database`: how messages name the server (never with the password).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The start-up error for a first connection that failed.
    pub fn unreachable(&self, e: deadpool_postgres::PoolError) -> StoreError {
        // tokio-postgres says "error connecting to server" and keeps the reason (refused,
        // timed out, authentication failed) in its source.
        let why = match e {
            deadpool_postgres::PoolError::Backend(e) => match std::error::Error::source(&e) {
                Some(cause) => format!("{e}: {cause}"),
                None => e.to_string(),
            },
            other => other.to_string(),
        };
        StoreError::Backend(format!("cannot reach PostgreSQL at {}: {why}", self.shown))
    }
}

/// Sets [`IDLE_IN_TRANSACTION_TIMEOUT`] on a new connection unless the server already has
/// one (a setting of the role or database, which the operator chose).
async fn bound_idle_transactions(
    client: &deadpool_postgres::ClientWrapper,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "SELECT set_config('idle_in_transaction_session_timeout', $1, false)
             WHERE current_setting('idle_in_transaction_session_timeout') = '0'",
            &[&IDLE_IN_TRANSACTION_TIMEOUT],
        )
        .await
        .map(drop)
}

/// libpq's `sslmode=verify-full` is what `require` does here (tokio-postgres knows only
/// `disable`, `prefer` and `require`), so a URL written for libpq keeps working. `verify-ca`
/// (a certificate checked without its host name) is refused by name rather than made stricter
/// behind the operator's back.
fn verify_full_as_require(url: &str) -> Result<String, StoreError> {
    let Some((head, query)) = url.split_once('?') else {
        return Ok(url.to_owned());
    };
    let params = query
        .split('&')
        .map(|p| match p {
            "sslmode=verify-full" => Ok("sslmode=require"),
            "sslmode=verify-ca" => Err(StoreError::Backend(
                "`sslmode=verify-ca` is not supported: use `sslmode=require`, which verifies the certificate and the host name (libpq's `verify-full`)".into(),
            )),
            other => Ok(other),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(format!("{head}?{}", params.join("&")))
}

/// `host:port/database` of a configuration, for messages.
fn shown(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{db}")
}

/// rustls with ring (the workspace's one provider): with `verify`, the platform's roots check
/// the server's certificate; without, any certificate is taken (the handshake's signatures
/// are still checked, so the session is encrypted to whoever holds that certificate's key).
pub(super) fn tls(verify: bool) -> Result<tokio_postgres_rustls::MakeRustlsConnect, StoreError> {
    use rustls_platform_verifier::BuilderVerifierExt as _;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?;
    let config = if verify {
        builder.with_platform_verifier().map_err(tls_error)?
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(std::sync::Arc::new(Unverified(provider)))
    }
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

fn tls_error(e: rustls::Error) -> StoreError {
    StoreError::Backend(format!("cannot set up TLS to PostgreSQL: {e}"))
}

/// `sslmode=prefer`'s verifier: takes the server's certificate as it is, checks that the
/// handshake is signed by its key.
#[derive(Debug)]
struct Unverified(std::sync::Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn messages_name_the_server_never_the_password() {
        let t =
            Target::parse("postgres://ck:s3cret@db.example:6543/billing?sslmode=require").unwrap();
        assert_eq!(t.shown, "db.example:6543/billing");
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
        let t = Target::parse("postgresql://root@127.0.0.1/test?sslmode=disable").unwrap();
        assert_eq!(t.shown, "127.0.0.1:5432/test");
        let t = Target::parse("postgres://h/db?sslmode=verify-full&user=ck").unwrap();
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(t.config.get_user(), Some("ck"));
        assert!(Target::parse("postgres://h/db?sslmode=verify-ca").is_err());
        let Err(StoreError::Backend(m)) = Target::parse("postgres://ck:s3cret@h/db?sslmode=bogus")
        else {
            panic!("an unknown sslmode is refused");
        };
        assert!(!m.contains("s3cret"), "{m}");
    }

    /// A pooled connection's `idle_in_transaction_session_timeout` on the test server, for a
    /// pool made from `url`.
    async fn idle_timeout_of(url: &str) -> String {
        let pool = Target::parse(url).unwrap().pool().unwrap();
        let client = pool.get().await.unwrap();
        client
            .query_one("SHOW idle_in_transaction_session_timeout", &[])
            .await
            .unwrap()
            .get(0)
    }

    #[tokio::test]
    async fn pooled_connections_bound_an_idle_transaction_unless_the_operator_did() {
        let server = super::super::scratch::server_url();
        assert_eq!(idle_timeout_of(&server).await, "30s");
        // A setting the operator chose (here on the connection; a role's or database's
        // setting arrives the same way) is kept, shorter or longer.
        let sep = if server.contains('?') { '&' } else { '?' };
        let own = format!("{server}{sep}options=-cidle_in_transaction_session_timeout%3D5min");
        assert_eq!(idle_timeout_of(&own).await, "5min");
    }
}
