//! Referrals, end to end: a real gateway, the fake Stripe and signed webhooks. A referee's paid
//! top-ups earn the referrer a promotional commission exact to the micro-credit (only paid
//! top-ups, on the first N, within M), taken back proportionally when a top-up is refunded, at
//! most what the referrer's balance holds (the shortfall audited). After every scenario the
//! ledger check passes.

#![expect(clippy::unwrap_used)]

use codexkey_common::Secret;
use codexkey_tests::fake_stripe::{self, FakeStripe};
use codexkey_tests::stripe_signer::StripeSigner;
use codexkey_tests::{
    ApiClient, TestGateway, USER_PASSWORD, assert_error, install_crypto_provider,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const WHSEC: &str = "whsec_codexkeyTestReferralSecret012345678";

struct Harness {
    gw: TestGateway,
    stripe: FakeStripe,
    signer: StripeSigner,
    admin: ApiClient,
}

/// A gateway charging in a test currency of a million minor units per credit, so any amount
/// of micro-credits can be paid.
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
        raw.billing.currency = Some("xts".into());
        raw.billing.minor_units_per_credit = Some(1_000_000);
        raw.billing.referral_max_topups = Some(2);
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

impl Harness {
    async fn pay(&self, user: &ApiClient, micros: i64) -> i64 {
        let (status, body) = user
            .post("/api/v1/topup", &json!({ "amount_micros": micros }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["order"]["id"].as_i64().unwrap();
        let url = body["checkout_url"].as_str().unwrap();
        let session = self
            .stripe
            .set_session(url.rsplit('/').next().unwrap(), "complete", "paid");
        let payload = fake_stripe::event(
            &format!("evt_paid_{id}"),
            "checkout.session.completed",
            &session,
        );
        let header = self
            .signer
            .sign(&payload, WHSEC, chrono::Utc::now().timestamp())
            .await;
        let client = self.gw.client();
        let req = client
            .request(Method::POST, "/api/v1/billing/stripe/webhook")
            .header("content-type", "application/json")
            .header("Stripe-Signature", header)
            .body(payload);
        let (status, ack) = client.send(req).await;
        assert_eq!(status, StatusCode::OK, "{ack}");
        assert_eq!(ack["outcome"], "paid", "{ack}");
        id
    }

    /// `user` asks for `micros` of `order` back and the admin approves.
    async fn refund(&self, user: &ApiClient, order: i64, micros: i64) {
        let (status, refund) = user
            .post(
                &format!("/api/v1/orders/{order}/refund"),
                &json!({ "amount_micros": micros }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{refund}");
        let id = refund["id"].as_i64().unwrap();
        let (status, done) = self
            .admin
            .post_empty(&format!("/api/v1/admin/refunds/{id}/approve"))
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["state"], "succeeded", "{done}");
        assert_eq!(done["amount_micros"], micros, "{done}");
    }

    async fn register_referred(&self, email: &str, code: &str) -> ApiClient {
        let (status, body) = self
            .gw
            .client()
            .post(
                "/api/v1/auth/register",
                &json!({ "email": email, "password": USER_PASSWORD, "referral_code": code }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.gw.login(email, USER_PASSWORD).await
    }

    async fn assert_consistent(&self) {
        let (status, check) = self.admin.get("/api/v1/admin/ledger/verify").await;
        assert_eq!(status, StatusCode::OK, "{check}");
        assert_eq!(check["ok"], true, "{check}");
    }

    fn commissions(&self) -> Vec<(String, i64, i64)> {
        self.gw
            .db()
            .prepare("SELECT kind, amount_micros, due_micros FROM referral_commissions ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

async fn balance(user: &ApiClient) -> i64 {
    let (status, body) = user.get("/api/v1/balance").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["balance_micros"].as_i64().unwrap()
}

async fn referral(user: &ApiClient) -> Value {
    let (status, body) = user.get("/api/v1/referral").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn commissions_are_exact_limited_to_paid_top_ups_and_taken_back_on_refund() {
    let h = harness_with(|_| {}).await;
    let referrer = h.gw.new_user("rita@example.com").await;
    let mine = referral(&referrer).await;
    let code = mine["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("REF-") && code.len() == 12, "{mine}");
    assert_eq!(mine["rate_bps"], 1000, "10% by default");
    assert_eq!(mine["referees"], json!([]));
    assert_eq!(
        referral(&referrer).await["code"],
        code.as_str(),
        "one code, kept"
    );

    // An unknown code: refused, and no account is created.
    let before = h.gw.snapshot();
    let reply = h
        .gw
        .client()
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "x@example.com", "password": USER_PASSWORD, "referral_code": "REF-NOPE0000" }),
        )
        .await;
    let msg = assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(msg.contains("no account has the referral code"), "{msg}");
    assert_eq!(h.gw.snapshot().accounts, before.accounts);

    // Registered with the code as typed (case does not matter).
    let email = "robert@example.com";
    let referee = h.register_referred(email, &code.to_lowercase()).await;

    // Paid top-up: 10% of 12.345678 is 1.2345678, earned as 1.234567 (promotional).
    let first = h.pay(&referee, 12_345_678).await;
    assert_eq!(balance(&referrer).await, 1_234_567);
    let (_, ledger) = referrer.get("/api/v1/ledger").await;
    assert_eq!(
        ledger["entries"][0]["kind"], "referral_commission",
        "{ledger}"
    );
    assert_eq!(ledger["entries"][0]["promotional"], true, "{ledger}");
    // Codes and bonuses are not paid top-ups: nothing.
    let (status, body) = h
        .admin
        .post(
            &format!("/api/v1/admin/users/{email}/bonus"),
            &json!({ "amount_micros": 50_000_000, "reason": "welcome" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(balance(&referrer).await, 1_234_567);
    // The second paid top-up earns; the third is past `referral_max_topups` (2).
    let second = h.pay(&referee, 20_000_000).await;
    assert_eq!(balance(&referrer).await, 3_234_567);
    h.pay(&referee, 7_000_000).await;
    assert_eq!(balance(&referrer).await, 3_234_567);
    h.assert_consistent().await;

    // A third of the first top-up refunded: ceil(1.234567 × 4.115226 ÷ 12.345678) = 0.411523
    // taken back (the referrer keeps less), then the rest of it with the rest.
    h.refund(&referee, first, 4_115_226).await;
    assert_eq!(balance(&referrer).await, 3_234_567 - 411_523);
    h.refund(&referee, first, 8_230_452).await;
    assert_eq!(balance(&referrer).await, 2_000_000);
    h.assert_consistent().await;

    // The referrer spent most of it: the second top-up refunded whole owes 2.00, 0.50 is
    // there; 0.50 is taken, the balance stays at zero, the shortfall is audited.
    h.admin.fund("rita@example.com", -1_500_000, "spent").await;
    h.refund(&referee, second, 20_000_000).await;
    assert_eq!(balance(&referrer).await, 0);
    assert_eq!(
        h.commissions(),
        vec![
            ("earned".to_owned(), 1_234_567, 1_234_567),
            ("earned".to_owned(), 2_000_000, 2_000_000),
            ("taken_back".to_owned(), 411_523, 411_523),
            ("taken_back".to_owned(), 823_044, 823_044),
            ("taken_back".to_owned(), 500_000, 2_000_000),
        ]
    );
    let detail: String = h
        .gw
        .db()
        .query_row(
            "SELECT detail FROM audit_log WHERE action = 'referrals.take_back' ORDER BY id DESC",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["shortfall_micros"], 1_500_000, "{detail}");

    // What the referrer sees: the referee pseudonymised, earnings and what was taken back.
    let mine = referral(&referrer).await;
    assert_eq!(mine["earned_micros"], 3_234_567, "{mine}");
    assert_eq!(mine["taken_back_micros"], 1_734_567, "{mine}");
    assert_eq!(mine["referees"][0]["email"], "r***@example.com", "{mine}");
    assert_eq!(mine["referees"][0]["topups"], 2, "{mine}");
    h.assert_consistent().await;
}

#[tokio::test]
async fn no_commission_after_the_referral_period_and_no_second_link() {
    let h = harness_with(|raw| raw.billing.referral_max_age_secs = Some(1)).await;
    let referrer = h.gw.new_user("old@example.com").await;
    let code = referral(&referrer).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let referee = h.register_referred("late@example.com", &code).await;
    // Its own code cannot link it again (nor to itself): it is a new account's code.
    let own = referral(&referee).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(own, code);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    h.pay(&referee, 5_000_000).await;
    assert_eq!(balance(&referrer).await, 0, "past `referral_max_age_secs`");
    assert!(h.commissions().is_empty());
    h.assert_consistent().await;
}
