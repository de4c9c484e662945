//! The money floor: no balance goes below zero and no upstream answer bends the books, whatever
//! upstream reports (absurd, negative, fractional or string counts; more than the request can
//! use), however it fails (early drops, error answers with usage), and however many requests
//! race for one balance.

use std::collections::HashSet;

use codexkey_gateway::store::postgres::scratch::ScratchSchema;
use codexkey_tests::fake_upstream::{Action, ErrorReply, Script};
use codexkey_tests::fixtures::{CREDITS_100, history};
use codexkey_tests::plane::{Plane, request_id};
use codexkey_tests::{Backend, TestGateway};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Prices of the models used here, micro-credits per 1M tokens (the shipped table).
const GPT_IN: i64 = 5_000_000;
const GPT_OUT: i64 = 30_000_000;
const OPUS_IN: i64 = 5_000_000;
const OPUS_OUT: i64 = 25_000_000;
const IMAGE_IN: i64 = 5_000_000;

fn micros(tokens_times_price: i64) -> i64 {
    (tokens_times_price as u64).div_ceil(1_000_000) as i64
}

/// The uncapped cost recorded with a request's usage event.
fn uncapped_cost(p: &Plane, request_id: &str) -> Option<i64> {
    p.gw.db()
        .query_row(
            "SELECT uncapped_cost_micros FROM usage_events WHERE request_id = ?1",
            [request_id],
            |r| r.get(0),
        )
        .unwrap()
}

fn body_len(body: &Value) -> i64 {
    serde_json::to_vec(body)
        .map(|b| b.len() as i64)
        .unwrap_or(0)
}

/// One request of each format the data plane meters, the JSON it sends, and its input price.
struct Call {
    path: &'static str,
    body: Value,
    anthropic: bool,
    streams: bool,
    input_price: i64,
    output_price: i64,
}

fn calls() -> Vec<Call> {
    let chat = |stream: bool| Call {
        path: "/v1/chat/completions",
        body: json!({"model": "gpt-5.5", "messages": history(2_000), "max_completion_tokens": 1_000, "stream": stream}),
        anthropic: false,
        streams: stream,
        input_price: GPT_IN,
        output_price: GPT_OUT,
    };
    let responses = |stream: bool| Call {
        path: "/v1/responses",
        body: json!({"model": "gpt-5.5", "input": history(2_000), "max_output_tokens": 1_000, "stream": stream}),
        anthropic: false,
        streams: stream,
        input_price: GPT_IN,
        output_price: GPT_OUT,
    };
    let messages = |stream: bool| Call {
        path: "/v1/messages",
        body: json!({"model": "claude-opus-4-8", "messages": history(2_000), "max_tokens": 1_000, "stream": stream}),
        anthropic: true,
        streams: stream,
        input_price: OPUS_IN,
        output_price: OPUS_OUT,
    };
    vec![
        chat(false),
        chat(true),
        responses(false),
        responses(true),
        messages(false),
        messages(true),
        Call {
            path: "/v1/images/generations",
            body: json!({"model": "gpt-image-1", "prompt": "a lighthouse at dusk", "n": 1}),
            anthropic: false,
            streams: false,
            input_price: IMAGE_IN,
            output_price: 40_000_000,
        },
    ]
}

impl Call {
    fn send(&self, p: &Plane) -> reqwest::RequestBuilder {
        if self.anthropic {
            p.post_anthropic(self.path, &self.body)
        } else {
            p.post(self.path, &self.body)
        }
    }
}

