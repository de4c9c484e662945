//! Top-ups paid through Stripe, end to end: a real gateway, a fake Stripe API on loopback that
//! speaks Stripe's wire format (`codexkey_tests::fake_stripe`), and webhook payloads signed by
//! the official `stripe` Python package (`codexkey_tests::stripe_signer`), so the gateway's
//! verification is checked against Stripe's own scheme.
//!
//! An order is credited exactly once whatever the deliveries (replays, five at once, a late
//! webhook after the sweeper); a delivery that does not verify changes nothing; an event for no
//! order, another provider's order, or not the order's amount, currency or reference changes
//! nothing but one audit row and its recorded id (answered 200, so Stripe stops re-delivering);
//! limits refuse before Stripe is contacted. After every scenario the ledger check passes and
//! every order's state matches the ledger.

#![expect(clippy::unwrap_used, clippy::expect_used)]

use codexkey_common::Secret;
use codexkey_tests::fake_stripe::{self, FakeStripe};
use codexkey_tests::stripe_signer::StripeSigner;
use codexkey_tests::{
    ApiClient, Backend, DbSnapshot, TestGateway, assert_error, contains_bytes,
    install_crypto_provider,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::task::JoinSet;

const WHSEC: &str = "whsec_codexkeyTestPrimarySecret0123456789";
const WHSEC_NEXT: &str = "whsec_codexkeyTestRotatedSecret9876543210";
const WHSEC_UNKNOWN: &str = "whsec_someoneElsesEndpointSecret000000000";
const WEBHOOK: &str = "/api/v1/billing/stripe/webhook";

struct Harness {
    gw: TestGateway,
    stripe: FakeStripe,
    signer: StripeSigner,
    admin: ApiClient,
}

/// A gateway whose Stripe is the fake, with `tweak` applied after the Stripe settings.
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

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Harness {
    /// Creates a top-up of `micros` as `user`; answers the order and its checkout URL.
    async fn topup(&self, user: &ApiClient, micros: i64) -> (Value, String) {
        let (status, body) = user
            .post("/api/v1/topup", &json!({ "amount_micros": micros }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let url = body["checkout_url"]
            .as_str()
            .expect("checkout_url")
            .to_owned();
        (body["order"].clone(), url)
    }

    /// The fake's session of `order` (by the checkout URL's last segment).
    fn session_id(url: &str) -> String {
        url.rsplit('/').next().expect("a session id").to_owned()
    }

    /// Delivers `payload` signed with `secret` at `t` (the official package signs it).
    async fn deliver_signed(&self, payload: &str, secret: &str, t: i64) -> (StatusCode, Value) {
        let header = self.signer.sign(payload, secret, t).await;
        self.deliver_raw(payload.to_owned(), Some(header)).await
    }

    async fn deliver(&self, payload: &str) -> (StatusCode, Value) {
        self.deliver_signed(payload, WHSEC, now_secs()).await
    }

    async fn deliver_raw(&self, payload: String, header: Option<String>) -> (StatusCode, Value) {
        let client = self.gw.client();
        let mut req = client
            .request(Method::POST, WEBHOOK)
            .header("content-type", "application/json; charset=utf-8")
            .body(payload);
        if let Some(h) = header {
            req = req.header("Stripe-Signature", h);
        }
        client.send(req).await
    }

    /// Everything a delivery could change: the control-plane tables, orders and events.
    fn state(&self) -> (DbSnapshot, Vec<OrderRow>, Vec<EventRow>) {
        (self.gw.snapshot(), orders(&self.gw), events(&self.gw))
    }

    /// The ledger check passes, and every order's state matches the ledger: a paid order points
    /// at a `payment` entry of its account and amount, not promotional, and no other order has
    /// an entry; every `payment` entry is some paid order's.
    async fn assert_consistent(&self) {
        let (status, check) = self.admin.get("/api/v1/admin/ledger/verify").await;
        assert_eq!(status, StatusCode::OK, "{check}");
        assert_eq!(check["ok"], true, "{check}");
        let snap = self.gw.snapshot();
        let orders = orders(&self.gw);
        let mut paid_entries = Vec::new();
        for o in &orders {
            match (o.state.as_str(), o.ledger_id) {
                ("paid", Some(id)) => {
                    let e = snap.ledger.iter().find(|e| e.id == id).expect("its entry");
                    assert_eq!(e.kind, "payment", "{o:?}");
                    assert_eq!(e.account_id, o.account_id, "{o:?}");
                    assert_eq!(e.amount_micros, o.amount_micros, "{o:?}");
                    assert!(!e.promotional, "{o:?}");
                    paid_entries.push(id);
                }
                ("pending" | "expired" | "failed", None) => {}
                _ => panic!("an order whose state does not match the ledger: {o:?}"),
            }
        }
        let mut payments: Vec<i64> = snap
            .ledger
            .iter()
            .filter(|e| e.kind == "payment")
            .map(|e| e.id)
            .collect();
        payments.sort_unstable();
        paid_entries.sort_unstable();
        assert_eq!(payments, paid_entries, "every payment is one paid order's");
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct OrderRow {
    id: i64,
    account_id: i64,
    state: String,
    amount_micros: i64,
    amount_minor: i64,
    currency: String,
    session_id: Option<String>,
    ledger_id: Option<i64>,
}

fn orders(gw: &TestGateway) -> Vec<OrderRow> {
    let db = gw.db();
    let mut stmt = db
        .prepare(
            "SELECT id, account_id, state, amount_micros, amount_minor, currency, session_id,
                    ledger_id FROM orders ORDER BY id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok(OrderRow {
            id: r.get(0)?,
            account_id: r.get(1)?,
            state: r.get(2)?,
            amount_micros: r.get(3)?,
            amount_minor: r.get(4)?,
            currency: r.get(5)?,
            session_id: r.get(6)?,
            ledger_id: r.get(7)?,
        })
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// `(event id, type, order, outcome)` of every recorded provider event.
type EventRow = (String, String, Option<i64>, String);

fn events(gw: &TestGateway) -> Vec<EventRow> {
    let db = gw.db();
    // The table has no id: in insertion order, SQLite's `rowid`, PostgreSQL's `ctid` (rows are
    // never updated or deleted, so they stay where they were written).
    let order = match db.backend() {
        Backend::Sqlite => "rowid",
        Backend::Postgres => "ctid",
    };
    let mut stmt = db
        .prepare(&format!(
            "SELECT event_id, event_type, order_id, outcome FROM provider_events ORDER BY {order}"
        ))
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

async fn balance_of(user: &ApiClient) -> i64 {
    let (status, body) = user.get("/api/v1/balance").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["balance_micros"].as_i64().expect("balance")
}

fn actions(snap: &DbSnapshot) -> Vec<&str> {
    snap.audit.iter().map(|a| a.action.as_str()).collect()
}

#[tokio::test]
async fn a_paid_checkout_credits_the_order_once_exactly() {
    let h = harness().await;
    let user = h.gw.new_user("buyer@example.com").await;
    let (order, url) = h.topup(&user, 12_340_000).await;
    assert_eq!(order["state"], "pending", "{order}");
    assert_eq!(order["amount_micros"], 12_340_000);
    assert_eq!(order["amount_minor"], 1234);
    assert_eq!(order["currency"], "usd");
    assert_eq!(order["provider"], "stripe");
    assert_eq!(order["checkout_url"], url.as_str());
    let id = order["id"].as_i64().unwrap();

    // What the gateway sent Stripe: one form-encoded session creation, authenticated, with
    // the amount in cents and an idempotency key.
    let sent = h.stripe.requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let create = &sent[0];
    assert_eq!(create.path, "/v1/checkout/sessions");
    assert_eq!(
        create.authorization.as_deref(),
        Some(format!("Bearer {}", fake_stripe::SECRET_KEY).as_str())
    );
    assert_eq!(
        create.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    for (key, value) in [
        ("mode", "payment"),
        ("line_items[0][quantity]", "1"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "1234"),
        (
            "line_items[0][price_data][product_data][name]",
            "12.34 codexkey credits",
        ),
        ("metadata[order_id]", &id.to_string()),
        ("client_reference_id", &format!("order_{id}")),
        ("success_url", "https://gw.example/topup/done"),
        ("cancel_url", "https://gw.example/topup/cancelled"),
    ] {
        assert_eq!(create.field(key), Some(value), "{key}: {create:?}");
    }
    let key = create.idempotency_key.clone().expect("an Idempotency-Key");
    assert!(key.contains(&format!("order-{id}-")), "{key}");

    // The payer pays; Stripe says so.
    let session_id = Harness::session_id(&url);
    let session = h.stripe.set_session(&session_id, "complete", "paid");
    let payload = fake_stripe::event("evt_paid_1", "checkout.session.completed", &session);
    let (status, ack) = h.deliver(&payload).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack, json!({ "received": true, "outcome": "paid" }));
    assert_eq!(balance_of(&user).await, 12_340_000);
    let (status, order) = user.get(&format!("/api/v1/orders/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(order["state"], "paid");
    assert!(order["paid_at"].is_string(), "{order}");
    assert!(
        order["checkout_url"].is_null(),
        "a paid order has no page to pay"
    );
    let (_, ledger) = user.get("/api/v1/ledger").await;
    let entry = &ledger["entries"][0];
    assert_eq!(entry["kind"], "payment", "{ledger}");
    assert_eq!(entry["amount_micros"], 12_340_000);
    assert_eq!(entry["promotional"], false);
    let snap = h.gw.snapshot();
    let acts = actions(&snap);
    assert!(
        acts.contains(&"orders.create") && acts.contains(&"orders.paid"),
        "{acts:?}"
    );
    assert_eq!(
        events(&h.gw),
        [(
            "evt_paid_1".to_owned(),
            "checkout.session.completed".to_owned(),
            Some(id),
            "paid".to_owned()
        )]
    );

    // Re-delivered, five times: nothing more.
    let before = h.state();
    for _ in 0..5 {
        let (status, ack) = h.deliver(&payload).await;
        assert_eq!(status, StatusCode::OK, "{ack}");
        assert_eq!(ack["outcome"], "duplicate", "{ack}");
    }
    assert_eq!(h.state(), before, "a re-delivered event changes nothing");
    assert_eq!(balance_of(&user).await, 12_340_000);

    // Another order's event delivered five times at once: one credit.
    let (order2, url2) = h.topup(&user, 5_000_000).await;
    let session2 = h
        .stripe
        .set_session(&Harness::session_id(&url2), "complete", "paid");
    let payload2 = fake_stripe::event("evt_paid_2", "checkout.session.completed", &session2);
    let mut set = JoinSet::new();
    for _ in 0..5 {
        let header = h.signer.sign(&payload2, WHSEC, now_secs()).await;
        let client = h.gw.client();
        let req = client
            .request(Method::POST, WEBHOOK)
            .header("Stripe-Signature", header)
            .body(payload2.clone());
        set.spawn(client.send(req));
    }
    let mut outcomes = Vec::new();
    while let Some(done) = set.join_next().await {
        let (status, ack) = done.unwrap();
        assert_eq!(status, StatusCode::OK, "{ack}");
        outcomes.push(ack["outcome"].as_str().unwrap().to_owned());
    }
    outcomes.sort();
    assert_eq!(
        outcomes,
        ["duplicate", "duplicate", "duplicate", "duplicate", "paid"]
    );
    assert_eq!(balance_of(&user).await, 17_340_000);
    let o2 = orders(&h.gw)
        .into_iter()
        .find(|o| o.id == order2["id"].as_i64().unwrap())
        .unwrap();
    assert_eq!(o2.state, "paid");
    let (_, mine) = user.get("/api/v1/orders").await;
    assert_eq!(mine.as_array().unwrap().len(), 2, "{mine}");
    assert_eq!(mine[0]["id"], order2["id"], "newest first");
    h.assert_consistent().await;
}

#[tokio::test]
async fn deliveries_that_do_not_verify_or_do_not_match_change_nothing() {
    let h = harness().await;
    let user = h.gw.new_user("buyer@example.com").await;
    let (order, url) = h.topup(&user, 10_000_000).await;
    let id = order["id"].as_i64().unwrap();
    let session_id = Harness::session_id(&url);
    let paid = h.stripe.set_session(&session_id, "complete", "paid");
    let good = fake_stripe::event("evt_good", "checkout.session.completed", &paid);

    // Not from Stripe: 400, and nothing is read, recorded or changed.
    let before = h.state();
    let t = now_secs();
    let forged = h.signer.sign(&good, WHSEC_UNKNOWN, t).await;
    let stale = h.signer.sign(&good, WHSEC, t - 400).await;
    let future = h.signer.sign(&good, WHSEC, t + 400).await;
    let tampered_body = good.replace("\"amount_total\":1000", "\"amount_total\":100000");
    assert_ne!(tampered_body, good);
    let signed_good = h.signer.sign(&good, WHSEC, t).await;
    for (what, payload, header, says) in [
        (
            "another secret",
            good.clone(),
            Some(forged),
            "no signature matches",
        ),
        (
            "a stale timestamp",
            good.clone(),
            Some(stale),
            "beyond the tolerance",
        ),
        (
            "a future timestamp",
            good.clone(),
            Some(future),
            "beyond the tolerance",
        ),
        (
            "a tampered body",
            tampered_body,
            Some(signed_good.clone()),
            "no signature matches",
        ),
        ("no header", good.clone(), None, "no `Stripe-Signature`"),
        (
            "a v0 signature only",
            good.clone(),
            Some(signed_good.replace("v1=", "v0=")),
            "no `v1=`",
        ),
    ] {
        let reply = h.deliver_raw(payload, header).await;
        let message = assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
        assert!(message.contains(says), "{what}: {message}");
    }
    assert_eq!(h.state(), before, "refused deliveries change nothing");

    // From Stripe, but not this order's terms, or no order of ours at all: answered 200
    // (Stripe would re-deliver anything else for days), nothing changes but the event's record
    // and one audit row saying why.
    let mut other_amount = paid.clone();
    other_amount["amount_total"] = json!(999);
    let mut other_currency = paid.clone();
    other_currency["currency"] = json!("eur");
    let mut other_reference = paid.clone();
    other_reference["metadata"]["order_id"] = json!((id + 1).to_string());
    other_reference["client_reference_id"] = json!(format!("order_{}", id + 1));
    let mut unknown_session = paid.clone();
    unknown_session["id"] = json!("cs_test_neverCreatedByUs");
    // An order of another provider with a session id that looks like Stripe's: a Stripe event
    // naming it must not complete it.
    let account_id: i64 =
        h.gw.db()
            .query_row(
                "SELECT id FROM accounts WHERE email = 'buyer@example.com'",
                [],
                |r| r.get(0),
            )
            .unwrap();
    h.gw.db_rw()
        .execute(
            "INSERT INTO orders (account_id, provider, amount_micros, currency, amount_minor,
                                 state, session_id, created_at, updated_at)
             VALUES (?1, 'otherpay', 10000000, 'usd', 1000, 'pending', 'cs_test_otherpay1', 1, 1)",
            [account_id],
        )
        .unwrap();
    let mut other_provider = paid.clone();
    other_provider["id"] = json!("cs_test_otherpay1");
    other_provider["metadata"] = json!({});
    other_provider["client_reference_id"] = Value::Null;
    let cases = [
        ("evt_amount", other_amount, "charged 999 minor units"),
        ("evt_currency", other_currency, "charged in `eur`"),
        ("evt_reference", other_reference, "the session names order"),
        (
            "evt_unknown",
            unknown_session,
            "no order of stripe has this session",
        ),
        (
            "evt_provider",
            other_provider,
            "no order of stripe has this session",
        ),
    ];
    for (event_id, session, says) in cases {
        let payload = fake_stripe::event(event_id, "checkout.session.completed", &session);
        let (before_snap, before_orders, before_events) = h.state();
        let (status, ack) = h.deliver(&payload).await;
        assert_eq!(status, StatusCode::OK, "{event_id}: {ack}");
        assert_eq!(ack["outcome"], "rejected", "{event_id}: {ack}");
        let (snap, orders_now, events_now) = h.state();
        assert_eq!(orders_now, before_orders, "{event_id}: no order changed");
        assert_eq!(
            snap.ledger, before_snap.ledger,
            "{event_id}: no ledger entry"
        );
        assert_eq!(
            snap.accounts, before_snap.accounts,
            "{event_id}: no balance moved"
        );
        assert_eq!(snap.audit.len(), before_snap.audit.len() + 1, "{event_id}");
        let audit = snap.audit.last().unwrap();
        assert_eq!(audit.action, "orders.webhook_rejected", "{event_id}");
        let detail: String =
            h.gw.db()
                .query_row(
                    "SELECT detail FROM audit_log WHERE id = ?1",
                    [audit.id],
                    |r| r.get(0),
                )
                .unwrap();
        assert!(detail.contains(says), "{event_id}: {detail}");
        assert_eq!(events_now.len(), before_events.len() + 1);
        assert_eq!(events_now.last().unwrap().3, "rejected");
        // Its re-delivery adds nothing, not even an audit row.
        let after = h.state();
        let (status, ack) = h.deliver(&payload).await;
        assert_eq!(
            (status, ack["outcome"].as_str()),
            (StatusCode::OK, Some("duplicate"))
        );
        assert_eq!(h.state(), after, "{event_id}: re-delivered");
    }
    assert_eq!(balance_of(&user).await, 0);

    // An event type the gateway does not act on: answered, nothing recorded.
    let before = h.state();
    let other = fake_stripe::event("evt_pi", "payment_intent.succeeded", &json!({"id": "pi_1"}));
    let (status, ack) = h.deliver(&other).await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("ignored"))
    );
    assert_eq!(h.state(), before);

    // The order's own event still pays it, once; replaying it later changes nothing.
    let (status, ack) = h.deliver(&good).await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("paid")),
        "{ack}"
    );
    assert_eq!(balance_of(&user).await, 10_000_000);
    let before = h.state();
    let (status, ack) = h.deliver(&good).await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("duplicate"))
    );
    assert_eq!(h.state(), before, "a replayed event id changes nothing");
    // The other provider's order is untouched.
    let theirs = orders(&h.gw)
        .into_iter()
        .find(|o| o.session_id.as_deref() == Some("cs_test_otherpay1"))
        .unwrap();
    assert_eq!((theirs.state.as_str(), theirs.ledger_id), ("pending", None));
    h.assert_consistent().await;
}

#[tokio::test]
async fn during_a_secret_rotation_either_secret_signs() {
    let h = harness_with(|raw| {
        raw.billing.stripe_webhook_secret = Some(Secret::new(format!("{WHSEC}, {WHSEC_NEXT}")));
    })
    .await;
    let user = h.gw.new_user("buyer@example.com").await;
    let mut sessions = Vec::new();
    for _ in 0..3 {
        let (_, url) = h.topup(&user, 5_000_000).await;
        sessions.push(
            h.stripe
                .set_session(&Harness::session_id(&url), "complete", "paid"),
        );
    }
    let old = fake_stripe::event("evt_old", "checkout.session.completed", &sessions[0]);
    let (status, ack) = h.deliver_signed(&old, WHSEC, now_secs()).await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("paid")),
        "{ack}"
    );
    let new = fake_stripe::event("evt_new", "checkout.session.completed", &sessions[1]);
    let (status, ack) = h.deliver_signed(&new, WHSEC_NEXT, now_secs()).await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("paid")),
        "{ack}"
    );
    // While both are live Stripe sends both signatures in one header; an unknown one first
    // does not hide a good one after it.
    let both = fake_stripe::event("evt_both", "checkout.session.completed", &sessions[2]);
    let t = now_secs();
    let unknown = h.signer.sign(&both, WHSEC_UNKNOWN, t).await;
    let next = h.signer.sign(&both, WHSEC_NEXT, t).await;
    let v1 = |h: &str| h.split_once(",v1=").unwrap().1.to_owned();
    let header = format!("t={t},v1={},v1={}", v1(&unknown), v1(&next));
    let (status, ack) = h.deliver_raw(both, Some(header)).await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("paid")),
        "{ack}"
    );
    let before = h.state();
    let (status, _) = h.deliver_signed(&old, WHSEC_UNKNOWN, now_secs()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(h.state(), before);
    assert_eq!(balance_of(&user).await, 15_000_000);
    h.assert_consistent().await;
}

