//! Refunds of unused credit, end to end: a real gateway, the fake Stripe (Checkout Sessions
//! and the Refunds API) and `charge.refunded` webhooks signed by the official `stripe` Python
//! package.
//!
//! The refundable part of an order follows the spending order exactly (promotional credit
//! first, then purchases oldest first, holds counted as spent) to the micro-credit; refusals
//! (over the unspent part, after the window, promotional credit, twice, an unpaid order) change
//! nothing; an approval calls Stripe once and debits the ledger once, and the `charge.refunded`
//! event for it changes nothing more; a refund made in Stripe's dashboard is booked once, capped
//! by what is unspent. After every scenario the ledger check passes and every order's state
//! matches its refunds and the ledger.

#![expect(clippy::unwrap_used, clippy::expect_used)]

use codexkey_common::Secret;
use codexkey_tests::fake_stripe::{self, FakeStripe};
use codexkey_tests::stripe_signer::StripeSigner;
use codexkey_tests::{ApiClient, Backend, TestGateway, assert_error, install_crypto_provider};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const WHSEC: &str = "whsec_codexkeyTestRefundsSecret0123456789";
const WEBHOOK: &str = "/api/v1/billing/stripe/webhook";

struct Harness {
    gw: TestGateway,
    stripe: FakeStripe,
    signer: StripeSigner,
    admin: ApiClient,
}

async fn harness_with(tweak: impl FnOnce(&mut codexkey_gateway::config::RawConfig)) -> Harness {
    install_crypto_provider();
    let stripe = FakeStripe::start().await;
    let base = stripe.base_url().to_owned();
    let gw = TestGateway::start_with(|raw| {
        raw.billing.stripe_secret_key = Some(Secret::new(fake_stripe::SECRET_KEY.to_owned()));
        raw.billing.stripe_webhook_secret = Some(Secret::new(WHSEC.to_owned()));
        raw.billing.stripe_api_base = Some(base);
        raw.billing.success_url = Some("https://gw.example/topup/done".into());
        raw.billing.cancel_url = Some("https://gw.example/topup/cancelled".into());
        tweak(raw);
    })
    .await;
    let admin = gw.admin().await;
    Harness {
        gw,
        stripe,
        signer: StripeSigner::start().await,
        admin,
    }
}

async fn harness() -> Harness {
    harness_with(|_| {}).await
}

/// A paid order: its id and the payment intent it was paid through.
struct Paid {
    id: i64,
    pi: String,
}