#[tokio::test]
async fn usage_that_cannot_be_billed_is_charged_the_estimate_in_every_format() {
    let p = Plane::start(CREDITS_100).await;
    let absurd = [
        json!(-3),
        json!("100"),
        json!(12.5),
        json!(1e30),
        json!(u64::MAX),
        json!(9_223_372_036_854_775_808_u64),
        json!(100_000_001),
    ];
    let mut charged = 0;
    for value in &absurd {
        for call in calls() {
            p.upstream
                .update_script(|s| s.output_tokens_json = Some(value.clone()));
            let resp = call.send(&p).send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{value} {}", call.path);
            let id = request_id(&resp);
            let _ = resp.text().await;
            let ev = p.event(&id).await;
            assert_eq!(
                ev.settlement, "usage_invalid",
                "{value} {}: {ev:?}",
                call.path
            );
            assert_eq!(ev.status, 200);
            if call.streams {
                // What upstream reported validly so far, topped up by the estimate of what was
                // delivered; priced like any usage.
                assert!(ev.output_tokens > 0, "{ev:?}");
                assert_eq!(
                    ev.cost_micros,
                    micros(
                        ev.input_tokens * call.input_price + ev.output_tokens * call.output_price
                    ),
                    "{value} {}: {ev:?}",
                    call.path
                );
            } else {
                // The estimate rule of a missing usage: the input, one token per 4 bytes.
                let input = (body_len(&call.body) as u64).div_ceil(4) as i64;
                assert_eq!(
                    (ev.input_tokens, ev.output_tokens, ev.cost_micros),
                    (input, 0, micros(input * call.input_price)),
                    "{value} {}",
                    call.path
                );
            }
            assert!(ev.cost_micros > 0, "never served free");
            charged += ev.cost_micros;
        }
    }
    // Nothing was stored that breaks a route or the books.
    assert_eq!(p.balance().await, (CREDITS_100 - charged, 0));
    // The ledger check counts them.
    let (status, check) = p.admin.get("/api/v1/admin/ledger/verify").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        check["anomalies"],
        json!({"usage_invalid": absurd.len() * calls().len(), "capped_at_hold": 0, "capped_excess_micros": 0})
    );
    for path in [
        "/api/v1/usage",
        "/api/v1/usage/events",
        "/api/v1/usage/summary",
        "/api/v1/ledger",
    ] {
        let (status, body) = p.user.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn usage_above_the_hold_is_charged_the_hold_and_recorded_with_both_figures() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream
        .update_script(|s| s.usage.output_tokens = 10_000_000);
    let body = json!({"model": "gpt-5.5", "messages": history(500), "max_completion_tokens": 100});
    let resp = p.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let id = request_id(&resp);
    // The hold: every byte as an input token at gpt-5.5's dearest input price, plus the cap.
    let hold = micros(body_len(&body) * GPT_IN + 100 * GPT_OUT);
    let ev = p.event(&id).await;
    assert_eq!(
        (ev.settlement.as_str(), ev.cost_micros, ev.output_tokens),
        ("capped_at_hold", hold, 10_000_000)
    );
    let uncapped = uncapped_cost(&p, &id);
    assert_eq!(uncapped, Some(micros(120 * GPT_IN + 10_000_000 * GPT_OUT)));
    // Both figures in the events API too.
    let (status, page) = p.user.get("/api/v1/usage/events").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let shown = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["request_id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(
        (&shown["cost_micros"], &shown["uncapped_cost_micros"]),
        (&json!(hold), &json!(uncapped))
    );

    // The same over a stream.
    let body = json!({"model": "claude-opus-4-8", "messages": history(500), "max_tokens": 100, "stream": true});
    let resp = p
        .post_anthropic("/v1/messages", &body)
        .send()
        .await
        .unwrap();
    let id = request_id(&resp);
    let _ = resp.text().await;
    let ev = p.event(&id).await;
    assert_eq!(ev.settlement, "capped_at_hold");
    let capped_uncapped = uncapped_cost(&p, &id).unwrap();
    let (_, check) = p.admin.get("/api/v1/admin/ledger/verify").await;
    assert_eq!(
        check["anomalies"],
        json!({"usage_invalid": 0, "capped_at_hold": 2,
               "capped_excess_micros": uncapped.unwrap() - hold + capped_uncapped - ev.cost_micros})
    );
    // Claude's dearest input-side price is the 1-hour cache write.
    assert_eq!(
        ev.cost_micros,
        micros(body_len(&body) * 10_000_000 + 100 * OPUS_OUT)
    );
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn a_balance_short_of_the_output_cap_lowers_it_and_says_so() {
    let p = Plane::start(0).await;
    let body =
        json!({"model": "gpt-5.5", "messages": history(300), "max_completion_tokens": 100_000});
    let input = micros(body_len(&body) * GPT_IN);
    // Enough for the input bound and exactly 1,000 output tokens.
    p.fund(input + 1_000 * 30).await;
    let resp = p.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()
            .get("x-codexkey-output-cap")
            .and_then(|v| v.to_str().ok()),
        Some("1000")
    );
    let id = request_id(&resp);
    let sent = p.upstream.last_request().unwrap().json();
    assert_eq!(sent["max_completion_tokens"], 1_000);
    assert_eq!(sent["messages"], body["messages"], "nothing else changed");
    // Charged what upstream reported (120 in, 50 out), well within the hold.
    let ev = p.event(&id).await;
    assert_eq!(
        (ev.settlement.as_str(), ev.cost_micros),
        ("final_usage", micros(120 * GPT_IN + 50 * GPT_OUT))
    );

    // A request without a cap of its own gets one in its format's field.
    let p = Plane::start(0).await;
    let body = json!({"model": "claude-opus-4-8", "messages": history(300), "max_tokens": 64_000, "stream": true});
    // Claude holds input at the 1-hour cache write price.
    let input = micros(body_len(&body) * 10_000_000);
    p.fund(input + 500 * 25).await;
    let resp = p
        .post_anthropic("/v1/messages", &body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()
            .get("x-codexkey-output-cap")
            .and_then(|v| v.to_str().ok()),
        Some("500")
    );
    let _ = resp.text().await;
    assert_eq!(p.upstream.last_request().unwrap().json()["max_tokens"], 500);
    let body = json!({"model": "gpt-5.5", "input": history(300)});
    let before = p.upstream.requests().len();
    let resp = p.post("/v1/responses", &body).send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    // What is left cannot pay this one's input and the least output: 402, upstream untouched.
    let (balance, _) = p.balance().await;
    if balance < micros(body_len(&body) * GPT_IN + 16 * GPT_OUT) {
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{text}");
        assert_eq!(p.upstream.requests().len(), before);
    } else {
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(p.upstream.last_request().unwrap().json()["max_output_tokens"].is_u64());
    }

    // One micro-credit: refused in the caller's format, never sent upstream.
    let p = Plane::start(1).await;
    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "gpt-5.5", "messages": history(10)}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYMENT_REQUIRED);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["code"], "insufficient_balance");
    assert!(p.upstream.requests().is_empty());
    assert_eq!(p.balance().await, (1, 0));
}