#[tokio::test]
async fn an_asynchronous_payment_credits_when_it_succeeds_and_never_when_it_fails() {
    let h = harness().await;
    let user = h.gw.new_user("buyer@example.com").await;
    let (order, url) = h.topup(&user, 20_000_000).await;
    let sid = Harness::session_id(&url);
    // Completed, the bank debit still in flight: the order waits.
    let unpaid = h.stripe.set_session(&sid, "complete", "unpaid");
    let completed = fake_stripe::event("evt_c1", "checkout.session.completed", &unpaid);
    let (status, ack) = h.deliver(&completed).await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("awaiting_payment")),
        "{ack}"
    );
    assert_eq!(balance_of(&user).await, 0);
    let (_, o) = user.get(&format!("/api/v1/orders/{}", order["id"])).await;
    assert_eq!(o["state"], "pending");
    let paid = h.stripe.set_session(&sid, "complete", "paid");
    let succeeded = fake_stripe::event("evt_s1", "checkout.session.async_payment_succeeded", &paid);
    let (status, ack) = h.deliver(&succeeded).await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("paid")),
        "{ack}"
    );
    assert_eq!(balance_of(&user).await, 20_000_000);

    // Another one fails: failed, no credit, and a late success for it changes nothing.
    let (order2, url2) = h.topup(&user, 7_000_000).await;
    let sid2 = Harness::session_id(&url2);
    let unpaid2 = h.stripe.set_session(&sid2, "complete", "unpaid");
    let failed = fake_stripe::event("evt_f2", "checkout.session.async_payment_failed", &unpaid2);
    let (status, ack) = h.deliver(&failed).await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("failed")),
        "{ack}"
    );
    let (_, o2) = user.get(&format!("/api/v1/orders/{}", order2["id"])).await;
    assert_eq!(o2["state"], "failed");
    let before = h.state();
    let paid2 = h.stripe.set_session(&sid2, "complete", "paid");
    let late = fake_stripe::event("evt_s2", "checkout.session.async_payment_succeeded", &paid2);
    let (status, ack) = h.deliver(&late).await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("duplicate")),
        "{ack}"
    );
    assert_eq!(h.state(), before, "a failed order is never credited");
    assert_eq!(balance_of(&user).await, 20_000_000);
    assert!(actions(&h.gw.snapshot()).contains(&"orders.failed"));
    h.assert_consistent().await;
}

