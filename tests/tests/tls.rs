//! HTTPS: the gateway serves the configured certificate (HTTP/1.1 and HTTP/2 by ALPN), refuses
//! plain HTTP on that port, and reads a renewed certificate on SIGHUP without a restart, keeping
//! the one in use when the new files are bad.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use codexkey_tests::cli::GatewayProcess;
use codexkey_tests::install_crypto_provider;
use reqwest::StatusCode;

/// A self-signed certificate for 127.0.0.1 and localhost, written as `cert.pem` and `key.pem`;
/// returns the certificate's PEM for clients to trust.
fn self_signed(dir: &Path) -> String {
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let pem = cert.cert.pem();
    std::fs::write(dir.join("cert.pem"), &pem).unwrap();
    std::fs::write(dir.join("key.pem"), cert.signing_key.serialize_pem()).unwrap();
    pem
}

/// A client that trusts only `pem`, on a fresh connection each time.
fn client(pem: &str) -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .no_proxy()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn hangup(gw: &GatewayProcess) {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &gw.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

async fn wait_for_log(gw: &mut GatewayProcess, needle: &str, times: usize) {
    for _ in 0..100 {
        if gw.log().matches(needle).count() >= times {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("`{needle}` not logged {times} time(s):\n{}", gw.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_the_configured_certificate_reloaded_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let first = self_signed(dir.path());
    let cert = dir.path().join("cert.pem").display().to_string();
    let key = dir.path().join("key.pem").display().to_string();
    let mut gw = tokio::task::block_in_place(|| {
        GatewayProcess::start_with_env(&[
            ("CODEXKEY_SERVER__TLS_CERT", &cert),
            ("CODEXKEY_SERVER__TLS_KEY", &key),
        ])
    });
    assert!(gw.url.starts_with("https://127.0.0.1:"), "{}", gw.url);
    let health = format!("{}/healthz", gw.url);

    let resp = client(&first).get(&health).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // ALPN offers HTTP/2, which a client that speaks it gets.
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let resp = client(&first)
        .get(&health)
        .version(reqwest::Version::HTTP_11)
        .send()
        .await;
    assert_eq!(resp.unwrap().status(), StatusCode::OK);

    // Plain HTTP on the TLS port gets no answer.
    let plain = health.replacen("https://", "http://", 1);
    assert!(reqwest::Client::new().get(&plain).send().await.is_err());

    // A renewed certificate takes effect on SIGHUP, for new connections.
    let second = self_signed(dir.path());
    hangup(&gw);
    wait_for_log(&mut gw, "reloaded the TLS certificate", 1).await;
    assert_eq!(
        client(&second).get(&health).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert!(
        client(&first).get(&health).send().await.is_err(),
        "the old certificate is no longer served"
    );

    // Bad files: the reload fails, says so, and the certificate in use stays.
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    hangup(&gw);
    wait_for_log(&mut gw, "TLS reload failed", 1).await;
    assert_eq!(
        client(&second).get(&health).send().await.unwrap().status(),
        StatusCode::OK
    );
}