#[tokio::test]
async fn an_upstream_that_drops_early_still_gives_a_readable_answer() {
    let p = Plane::start(CREDITS_100).await;
    let ends = [
        (
            "/v1/chat/completions",
            false,
            "data: {\"error\":{\"code\":\"upstream_error\",\"message\":\"no upstream could serve the request: `openai` broke off its stream\",\"param\":null,\"type\":\"server_error\"}}\n\n",
        ),
        (
            "/v1/responses",
            false,
            "event: error\ndata: {\"code\":\"upstream_error\",\"message\":\"no upstream could serve the request: `openai` broke off its stream\",\"param\":null,\"type\":\"error\"}\n\n",
        ),
        (
            "/v1/messages",
            true,
            "event: error\ndata: {\"error\":{\"message\":\"no upstream could serve the request: `anthropic` broke off its stream\",\"type\":\"api_error\"},\"type\":\"error\"}\n\n",
        ),
    ];
    for round in 0..20 {
        for (path, anthropic, end) in ends {
            let model = if anthropic {
                "claude-opus-4-8"
            } else {
                "gpt-5.5"
            };
            let body = json!({"model": model, "messages": history(400), "input": "hi", "max_tokens": 200, "stream": true});
            p.upstream.push(Action::CutStream {
                after_events: round % 2,
            });
            let req = if anthropic {
                p.post_anthropic(path, &body)
            } else {
                p.post(path, &body)
            };
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            let id = request_id(&resp);
            let text = resp.text().await.expect("a whole, readable response");
            assert!(text.ends_with(end), "{path} round {round}: {text}");
            let ev = p.event(&id).await;
            assert_eq!(
                (ev.settlement.as_str(), ev.error_code.as_deref()),
                ("stream_cut", Some("upstream_stream_error")),
                "{path}"
            );
            assert!(ev.cost_micros > 0, "never served free");
        }
    }
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn error_answers_with_usage_and_streams_nobody_asked_for_are_charged_their_usage() {
    let p = Plane::start(CREDITS_100).await;
    let usage_error = json!({
        "error": {"message": "content filtered after generation", "type": "invalid_request_error", "param": null, "code": "content_filter"},
        "usage": {"prompt_tokens": 300, "completion_tokens": 20, "total_tokens": 320}
    });
    p.upstream.push(Action::Error(ErrorReply {
        status: 400,
        retry_after: None,
        body: Some(usage_error.to_string()),
    }));
    let body =
        json!({"model": "gpt-5.5", "messages": history(1_500), "max_completion_tokens": 100});
    let resp = p.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let id = request_id(&resp);
    assert_eq!(resp.json::<Value>().await.unwrap(), usage_error);
    let ev = p.event(&id).await;
    assert_eq!(
        (ev.settlement.as_str(), ev.status, ev.cost_micros),
        ("error_usage", 400, micros(300 * GPT_IN + 20 * GPT_OUT))
    );

    // An upstream that streams although no stream was asked for: its usage is read from the
    // events, not estimated.
    p.upstream.set_script(Script {
        stream_regardless: true,
        ..Script::default()
    });
    let body = json!({"model": "claude-opus-4-8", "messages": history(1_500), "max_tokens": 100});
    let resp = p
        .post_anthropic("/v1/messages", &body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let id = request_id(&resp);
    assert!(resp.text().await.unwrap().contains("event: message_stop"));
    let ev = p.event(&id).await;
    assert_eq!(
        (
            ev.settlement.as_str(),
            ev.input_tokens,
            ev.output_tokens,
            ev.cost_micros
        ),
        (
            "final_usage",
            120,
            50,
            micros(120 * OPUS_IN + 50 * OPUS_OUT)
        )
    );
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn two_hundred_racing_requests_never_take_a_balance_below_zero() {
    let p = Plane::start(0).await;
    // Balances from one micro-credit to a few requests' worth.
    let balances = [
        1, 1_000, 20_000, 60_000, 150_000, 400_000, 1_000_000, 2_500_000,
    ];
    let mut users = Vec::new();
    for (i, balance) in balances.into_iter().enumerate() {
        let email = format!("racer{i}@codexkey.test");
        let user = p.gw.new_user(&email).await;
        let (status, created) = user.post("/api/v1/keys", &json!({"name": "race"})).await;
        assert_eq!(status, StatusCode::CREATED);
        p.admin.fund(&email, balance, "race funding").await;
        users.push(created["secret"].as_str().unwrap().to_owned());
    }
    // Every other answer over-reports its output far past any hold.
    let over = Script {
        usage: codexkey_tests::fake_upstream::Usage {
            output_tokens: 2_000_000,
            ..Default::default()
        },
        ..Script::default()
    };
    for _ in 0..100 {
        p.upstream.push(Action::Respond(Box::new(over.clone())));
    }
    let sends = (0..200).map(|i| {
        let key = users[i % users.len()].clone();
        let stream = i % 3 == 0;
        let (path, body, anthropic) = match i % 3 {
            0 => (
                "/v1/chat/completions",
                json!({"model": "gpt-5.5", "messages": history(800), "stream": stream, "max_completion_tokens": 400}),
                false,
            ),
            1 => (
                "/v1/responses",
                json!({"model": "gpt-5.5", "input": history(800), "stream": stream}),
                false,
            ),
            _ => (
                "/v1/messages",
                json!({"model": "claude-opus-4-8", "messages": history(800), "stream": stream, "max_tokens": 2_000}),
                true,
            ),
        };
        let req = p.http.post(p.url(path)).json(&body);
        let req = if anthropic {
            req.header("x-api-key", key)
                .header("anthropic-version", "2023-06-01")
        } else {
            req.bearer_auth(key)
        };
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status();
            let id = resp
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let _ = resp.bytes().await;
            (status, id)
        }
    });
    let results = join_all(sends).await;
    let admitted: Vec<String> = results
        .iter()
        .filter(|(status, _)| *status != StatusCode::PAYMENT_REQUIRED)
        .map(|(status, id)| {
            assert_eq!(*status, StatusCode::OK);
            id.clone().unwrap()
        })
        .collect();
    // Holds in flight take what each balance has (a request without a cap of its own holds
    // all a small balance covers): the rest are refused, never overdrawn.
    assert!(
        admitted.len() >= 5 && admitted.len() < 200,
        "{}",
        admitted.len()
    );

    let events = p.usage_events().await;
    let settled: HashSet<&str> = events.iter().map(|e| e.request_id.as_str()).collect();
    assert_eq!(settled.len(), events.len(), "each request settled once");
    assert_eq!(
        settled,
        admitted.iter().map(String::as_str).collect::<HashSet<_>>(),
        "every admitted request settled"
    );
    let db = p.gw.db();
    let negative: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM ledger_entries WHERE balance_after_micros < 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(negative, 0, "no ledger row shows a negative balance");
    let lowest: i64 = db
        .query_row("SELECT MIN(balance_micros) FROM accounts", [], |r| r.get(0))
        .unwrap();
    assert!(lowest >= 0);
    assert_eq!(p.holds().await, 0);
    assert!(events.iter().any(|e| e.settlement == "capped_at_hold"));
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn a_stream_whose_upstream_ignores_the_output_cap_is_cut_there() {
    let p = Plane::start(CREDITS_100).await;
    // 600 words where 16 tokens were asked for.
    p.upstream.update_script(|s| s.events = 600);
    for (path, anthropic, end) in [
        (
            "/v1/messages",
            true,
            "event: error\ndata: {\"error\":{\"message\":\"the upstream kept generating past the output cap of 16 tokens; the answer was cut there\",\"type\":\"api_error\"},\"type\":\"error\"}\n\n",
        ),
        (
            "/v1/chat/completions",
            false,
            "data: {\"error\":{\"code\":\"output_cap_exceeded\",\"message\":\"the upstream kept generating past the output cap of 16 tokens; the answer was cut there\",\"param\":null,\"type\":\"server_error\"}}\n\n",
        ),
    ] {
        // Prices, and the dearest input-side price the hold counts every byte at.
        let (model, input_price, output_price, dearest_input) = if anthropic {
            ("claude-opus-4-8", OPUS_IN, OPUS_OUT, 10_000_000)
        } else {
            ("gpt-5.5", GPT_IN, GPT_OUT, GPT_IN)
        };
        let body =
            json!({"model": model, "messages": history(500), "max_tokens": 16, "stream": true});
        let req = if anthropic {
            p.post_anthropic(path, &body)
        } else {
            p.post(path, &body)
        };
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let id = request_id(&resp);
        let text = resp.text().await.unwrap();
        assert!(text.ends_with(end), "{path}: {text}");
        let ev = p.event(&id).await;
        // Cut once the delivered estimate passed twice the cap plus 64 tokens (96), at the delta
        // that crossed it: far before the 600th word.
        assert!((97..=110).contains(&ev.output_tokens), "{path}: {ev:?}");
        assert_eq!(
            (ev.settlement.as_str(), ev.error_code.as_deref()),
            ("stream_cut", Some("output_cap_exceeded")),
            "{path}"
        );
        // The estimate, at most the hold.
        let hold = micros(body_len(&body) * dearest_input + 16 * output_price);
        assert_eq!(
            ev.cost_micros,
            micros(ev.input_tokens * input_price + ev.output_tokens * output_price).min(hold),
            "{path}: {ev:?}"
        );
    }
    p.assert_ledger_ok().await;
}

/// `capped` may overdraw a balance, which a lease cannot cover: a gateway on PostgreSQL refuses
/// to start with it, saying what to use instead (README, Balances across replicas).
#[tokio::test]
async fn the_postgres_store_refuses_capped_admission_at_start_up() {
    let schema = ScratchSchema::create().await;
    let url = schema.url();
    let started = TestGateway::try_start_with(|raw| {
        raw.database_url = Some(url.clone());
        raw.metering.admission = Some("capped".into());
    })
    .await;
    let err = match started {
        Ok(gw) => {
            gw.stop().await;
            panic!("a gateway on PostgreSQL started with capped admission");
        }
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains(
            "`metering.admission = \"capped\"` may overdraw, which balances leased across replicas cannot: use `bounded` with PostgreSQL"
        ),
        "{err}"
    );
    // `bounded` on the same schema starts.
    let url = schema.url();
    let gw = TestGateway::start_with(|raw| raw.database_url = Some(url)).await;
    gw.stop().await;
}

#[tokio::test]
async fn capped_admission_is_the_older_rule_kept_on_request() {
    if codexkey_tests::sqlite_only(
        "the PostgreSQL store refuses `admission = \"capped\"` at start-up: it may overdraw, which balances leased across replicas cannot",
    ) {
        return;
    }
    // `capped`: admitted on any positive balance, holding at most max_hold_credits, charged
    // in full. A documented choice, and the overdraft it allows shows.
    let p = Plane::start_with(1, |raw| {
        raw.metering.admission = Some("capped".into());
    })
    .await;
    let body = json!({"model": "gpt-5.5", "messages": history(100), "max_completion_tokens": 100});
    let resp = p.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get("x-codexkey-output-cap").is_none());
    let id = request_id(&resp);
    let ev = p.event(&id).await;
    let cost = micros(120 * GPT_IN + 50 * GPT_OUT);
    assert_eq!(
        (ev.settlement.as_str(), ev.cost_micros),
        ("final_usage", cost)
    );
    assert_eq!(p.balance().await, (1 - cost, 0));
    // Below zero, nothing more is admitted.
    let resp = p.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYMENT_REQUIRED);
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn an_admin_debit_cannot_take_what_requests_in_flight_hold() {
    let p = Plane::start(1_000_000).await;
    // A slow stream whose hold takes most of the balance.
    p.upstream.update_script(|s| {
        s.event_delay = std::time::Duration::from_millis(20);
    });
    let body = json!({"model": "claude-opus-4-8", "messages": history(200), "max_tokens": 30_000, "stream": true});
    let hold = micros(body_len(&body) * 10_000_000 + 30_000 * OPUS_OUT);
    let resp = p
        .post_anthropic("/v1/messages", &body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(p.balance().await, (1_000_000, hold));
    let adjust = |micros: i64| json!({ "amount_micros": micros, "reason": "manual correction" });
    let path = format!("/api/v1/admin/users/{}/adjust", p.user_email);
    // On PostgreSQL the money a request may spend is its replica's balance lease, granted as
    // the README's "Balances across replicas" says: the request's need plus a quarter of what
    // is free beyond it (at most 16 times the need). A debit takes only what no lease holds.
    let (taken, message) = match p.gw.backend() {
        Backend::Sqlite => (hold, "credits are held by requests in flight"),
        Backend::Postgres => (
            hold + (16 * hold).min((1_000_000 - hold) / 4),
            "credits are leased by gateway replicas for this account's requests",
        ),
    };
    let (status, err) = p.admin.post(&path, &adjust(-(1_000_000 - taken) - 1)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    let idle = match p.gw.backend() {
        Backend::Sqlite => "",
        Backend::Postgres => " (leases idle for a few seconds return)",
    };
    assert_eq!(
        err["error"]["message"],
        format!(
            "{} {message}; at most {} credits can be debited now{idle}",
            codexkey_common::Micros(taken),
            codexkey_common::Micros(1_000_000 - taken)
        )
    );
    let (status, _) = p.admin.post(&path, &adjust(-(1_000_000 - taken))).await;
    assert_eq!(status, StatusCode::OK);
    // The stream still settles within what is left.
    let _ = resp.text().await;
    let (balance, held) = p.balance().await;
    assert_eq!(held, 0);
    assert!(balance >= 0, "{balance}");
    p.assert_ledger_ok().await;
}