#[tokio::test]
async fn expired_checkouts_expire_and_the_sweeper_asks_stripe_first() {
    let h = harness_with(|raw| raw.billing.order_ttl_secs = Some(0)).await;
    let user = h.gw.new_user("buyer@example.com").await;

    // Stripe says the checkout expired.
    let (expiring, url) = h.topup(&user, 5_000_000).await;
    let sid = Harness::session_id(&url);
    let expired = h.stripe.set_session(&sid, "expired", "unpaid");
    let (status, ack) = h
        .deliver(&fake_stripe::event(
            "evt_x",
            "checkout.session.expired",
            &expired,
        ))
        .await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("expired")),
        "{ack}"
    );
    let (_, o) = user
        .get(&format!("/api/v1/orders/{}", expiring["id"]))
        .await;
    assert_eq!(
        (o["state"].as_str(), &o["checkout_url"]),
        (Some("expired"), &Value::Null)
    );
    assert!(actions(&h.gw.snapshot()).contains(&"orders.expired"));

    // Four pending orders past their TTL (0 s), each in another state at Stripe.
    let mut made = Vec::new();
    for amount in [6_000_000, 7_000_000, 8_000_000, 9_000_000] {
        let (o, url) = h.topup(&user, amount).await;
        made.push((o["id"].as_i64().unwrap(), Harness::session_id(&url)));
    }
    let paid = h.stripe.set_session(&made[0].1, "complete", "paid"); // paid: no webhook yet
    // made[1]: still open at Stripe: closed there first, then expired here.
    h.stripe.set_session(&made[2].1, "complete", "unpaid"); // a payment in flight
    h.stripe.set_session(&made[3].1, "expired", "unpaid"); // expired at Stripe
    // And one whose checkout was never created (the gateway stopped in between): nobody can
    // pay it, so it fails without asking Stripe.
    let account_id = orders(&h.gw)[0].account_id;
    h.gw.db_rw()
        .execute(
            "INSERT INTO orders (account_id, provider, amount_micros, currency, amount_minor,
                                 state, created_at, updated_at)
             VALUES (?1, 'stripe', 5000000, 'usd', 500, 'pending', 1, 1)",
            [account_id],
        )
        .unwrap();
    let orphan = orders(&h.gw).last().unwrap().id;
    let requests_before = h.stripe.requests().len();
    let (status, report) = h.admin.post_empty("/api/v1/admin/orders/sweep").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report,
        json!({
            "checked": 5,
            "paid": 1,
            "expired": 2,
            "failed": 1,
            "left_pending": 1,
            "already_settled": 0
        })
    );
    let state_of = |id: i64| {
        orders(&h.gw)
            .into_iter()
            .find(|o| o.id == id)
            .unwrap()
            .state
    };
    assert_eq!(state_of(made[0].0), "paid");
    assert_eq!(state_of(made[1].0), "expired");
    assert_eq!(state_of(made[2].0), "pending");
    assert_eq!(state_of(made[3].0), "expired");
    assert_eq!(state_of(orphan), "failed");
    assert_eq!(balance_of(&user).await, 6_000_000);
    // Stripe was asked about each, and the open one was expired there.
    let asked: Vec<(String, String)> = h.stripe.requests()[requests_before..]
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    for (_, sid) in &made {
        assert!(
            asked.contains(&("GET".into(), format!("/v1/checkout/sessions/{sid}"))),
            "{asked:?}"
        );
    }
    assert!(asked.contains(&(
        "POST".into(),
        format!("/v1/checkout/sessions/{}/expire", made[1].1)
    )));
    assert_eq!(h.stripe.session(&made[1].1)["status"], "expired");
    assert_eq!(
        asked.iter().filter(|(m, _)| m == "POST").count(),
        1,
        "{asked:?}"
    );

    // The webhook for the order the sweeper credited arrives late: nothing more.
    let before = h.state();
    let (status, ack) = h
        .deliver(&fake_stripe::event(
            "evt_late",
            "checkout.session.completed",
            &paid,
        ))
        .await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("duplicate")),
        "{ack}"
    );
    assert_eq!(h.state(), before);
    // A later sweep finds only the order still waiting for its payment.
    let (_, report) = h.admin.post_empty("/api/v1/admin/orders/sweep").await;
    assert_eq!(report["checked"], 1, "{report}");
    assert_eq!(report["left_pending"], 1, "{report}");
    // And admins see every order, by state and account.
    let (status, pending) = h.admin.get("/api/v1/admin/orders?state=pending").await;
    assert_eq!(status, StatusCode::OK, "{pending}");
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["id"], made[2].0);
    let (_, theirs) = h
        .admin
        .get("/api/v1/admin/orders?account=buyer@example.com")
        .await;
    assert_eq!(theirs.as_array().unwrap().len(), 6, "{theirs}");
    let reply = h.admin.get("/api/v1/admin/orders?state=refunding").await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    let reply = user.get("/api/v1/admin/orders").await;
    assert_error(&reply, StatusCode::FORBIDDEN, "forbidden");
    let reply = user.post_empty("/api/v1/admin/orders/sweep").await;
    assert_error(&reply, StatusCode::FORBIDDEN, "forbidden");
    h.assert_consistent().await;
}

