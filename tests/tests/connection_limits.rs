//! Slow or idle connections cannot exhaust the gateway: headers must arrive in time, idle
//! connections are closed, a connection cap refuses the excess with a 503 instead of running
//! out of descriptors, and HTTP/2 connections carry the configured stream limit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use codexkey_tests::TestGateway;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Reads until the server closes the connection (EOF or reset); what it sent, and when.
async fn read_until_closed(tcp: &mut TcpStream, within: Duration) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + within).into(), tcp.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return (got, started.elapsed()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the connection was still open after {within:?}"),
        }
    }
}

async fn gateway(max_connections: usize) -> TestGateway {
    TestGateway::start_with(|raw| {
        raw.server.header_read_timeout_secs = Some(1);
        raw.server.idle_timeout_secs = Some(1);
        raw.server.max_connections = Some(max_connections);
        raw.server.http2_max_concurrent_streams = Some(7);
    })
    .await
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    let gw = gateway(100).await;
    let mut tcp = TcpStream::connect(gw.addr()).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let (mut reader, mut writer) = tcp.into_split();
    // One header line every 300 ms, for far longer than the 1 s allowed.
    let trickle = tokio::spawn(async move {
        for i in 0..30 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if writer
                .write_all(format!("x-slow-{i}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                return i;
            }
        }
        30
    });
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(8), reader.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => break started.elapsed(),
            Ok(Ok(_)) => continue,
            Err(_) => panic!("a trickling client kept its connection"),
        }
    };
    assert!(closed < Duration::from_secs(5), "closed after {closed:?}");
    let sent = trickle.await.unwrap();
    assert!(sent < 30, "the whole trickle was accepted");
    gw.stop().await;
}

#[tokio::test]
async fn idle_connections_are_closed_and_the_cap_refuses_the_excess() {
    let gw = gateway(10).await;
    let mut idle = Vec::new();
    for _ in 0..10 {
        idle.push(TcpStream::connect(gw.addr()).await.unwrap());
    }
    // Give the acceptor the ten before the eleventh arrives.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = TcpStream::connect(gw.addr()).await.unwrap();
    let (answer, _) = read_until_closed(&mut extra, Duration::from_secs(3)).await;
    let answer = String::from_utf8(answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{answer}"
    );
    assert!(answer.contains("\r\nretry-after: 1\r\n"), "{answer}");
    assert!(
        answer.ends_with("the gateway has too many open connections"),
        "{answer}"
    );

    // The idle ones are closed without having sent anything...
    for tcp in &mut idle {
        let (got, after) = read_until_closed(tcp, Duration::from_secs(5)).await;
        assert!(
            got.is_empty() || got.starts_with(b"HTTP/1.1 408"),
            "{got:?}"
        );
        assert!(after < Duration::from_secs(5));
    }
    // ...which frees their places: the gateway answers again.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let resp = codexkey_tests::http_client()
        .get(format!("{}/healthz", gw.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    gw.stop().await;
}

#[tokio::test]
async fn a_kept_alive_connection_is_closed_once_idle() {
    let gw = gateway(100).await;
    let mut tcp = TcpStream::connect(gw.addr()).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let (got, after) = read_until_closed(&mut tcp, Duration::from_secs(5)).await;
    let got = String::from_utf8(got).unwrap();
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
    assert!(
        after >= Duration::from_millis(900),
        "kept alive a while: {after:?}"
    );
    gw.stop().await;
}

/// One HTTP/2 frame: type, flags, payload.
async fn read_frame(tcp: &mut TcpStream) -> Option<(u8, u8, Vec<u8>)> {
    let mut head = [0u8; 9];
    tcp.read_exact(&mut head).await.ok()?;
    let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
    let mut payload = vec![0u8; len];
    tcp.read_exact(&mut payload).await.ok()?;
    Some((head[3], head[4], payload))
}

#[tokio::test]
async fn http2_connections_get_the_stream_limit_and_close_when_idle() {
    let gw = gateway(100).await;
    let mut tcp = TcpStream::connect(gw.addr()).await.unwrap();
    // The HTTP/2 preface and an empty SETTINGS frame (prior knowledge).
    tcp.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    let started = Instant::now();
    let mut settings = None;
    let mut goaway = false;
    // Behave as a well-mannered client: acknowledge SETTINGS and answer pings, send nothing else.
    while let Ok(Some((kind, flags, payload))) =
        tokio::time::timeout(Duration::from_secs(8), read_frame(&mut tcp)).await
    {
        match (kind, flags & 1) {
            (0x4, 0) => {
                settings = Some(payload);
                tcp.write_all(b"\x00\x00\x00\x04\x01\x00\x00\x00\x00")
                    .await
                    .unwrap();
            }
            (0x6, 0) => {
                let mut ack = b"\x00\x00\x08\x06\x01\x00\x00\x00\x00".to_vec();
                ack.extend_from_slice(&payload);
                let _ = tcp.write_all(&ack).await;
            }
            (0x7, _) => goaway = true,
            _ => {}
        }
    }
    let closed_after = started.elapsed();
    let settings: Vec<(u16, u32)> = settings
        .expect("the server's SETTINGS")
        .chunks(6)
        .map(|e| {
            (
                u16::from_be_bytes([e[0], e[1]]),
                u32::from_be_bytes([e[2], e[3], e[4], e[5]]),
            )
        })
        .collect();
    // SETTINGS_MAX_CONCURRENT_STREAMS (0x3) and SETTINGS_MAX_HEADER_LIST_SIZE (0x6).
    assert!(settings.contains(&(0x3, 7)), "{settings:?}");
    assert!(settings.contains(&(0x6, 65_536)), "{settings:?}");
    // With no request for a second, the connection ends with a GOAWAY and is closed.
    assert!(goaway, "a GOAWAY before closing");
    assert!(closed_after < Duration::from_secs(8), "{closed_after:?}");
    gw.stop().await;
}