impl Harness {
    /// `user` buys `micros` and pays; the webhook credits it.
    async fn pay(&self, user: &ApiClient, micros: i64) -> Paid {
        let (status, body) = user
            .post("/api/v1/topup", &json!({ "amount_micros": micros }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["order"]["id"].as_i64().unwrap();
        let url = body["checkout_url"].as_str().unwrap();
        let session_id = url.rsplit('/').next().unwrap();
        let session = self.stripe.set_session(session_id, "complete", "paid");
        let event = fake_stripe::event(
            &format!("evt_paid_{id}"),
            "checkout.session.completed",
            &session,
        );
        let (status, ack) = self.deliver(&event).await;
        assert_eq!(status, StatusCode::OK, "{ack}");
        assert_eq!(ack["outcome"], "paid", "{ack}");
        Paid {
            id,
            pi: session["payment_intent"].as_str().unwrap().to_owned(),
        }
    }

    async fn deliver(&self, payload: &str) -> (StatusCode, Value) {
        let t = chrono::Utc::now().timestamp();
        let header = self.signer.sign(payload, WHSEC, t).await;
        let client = self.gw.client();
        let req = client
            .request(Method::POST, WEBHOOK)
            .header("content-type", "application/json; charset=utf-8")
            .header("Stripe-Signature", header)
            .body(payload.to_owned());
        client.send(req).await
    }

    /// Delivers `charge.refunded` for the charge of `pi` as it stands at the fake now.
    async fn charge_refunded(&self, event_id: &str, pi: &str) -> Value {
        let charge = self.stripe.charge(pi);
        let (status, ack) = self
            .deliver(&fake_stripe::event(event_id, "charge.refunded", &charge))
            .await;
        assert_eq!(status, StatusCode::OK, "{ack}");
        ack
    }

    async fn spend(&self, email: &str, micros: i64) {
        self.admin.fund(email, -micros, "spent").await;
    }

    async fn bonus(&self, email: &str, micros: i64) {
        let (status, body) = self
            .admin
            .post(
                &format!("/api/v1/admin/users/{email}/bonus"),
                &json!({ "amount_micros": micros, "reason": "welcome" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    async fn refundable(&self, user: &ApiClient, order: i64) -> i64 {
        let (status, body) = user.get(&format!("/api/v1/orders/{order}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["refundable_micros"]
            .as_i64()
            .expect("refundable_micros")
    }

    async fn request(
        &self,
        user: &ApiClient,
        order: i64,
        amount: Option<i64>,
    ) -> (StatusCode, Value) {
        let body = match amount {
            Some(a) => json!({ "amount_micros": a }),
            None => json!({}),
        };
        user.post(&format!("/api/v1/orders/{order}/refund"), &body)
            .await
    }

    fn refund_calls(&self) -> Vec<codexkey_tests::fake_stripe::StripeRequest> {
        self.stripe
            .requests()
            .into_iter()
            .filter(|r| r.path == "/v1/refunds")
            .collect()
    }

    /// The ledger check passes; every order's state follows its succeeded refunds; every
    /// refund booked (approved, succeeded, failed) has its `refund` debit of its amount, a
    /// failed one its credit back; and no other `refund` entry exists.
    async fn assert_consistent(&self) {
        let (status, check) = self.admin.get("/api/v1/admin/ledger/verify").await;
        assert_eq!(status, StatusCode::OK, "{check}");
        assert_eq!(check["ok"], true, "{check}");
        let db = self.gw.db();
        let orders: Vec<(i64, String, i64)> = db
            .prepare("SELECT id, state, amount_micros FROM orders ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (id, state, amount) in orders {
            let refunded: i64 = db
                .query_row(
                    "SELECT COALESCE(SUM(amount_micros), 0) FROM refunds
                     WHERE order_id = ?1 AND state = 'succeeded'",
                    [id],
                    |r| r.get(0),
                )
                .unwrap();
            let expected = match state.as_str() {
                "pending" | "expired" | "failed" => {
                    assert_eq!(refunded, 0, "order {id}");
                    continue;
                }
                "paid" => 0,
                "partly_refunded" => {
                    assert!(refunded > 0 && refunded < amount, "order {id}: {refunded}");
                    refunded
                }
                "refunded" => amount,
                other => panic!("order {id} is {other}"),
            };
            assert_eq!(refunded, expected, "order {id} is {state}");
        }
        let mut booked: Vec<(i64, i64)> = Vec::new();
        let rows: Vec<(String, i64, Option<i64>, Option<i64>)> = db
            .prepare("SELECT state, amount_micros, ledger_id, return_ledger_id FROM refunds")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (state, amount, ledger, back) in rows {
            match state.as_str() {
                "requested" | "denied" => assert!(ledger.is_none() && back.is_none()),
                _ => booked.push((ledger.unwrap(), -amount)),
            }
            if let Some(back) = back {
                booked.push((back, amount));
            }
        }
        booked.sort_unstable();
        let entries: Vec<(i64, i64)> = db
            .prepare(
                "SELECT id, amount_micros FROM ledger_entries WHERE kind = 'refund' ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            entries, booked,
            "every refund entry is one refund's, of its amount"
        );
    }
}

async fn balance(user: &ApiClient) -> i64 {
    let (status, body) = user.get("/api/v1/balance").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["balance_micros"].as_i64().unwrap()
}

#[tokio::test]
async fn the_refundable_part_follows_the_spending_order_and_is_refunded_once() {
    let h = harness().await;
    let email = "fifo@example.com";
    let user = h.gw.new_user(email).await;
    // The README's worked example.
    let a = h.pay(&user, 10_000_000).await;
    h.bonus(email, 3_000_000).await;
    h.spend(email, 4_500_000).await; // the bonus, then 1.5 of order A
    let b = h.pay(&user, 20_000_000).await;
    h.spend(email, 9_250_001).await; // 8.5 of A, then 0.750001 of B
    assert_eq!(balance(&user).await, 19_249_999);
    assert_eq!(h.refundable(&user, a.id).await, 0);
    // B's unspent 19.249999, down to whole cents.
    assert_eq!(h.refundable(&user, b.id).await, 19_240_000);

    // Refused, and nothing changes: A is spent, B is asked for more than is left.
    let before = h.gw.snapshot();
    let reply = h.request(&user, a.id, None).await;
    let msg = assert_error(&reply, StatusCode::CONFLICT, "conflict");
    assert!(msg.contains("promotional credit is spent first"), "{msg}");
    let reply = h.request(&user, b.id, Some(19_240_001)).await;
    let msg = assert_error(&reply, StatusCode::CONFLICT, "conflict");
    assert!(msg.contains("at most 19.24 credits"), "{msg}");
    let reply = h.request(&user, b.id, Some(0)).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    assert_eq!(h.gw.snapshot(), before);

    // Asked for all of it; a second request while it is open is refused.
    let (status, refund) = h.request(&user, b.id, None).await;
    assert_eq!(status, StatusCode::CREATED, "{refund}");
    assert_eq!(refund["state"], "requested");
    assert_eq!(refund["amount_micros"], 19_240_000);
    let reply = h.request(&user, b.id, Some(1_000_000)).await;
    let msg = assert_error(&reply, StatusCode::CONFLICT, "conflict");
    assert!(msg.contains("in progress"), "{msg}");
    assert!(h.refund_calls().is_empty());
    let id = refund["id"].as_i64().unwrap();

    // Only an admin approves.
    let reply = user
        .post_empty(&format!("/api/v1/admin/refunds/{id}/approve"))
        .await;
    assert_eq!(reply.0, StatusCode::FORBIDDEN, "{}", reply.1);
    let (status, listed) = h.admin.get("/api/v1/admin/refunds?state=requested").await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let (status, approved) = h
        .admin
        .post_empty(&format!("/api/v1/admin/refunds/{id}/approve"))
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["state"], "succeeded", "{approved}");
    assert_eq!(approved["amount_minor"], 1924);

    // Stripe was asked once, for B's payment, in cents, with an idempotency key.
    let calls = h.refund_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].field("payment_intent"), Some(b.pi.as_str()));
    assert_eq!(calls[0].field("amount"), Some("1924"));
    assert_eq!(
        calls[0].field("metadata[refund_id]"),
        Some(id.to_string().as_str())
    );
    assert!(
        calls[0]
            .idempotency_key
            .as_deref()
            .unwrap()
            .contains(&format!("refund-{id}-"))
    );
    assert_eq!(balance(&user).await, 9_999);
    let (_, order) = user.get(&format!("/api/v1/orders/{}", b.id)).await;
    assert_eq!(order["state"], "partly_refunded", "{order}");
    h.assert_consistent().await;

    // Stripe's `charge.refunded` for it changes nothing more, however often it comes.
    let before = h.gw.snapshot();
    let ack = h.charge_refunded("evt_refund_b", &b.pi).await;
    assert_eq!(ack["outcome"], "refunded", "{ack}");
    let ack = h.charge_refunded("evt_refund_b", &b.pi).await;
    assert_eq!(ack["outcome"], "duplicate", "{ack}");
    let after = h.gw.snapshot();
    assert_eq!(after.ledger, before.ledger);
    assert_eq!(balance(&user).await, 9_999);
    assert_eq!(h.refund_calls().len(), 1);

    // Approving it again is refused; nothing of B is left (0.009999 is less than a cent).
    let reply = h
        .admin
        .post_empty(&format!("/api/v1/admin/refunds/{id}/approve"))
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "conflict");
    let reply = h.request(&user, b.id, None).await;
    assert_error(&reply, StatusCode::CONFLICT, "conflict");
    let (status, mine) = user.get("/api/v1/refunds").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    h.assert_consistent().await;
}

#[tokio::test]
async fn promotional_credit_unpaid_orders_and_denials_refund_nothing() {
    let h = harness().await;
    let email = "promo@example.com";
    let user = h.gw.new_user(email).await;
    // The purchase is spent, then a bonus arrives: the balance is all promotional.
    let paid = h.pay(&user, 5_000_000).await;
    h.spend(email, 5_000_000).await;
    h.bonus(email, 10_000_000).await;
    assert_eq!(h.refundable(&user, paid.id).await, 0);
    let before = h.gw.snapshot();
    let reply = h.request(&user, paid.id, None).await;
    let msg = assert_error(&reply, StatusCode::CONFLICT, "conflict");
    assert!(msg.contains("never refundable"), "{msg}");

    // An order not paid.
    let (status, body) = user
        .post("/api/v1/topup", &json!({ "amount_micros": 7_000_000 }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let pending = body["order"]["id"].as_i64().unwrap();
    let reply = h.request(&user, pending, None).await;
    let msg = assert_error(&reply, StatusCode::CONFLICT, "conflict");
    assert!(msg.contains("only a paid order"), "{msg}");
    // Another account's order is not found.
    let other = h.gw.new_user("other@example.com").await;
    let reply = h.request(&other, paid.id, None).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(h.gw.snapshot().ledger, before.ledger);

    // A second purchase: the bonus is spent first, so all of it stays refundable.
    let second = h.pay(&user, 6_000_000).await;
    h.spend(email, 10_000_000).await;
    assert_eq!(h.refundable(&user, second.id).await, 6_000_000);
    let (status, refund) = h.request(&user, second.id, Some(2_500_000)).await;
    assert_eq!(status, StatusCode::CREATED, "{refund}");
    let id = refund["id"].as_i64().unwrap();
    let reply = h
        .admin
        .post(
            &format!("/api/v1/admin/refunds/{id}/deny"),
            &json!({ "reason": " " }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    let (status, denied) = h
        .admin
        .post(
            &format!("/api/v1/admin/refunds/{id}/deny"),
            &json!({ "reason": "used for a project" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{denied}");
    assert_eq!(denied["state"], "denied");
    assert_eq!(denied["reason"], "used for a project");
    assert!(h.refund_calls().is_empty());
    assert_eq!(balance(&user).await, 6_000_000);
    // Denied is closed: a new request may follow.
    let (status, again) = h.request(&user, second.id, None).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    h.assert_consistent().await;
}

#[tokio::test]
async fn after_the_window_nothing_is_refunded() {
    let h = harness_with(|raw| raw.billing.refund_window_secs = Some(1)).await;
    let user = h.gw.new_user("late@example.com").await;
    let paid = h.pay(&user, 5_000_000).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let before = h.gw.snapshot();
    let reply = h.request(&user, paid.id, None).await;
    let msg = assert_error(&reply, StatusCode::CONFLICT, "conflict");
    assert!(msg.contains("within 1 seconds of the payment"), "{msg}");
    assert_eq!(h.gw.snapshot(), before);
    h.assert_consistent().await;
}

#[tokio::test]
async fn automatic_approval_refunds_at_once_and_a_refused_refund_gives_the_credit_back() {
    let h = harness_with(|raw| raw.billing.refund_auto_approve = Some(true)).await;
    let email = "auto@example.com";
    let user = h.gw.new_user(email).await;
    let paid = h.pay(&user, 10_000_000).await;
    h.spend(email, 1_234_567).await;
    // Stripe refuses the first: the refund fails and the debit is given back.
    h.stripe
        .fail_next_refund(400, "invalid_request_error", "Charge has been disputed.");
    let reply = h.request(&user, paid.id, None).await;
    let msg = assert_error(&reply, StatusCode::BAD_GATEWAY, "payment_provider_error");
    assert!(msg.contains("disputed"), "{msg}");
    assert_eq!(balance(&user).await, 8_765_433);
    let (_, mine) = user.get("/api/v1/refunds").await;
    assert_eq!(mine[0]["state"], "failed", "{mine}");
    h.assert_consistent().await;

    // Asked again: approved at once, Stripe pays back the unspent 8.76.
    let (status, refund) = h.request(&user, paid.id, None).await;
    assert_eq!(status, StatusCode::CREATED, "{refund}");
    assert_eq!(refund["state"], "succeeded", "{refund}");
    assert_eq!(refund["amount_micros"], 8_760_000);
    assert_eq!(balance(&user).await, 5_433);
    let calls = h.refund_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[1].field("amount"), Some("876"));
    let (_, order) = user.get(&format!("/api/v1/orders/{}", paid.id)).await;
    assert_eq!(order["state"], "partly_refunded");
    h.assert_consistent().await;
}

#[tokio::test]
async fn a_dashboard_refund_is_booked_once_and_capped_by_the_unspent_part() {
    let h = harness().await;
    let email = "dash@example.com";
    let user = h.gw.new_user(email).await;
    let paid = h.pay(&user, 10_000_000).await;
    h.spend(email, 3_000_000).await;
    // 5.00 refunded in Stripe's dashboard: booked from the webhook, once.
    h.stripe.dashboard_refund(&paid.pi, 500);
    let ack = h.charge_refunded("evt_dash_1", &paid.pi).await;
    assert_eq!(ack["outcome"], "refunded", "{ack}");
    let ack = h.charge_refunded("evt_dash_1", &paid.pi).await;
    assert_eq!(ack["outcome"], "duplicate", "{ack}");
    assert_eq!(balance(&user).await, 2_000_000);
    let (_, mine) = user.get("/api/v1/refunds").await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine[0]["source"], "provider");
    assert_eq!(mine[0]["state"], "succeeded");
    h.assert_consistent().await;

    // 5.00 more, but only 2.00 is unspent: 2.00 is booked, the shortfall audited.
    h.stripe.dashboard_refund(&paid.pi, 500);
    let ack = h.charge_refunded("evt_dash_2", &paid.pi).await;
    assert_eq!(ack["outcome"], "refunded", "{ack}");
    assert_eq!(balance(&user).await, 0);
    let detail: String =
        h.gw.db()
            .query_row(
                "SELECT detail FROM audit_log WHERE action = 'refunds.provider' ORDER BY id DESC",
                [],
                |r| r.get(0),
            )
            .unwrap();
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["shortfall_micros"], 3_000_000, "{detail}");
    assert_eq!(detail["amount_micros"], 2_000_000, "{detail}");
    // Refunds the gateway did not make, but an event about an unknown payment: nothing.
    let before = h.gw.snapshot();
    let mut charge = h.stripe.charge(&paid.pi);
    charge["payment_intent"] = json!("pi_someone_else");
    let (status, ack) = h
        .deliver(&fake_stripe::event(
            "evt_unknown",
            "charge.refunded",
            &charge,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ack["outcome"], "rejected", "{ack}");
    assert_eq!(h.gw.snapshot().ledger, before.ledger);
    h.assert_consistent().await;
}

#[tokio::test]
async fn approval_freezes_what_is_unspent_at_that_moment() {
    let h = harness().await;
    let email = "freeze@example.com";
    let user = h.gw.new_user(email).await;
    let paid = h.pay(&user, 10_000_000).await;
    let (status, refund) = h.request(&user, paid.id, Some(8_000_000)).await;
    assert_eq!(status, StatusCode::CREATED, "{refund}");
    let id = refund["id"].as_i64().unwrap();
    // Spent after asking: only 6.543211 is unspent when the admin approves, 6.54 in cents.
    h.spend(email, 3_456_789).await;
    let (status, approved) = h
        .admin
        .post_empty(&format!("/api/v1/admin/refunds/{id}/approve"))
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["amount_micros"], 6_540_000, "{approved}");
    assert_eq!(approved["amount_minor"], 654);
    assert_eq!(h.refund_calls()[0].field("amount"), Some("654"));
    assert_eq!(balance(&user).await, 3_211);
    // All spent now: an approval finds nothing to freeze and changes nothing.
    h.spend(email, 3_211).await;
    let (status, again) = h.request(&user, paid.id, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    h.assert_consistent().await;
}

#[tokio::test]
async fn holds_in_flight_are_spent_first_and_never_refunded() {
    install_crypto_provider();
    let stripe = FakeStripe::start().await;
    let base = stripe.base_url().to_owned();
    let p = codexkey_tests::plane::Plane::start_with(0, |raw| {
        raw.billing.stripe_secret_key = Some(Secret::new(fake_stripe::SECRET_KEY.to_owned()));
        raw.billing.stripe_webhook_secret = Some(Secret::new(WHSEC.to_owned()));
        raw.billing.stripe_api_base = Some(base);
        raw.billing.success_url = Some("https://gw.example/topup/done".into());
        raw.billing.cancel_url = Some("https://gw.example/topup/cancelled".into());
    })
    .await;
    let req = p.post_anthropic(
        "/v1/messages",
        &json!({"model": "claude-opus-4-8", "max_tokens": 1000, "stream": true,
                "messages": codexkey_tests::fixtures::history(2_000)}),
    );
    let codexkey_tests::plane::Plane {
        upstream, gw, user, ..
    } = p;
    let h = Harness {
        admin: gw.admin().await,
        gw,
        stripe,
        signer: StripeSigner::start().await,
    };
    let paid = h.pay(&user, 10_000_000).await;

    // A streamed request stalls mid-answer: its hold is in flight.
    upstream.push(codexkey_tests::fake_upstream::Action::StallMidStream {
        after_events: 2,
        stall: std::time::Duration::from_secs(3),
    });
    let stream = tokio::spawn(async move { req.send().await.unwrap().text().await.unwrap() });
    let mut held = 0;
    for _ in 0..100 {
        let (_, b) = user.get("/api/v1/balance").await;
        held = b["held_micros"].as_i64().unwrap();
        if held > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(held > 0, "a hold is in flight");
    // What the hold may still charge comes out of the purchase first: the rest, in cents.
    let expected = (10_000_000 - held) / 10_000 * 10_000;
    assert_eq!(h.refundable(&user, paid.id).await, expected);
    let reply = h.request(&user, paid.id, Some(expected + 10_000)).await;
    assert_error(&reply, StatusCode::CONFLICT, "conflict");
    let (status, refund) = h.request(&user, paid.id, None).await;
    assert_eq!(status, StatusCode::CREATED, "{refund}");
    let id = refund["id"].as_i64().unwrap();
    let approve = format!("/api/v1/admin/refunds/{id}/approve");
    let (mut status, mut approved) = h.admin.post_empty(&approve).await;
    if h.gw.backend() == Backend::Postgres {
        // A refund takes only free money: while the stream's replica leases part of the
        // balance the approval is refused saying so, until the lease goes idle and returns
        // (the README's "Balances across replicas").
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while status == StatusCode::CONFLICT && std::time::Instant::now() < deadline {
            let message = approved["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains("leased by gateway replicas"), "{approved}");
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            (status, approved) = h.admin.post_empty(&approve).await;
        }
    }
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert!(
        approved["amount_micros"].as_i64().unwrap() <= expected,
        "{approved}"
    );
    // The request settles within its hold: the balance stays at or above zero.
    stream.await.unwrap();
    h.gw.flush().await;
    let holds: i64 =
        h.gw.db()
            .query_row("SELECT COUNT(*) FROM holds", [], |r| r.get(0))
            .unwrap();
    assert_eq!(holds, 0);
    assert!(balance(&user).await >= 0);
    h.assert_consistent().await;
}