#[tokio::test]
async fn limits_refuse_before_stripe_is_asked_and_stripe_errors_are_clear() {
    let h = harness_with(|raw| {
        raw.billing.min_topup = Some(codexkey_gateway::config::DecimalText("5".into()));
        raw.billing.max_topup = Some(codexkey_gateway::config::DecimalText("100".into()));
        raw.billing.max_pending_orders = Some(2);
    })
    .await;
    let user = h.gw.new_user("buyer@example.com").await;
    let before = h.state();
    for (micros, says) in [
        (4_990_000, "the smallest top-up is 5.00 credits"),
        (100_010_000, "the largest top-up is 100.00 credits"),
        (5_000_001, "not a whole number of `usd` minor units"),
        (-5_000_000, "the smallest top-up"),
    ] {
        let reply = user
            .post("/api/v1/topup", &json!({ "amount_micros": micros }))
            .await;
        let message = assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
        assert!(message.contains(says), "{micros}: {message}");
    }
    let reply = user
        .post(
            "/api/v1/topup",
            &json!({ "amount_micros": 5_000_000, "x": 1 }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    assert_eq!(h.state(), before, "refused top-ups write nothing");
    assert!(h.stripe.requests().is_empty(), "and never reach Stripe");

    // At most two pending orders per account.
    h.topup(&user, 5_000_000).await;
    h.topup(&user, 100_000_000).await;
    let before = h.state();
    let asked = h.stripe.requests().len();
    let reply = user
        .post("/api/v1/topup", &json!({ "amount_micros": 5_000_000 }))
        .await;
    let message = assert_error(&reply, StatusCode::CONFLICT, "conflict");
    assert!(
        message.contains("2 top-ups waiting for payment"),
        "{message}"
    );
    assert_eq!(h.state(), before);
    assert_eq!(h.stripe.requests().len(), asked);
    // Another account has its own limit.
    let other = h.gw.new_user("other@example.com").await;

    // Stripe refuses: a clear 502, the order failed (it does not count as pending), and the
    // secret key is never in the message.
    h.stripe.fail_next_create(
        401,
        "invalid_request_error",
        &format!("Invalid API Key provided: {}", fake_stripe::SECRET_KEY),
    );
    let reply = other
        .post("/api/v1/topup", &json!({ "amount_micros": 5_000_000 }))
        .await;
    let message = assert_error(&reply, StatusCode::BAD_GATEWAY, "payment_provider_error");
    assert!(
        message.contains("Invalid API Key provided: *****"),
        "{message}"
    );
    assert!(!message.contains(fake_stripe::SECRET_KEY), "{message}");
    let failed = orders(&h.gw).into_iter().last().unwrap();
    assert_eq!((failed.state.as_str(), failed.session_id), ("failed", None));
    h.stripe
        .fail_next_create(500, "api_error", "Something went wrong on Stripe's end.");
    let reply = other
        .post("/api/v1/topup", &json!({ "amount_micros": 5_000_000 }))
        .await;
    assert_error(&reply, StatusCode::BAD_GATEWAY, "payment_provider_error");
    h.topup(&other, 5_000_000).await;
    h.topup(&other, 5_000_000).await;

    // Orders are their owner's only.
    let mine = orders(&h.gw)[0].id;
    let reply = other.get(&format!("/api/v1/orders/{mine}")).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    h.assert_consistent().await;

    // Without a Stripe key, top-ups by card are off, and webhooks are not served.
    let off = TestGateway::start().await;
    let user = off.new_user("buyer@example.com").await;
    let reply = user
        .post("/api/v1/topup", &json!({ "amount_micros": 5_000_000 }))
        .await;
    let message = assert_error(&reply, StatusCode::CONFLICT, "conflict");
    assert!(message.contains("not set up"), "{message}");
    let client = off.client();
    let reply = client
        .send(client.request(Method::POST, WEBHOOK).body("{}"))
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn another_currency_is_charged_at_its_exact_rate() {
    let h = harness_with(|raw| {
        raw.billing.currency = Some("jpy".into());
        raw.billing.minor_units_per_credit = Some(150);
        raw.billing.min_topup = Some(codexkey_gateway::config::DecimalText("0.5".into()));
    })
    .await;
    let user = h.gw.new_user("buyer@example.com").await;
    let (order, url) = h.topup(&user, 10_500_000).await;
    assert_eq!(
        (order["amount_minor"].as_i64(), order["currency"].as_str()),
        (Some(1575), Some("jpy"))
    );
    let sent = &h.stripe.requests()[0];
    assert_eq!(
        sent.field("line_items[0][price_data][unit_amount]"),
        Some("1575")
    );
    assert_eq!(
        sent.field("line_items[0][price_data][currency]"),
        Some("jpy")
    );
    // 0.01 credit is 1.5 yen: not a whole number of minor units, refused rather than rounded.
    let reply = user
        .post("/api/v1/topup", &json!({ "amount_micros": 1_010_000 }))
        .await;
    let message = assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.contains("`jpy`"), "{message}");
    let session = h
        .stripe
        .set_session(&Harness::session_id(&url), "complete", "paid");
    // The same session reported in dollars is not this order's.
    let mut in_usd = session.clone();
    in_usd["currency"] = json!("usd");
    let (_, ack) = h
        .deliver(&fake_stripe::event(
            "evt_usd",
            "checkout.session.completed",
            &in_usd,
        ))
        .await;
    assert_eq!(ack["outcome"], "rejected");
    let (_, ack) = h
        .deliver(&fake_stripe::event(
            "evt_jpy",
            "checkout.session.completed",
            &session,
        ))
        .await;
    assert_eq!(ack["outcome"], "paid", "{ack}");
    assert_eq!(balance_of(&user).await, 10_500_000);
    h.assert_consistent().await;
}

#[tokio::test]
async fn the_stripe_secrets_never_reach_the_database() {
    let h = harness().await;
    let user = h.gw.new_user("buyer@example.com").await;
    let (_, url) = h.topup(&user, 5_000_000).await;
    let session = h
        .stripe
        .set_session(&Harness::session_id(&url), "complete", "paid");
    let (_, ack) = h
        .deliver(&fake_stripe::event(
            "evt_s",
            "checkout.session.completed",
            &session,
        ))
        .await;
    assert_eq!(ack["outcome"], "paid");
    h.gw.flush().await;
    for (path, bytes) in h.gw.database_files() {
        for secret in [fake_stripe::SECRET_KEY, WHSEC] {
            assert!(
                !contains_bytes(&bytes, secret.as_bytes()),
                "{} holds a Stripe secret",
                path.display()
            );
        }
    }
    h.assert_consistent().await;
}

/// The environment that points a gateway process at the fake Stripe.
fn stripe_env(base: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "CODEXKEY_BILLING__STRIPE_SECRET_KEY",
            fake_stripe::SECRET_KEY.to_owned(),
        ),
        (
            "CODEXKEY_BILLING__STRIPE_WEBHOOK_SECRET",
            format!("{WHSEC},{WHSEC_NEXT}"),
        ),
        ("CODEXKEY_BILLING__STRIPE_API_BASE", base.to_owned()),
        (
            "CODEXKEY_BILLING__SUCCESS_URL",
            "https://gw.example/done".to_owned(),
        ),
        (
            "CODEXKEY_BILLING__CANCEL_URL",
            "https://gw.example/cancelled".to_owned(),
        ),
    ]
}

