//! The client address recorded with a request: the connection's peer, or behind a trusted
//! reverse proxy the client it names in `X-Forwarded-For` / `Forwarded`.

use codexkey_tests::fixtures::{CREDITS_100, history};
use codexkey_tests::plane::{Plane, request_id};
use reqwest::StatusCode;
use serde_json::json;

async fn recorded_ip(p: &Plane, headers: &[(&str, &str)]) -> String {
    let mut req = p.post(
        "/v1/chat/completions",
        &json!({"model": "gpt-5.5", "messages": history(200)}),
    );
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let id = request_id(&resp);
    p.gw.flush().await;
    p.gw.db()
        .query_row(
            "SELECT client_ip FROM usage_events WHERE request_id = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap()
}

#[tokio::test]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    // Without trusted proxies, the headers are a client's claim and are ignored.
    let p = Plane::start(CREDITS_100).await;
    assert_eq!(
        recorded_ip(&p, &[("x-forwarded-for", "203.0.113.7")]).await,
        "127.0.0.1"
    );

    // With the loopback proxy trusted, its header names the client; a client's own spoofed
    // entry further left does not.
    let p = Plane::start_with(CREDITS_100, |raw| {
        raw.server.trusted_proxies = Some(vec!["127.0.0.1".into()]);
    })
    .await;
    assert_eq!(
        recorded_ip(&p, &[("x-forwarded-for", "6.6.6.6, 203.0.113.7")]).await,
        "203.0.113.7"
    );
    assert_eq!(
        recorded_ip(
            &p,
            &[("forwarded", "for=\"[2001:db8::5]:443\";proto=https")]
        )
        .await,
        "2001:db8::5"
    );
    // No header: the proxy itself.
    assert_eq!(recorded_ip(&p, &[]).await, "127.0.0.1");
}