/// `codexkey topup --amount`, `codexkey orders` and `codexkey admin orders` with the real binary
/// against a real gateway process, tables and `--json`; its log and `--print-config` never show
/// the Stripe secrets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_buys_credit_and_lists_orders() {
    use codexkey_tests::cli::{CliUser, GatewayProcess, USER_EMAIL, command};

    install_crypto_provider();
    let stripe = FakeStripe::start().await;
    let signer = StripeSigner::start().await;
    let env = stripe_env(stripe.base_url());
    let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Everything the gateway and its HTTP stack log at debug, searched for secrets below.
    vars.push(("CODEXKEY_LOG", "debug"));
    let mut gw = GatewayProcess::start_with_env(&vars);
    let admin = CliUser::admin(&gw);
    let user = CliUser::registered(&gw);

    // A table-free answer: the page to open on stdout, the order on stderr.
    let bought = user.run(&["topup", "--amount", "12.5"]);
    assert_eq!(bought.code, 0, "{bought:?}");
    let url = bought.stdout.trim().to_owned();
    assert!(
        url.starts_with("https://checkout.stripe.com/c/pay/cs_test_"),
        "{bought:?}"
    );
    assert_eq!(bought.stdout.lines().count(), 1, "{bought:?}");
    assert!(
        bought.stderr.contains("order 1:")
            && bought.stderr.contains("1250 usd")
            && bought.stderr.contains("pending until paid"),
        "{bought:?}"
    );
    assert_eq!(
        stripe.requests()[0].field("line_items[0][price_data][unit_amount]"),
        Some("1250")
    );
    let json = user.run(&["--json", "topup", "--amount", "5"]).json();
    assert_eq!(json["order"]["state"], "pending", "{json}");
    assert_eq!(json["order"]["amount_micros"], 5_000_000);
    assert!(json["checkout_url"].as_str().unwrap().contains("cs_test_"));

    // Refusals: the gateway's reason and a next step, exit 1; two sources is a usage error.
    let low = user.run(&["topup", "--amount", "1"]);
    assert_eq!(low.code, 1, "{low:?}");
    assert!(
        low.stderr.contains("the smallest top-up is 5.00 credits") && low.stderr.contains("hint:"),
        "{low:?}"
    );
    let both = user.run(&["topup", "--amount", "5", "--code", "CK-AAAA"]);
    assert_eq!(both.code, 2, "{both:?}");
    let bad = user.run(&["topup", "--amount", "ten"]);
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.contains("`--amount`"), "{bad:?}");

    // The first order is paid (Stripe's signed webhook), the second left pending.
    let session = stripe.set_session(url.rsplit('/').next().unwrap(), "complete", "paid");
    let payload = fake_stripe::event("evt_cli", "checkout.session.completed", &session);
    let header = signer.sign(&payload, WHSEC_NEXT, now_secs()).await;
    let reply = codexkey_tests::http_client()
        .post(format!("{}{WEBHOOK}", gw.url))
        .header("Stripe-Signature", header)
        .body(payload)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);

    let table = user.run(&["orders"]);
    assert_eq!(table.code, 0, "{table:?}");
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("paid") && l.contains("12.50")),
        "{table:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("pending") && l.contains("5.00")),
        "{table:?}"
    );
    let mine = user.run(&["--json", "orders"]).json();
    let states: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["pending", "paid"], "newest first: {mine}");
    let balance = user.run(&["--json", "balance"]).json();
    assert_eq!(balance["balance_micros"], 12_500_000, "{balance}");

    let paid = admin
        .run(&["--json", "admin", "orders", "--state", "paid"])
        .json();
    assert_eq!(paid.as_array().unwrap().len(), 1, "{paid}");
    assert_eq!(paid[0]["account"], USER_EMAIL);
    let theirs = admin
        .run(&["--json", "admin", "orders", "--account", USER_EMAIL])
        .json();
    assert_eq!(theirs.as_array().unwrap().len(), 2, "{theirs}");
    let table = admin.run(&["admin", "orders"]);
    assert_eq!(table.code, 0, "{table:?}");
    assert!(table.stdout.contains(USER_EMAIL), "{table:?}");
    let none = admin.run(&["admin", "orders", "--state", "refunding"]);
    assert_eq!(none.code, 2, "not a state: {none:?}");
    let forbidden = user.run(&["admin", "orders"]);
    assert_eq!(forbidden.code, 1, "{forbidden:?}");
    let verify = admin.run(&["admin", "verify-ledger"]);
    assert_eq!(verify.code, 0, "{verify:?}");

    // The secrets stay out of the log and of `--print-config`.
    let log = gw.log();
    assert!(
        log.contains("order paid"),
        "the log is the debug one: {log}"
    );
    for secret in [fake_stripe::SECRET_KEY, WHSEC, WHSEC_NEXT] {
        assert!(!log.contains(secret), "the log shows a secret:\n{log}");
    }
    let printed = command()
        .args(["gateway", "--print-config"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(printed.status.success(), "{printed:?}");
    let text = String::from_utf8_lossy(&printed.stdout);
    for secret in [fake_stripe::SECRET_KEY, WHSEC, WHSEC_NEXT] {
        assert!(!text.contains(secret), "{text}");
    }
    assert!(
        text.contains("billing.stripe_secret_key (CODEXKEY_BILLING__STRIPE_SECRET_KEY)")
            && text.contains("billing.stripe_webhook_secret"),
        "the secrets are named: {text}"
    );
    assert!(
        text.contains("[billing]") && text.contains("currency = \"usd\""),
        "{text}"
    );
}

#[tokio::test]
async fn a_wrong_stripe_key_is_a_clear_error_and_nothing_is_left_pending() {
    let h = harness_with(|raw| {
        raw.billing.stripe_secret_key = Some(Secret::new("sk_test_notTheRightOne123".to_owned()));
    })
    .await;
    let user = h.gw.new_user("buyer@example.com").await;
    let reply = user
        .post("/api/v1/topup", &json!({ "amount_micros": 5_000_000 }))
        .await;
    let message = assert_error(&reply, StatusCode::BAD_GATEWAY, "payment_provider_error");
    assert!(
        message.contains("refused") && message.contains("Invalid API Key provided"),
        "{message}"
    );
    assert!(!message.contains("notTheRightOne"), "{message}");
    let sent = h.stripe.requests();
    assert_eq!(
        sent[0].authorization.as_deref(),
        Some("Bearer sk_test_notTheRightOne123")
    );
    let all = orders(&h.gw);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].state, "failed");
    h.assert_consistent().await;
}

#[tokio::test]
async fn a_webhook_and_a_sweep_racing_for_one_paid_order_credit_it_once() {
    let h = harness_with(|raw| raw.billing.order_ttl_secs = Some(0)).await;
    let user = h.gw.new_user("buyer@example.com").await;
    for round in 0..5 {
        let (_, url) = h.topup(&user, 5_000_000).await;
        let paid = h
            .stripe
            .set_session(&Harness::session_id(&url), "complete", "paid");
        let payload = fake_stripe::event(
            &format!("evt_race_{round}"),
            "checkout.session.completed",
            &paid,
        );
        let header = h.signer.sign(&payload, WHSEC, now_secs()).await;
        let client = h.gw.client();
        let webhook = client.send(
            client
                .request(Method::POST, WEBHOOK)
                .header("Stripe-Signature", header)
                .body(payload),
        );
        let sweep = h.admin.post_empty("/api/v1/admin/orders/sweep");
        let ((ws, ack), (ss, report)) = tokio::join!(webhook, sweep);
        assert_eq!((ws, ss), (StatusCode::OK, StatusCode::OK), "{ack} {report}");
        let credited = u64::from(ack["outcome"] == "paid") + report["paid"].as_u64().unwrap();
        assert_eq!(credited, 1, "round {round}: {ack} {report}");
        assert_eq!(balance_of(&user).await, 5_000_000 * (round + 1));
    }
    h.assert_consistent().await;
}

#[tokio::test]
async fn the_database_refuses_to_rewrite_an_order_or_an_event() {
    let h = harness().await;
    let user = h.gw.new_user("buyer@example.com").await;
    let (order, url) = h.topup(&user, 5_000_000).await;
    let session = h
        .stripe
        .set_session(&Harness::session_id(&url), "complete", "paid");
    let (_, ack) = h
        .deliver(&fake_stripe::event(
            "evt_db",
            "checkout.session.completed",
            &session,
        ))
        .await;
    assert_eq!(ack["outcome"], "paid");
    let id = order["id"].as_i64().unwrap();
    let before = h.state();
    let db = h.gw.db_rw();
    for (sql, says) in [
        (
            "UPDATE orders SET amount_micros = 50000000 WHERE id = ?1",
            "cannot change",
        ),
        (
            "UPDATE orders SET amount_minor = 1 WHERE id = ?1",
            "cannot change",
        ),
        (
            "UPDATE orders SET currency = 'eur' WHERE id = ?1",
            "cannot change",
        ),
        (
            "UPDATE orders SET account_id = 1 WHERE id = ?1",
            "cannot change",
        ),
        (
            "UPDATE orders SET state = 'pending' WHERE id = ?1",
            "only moves forward",
        ),
        (
            "UPDATE orders SET state = 'expired' WHERE id = ?1",
            "only moves forward",
        ),
        (
            "UPDATE orders SET session_id = 'cs_other' WHERE id = ?1",
            "cannot change",
        ),
        ("UPDATE orders SET ledger_id = NULL WHERE id = ?1", ""),
        ("DELETE FROM orders WHERE id = ?1", "never deleted"),
        (
            "UPDATE provider_events SET outcome = 'rejected' WHERE order_id = ?1",
            "append-only",
        ),
        (
            "DELETE FROM provider_events WHERE order_id = ?1",
            "append-only",
        ),
    ] {
        let err = db.execute(sql, [id]).expect_err(sql).to_string();
        assert!(err.contains(says), "{sql}: {err}");
    }
    // A pending order may not be marked paid without its credit.
    let (pending, _) = h.topup(&user, 5_000_000).await;
    let before_pending = h.state();
    let err = db
        .execute(
            "UPDATE orders SET state = 'paid' WHERE id = ?1",
            [pending["id"].as_i64().unwrap()],
        )
        .expect_err("paid without a credit");
    // SQLite says "CHECK constraint failed", PostgreSQL "violates check constraint".
    assert!(
        err.to_string().to_lowercase().contains("check constraint"),
        "{err}"
    );
    assert_eq!(h.state(), before_pending);
    assert_eq!(before.0.ledger, h.gw.snapshot().ledger);
    h.assert_consistent().await;
}
