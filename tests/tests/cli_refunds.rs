//! End to end: `codexkey refund`, `codexkey refunds` and `codexkey admin refunds list|approve|
//! deny` with the real binary against a real `codexkey gateway` process whose Stripe is the
//! fake, tables and `--json`, exit codes and next steps.

#![expect(clippy::unwrap_used)]

use codexkey_tests::cli::{CliUser, GatewayProcess, USER_EMAIL, refused};
use codexkey_tests::fake_stripe::{self, FakeStripe};
use codexkey_tests::stripe_signer::StripeSigner;
use serde_json::Value;

const WHSEC: &str = "whsec_codexkeyCliRefundsSecret0123456789";

/// Pays `order`'s checkout at the fake and delivers the signed `checkout.session.completed`.
async fn pay(gw: &GatewayProcess, stripe: &FakeStripe, signer: &StripeSigner, order: &Value) {
    let url = order["checkout_url"].as_str().unwrap();
    let session = stripe.set_session(url.rsplit('/').next().unwrap(), "complete", "paid");
    let payload = fake_stripe::event("evt_cli_paid", "checkout.session.completed", &session);
    let header = signer
        .sign(&payload, WHSEC, chrono::Utc::now().timestamp())
        .await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/billing/stripe/webhook", gw.url))
        .header("content-type", "application/json")
        .header("Stripe-Signature", header)
        .body(payload)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_ask_for_refunds_and_admins_decide() {
    codexkey_tests::install_crypto_provider();
    let stripe = FakeStripe::start().await;
    let signer = StripeSigner::start().await;
    let gw = GatewayProcess::start_with_env(&[
        (
            "CODEXKEY_BILLING__STRIPE_SECRET_KEY",
            fake_stripe::SECRET_KEY,
        ),
        ("CODEXKEY_BILLING__STRIPE_WEBHOOK_SECRET", WHSEC),
        ("CODEXKEY_BILLING__STRIPE_API_BASE", stripe.base_url()),
        ("CODEXKEY_BILLING__SUCCESS_URL", "https://gw.example/done"),
        ("CODEXKEY_BILLING__CANCEL_URL", "https://gw.example/cancel"),
    ]);
    let admin = CliUser::admin(&gw);
    let user = CliUser::registered(&gw);

    let topup = user.run(&["--json", "topup", "--amount", "10"]);
    assert_eq!(topup.code, 0, "{topup:?}");
    let order = topup.json()["order"].clone();
    let order_id = order["id"].as_i64().unwrap().to_string();

    // Not paid yet: refused, with why.
    let early = user.run(&["refund", &order_id]);
    refused(&early, "only a paid order can be refunded");
    pay(&gw, &stripe, &signer, &order).await;
    let spent = admin.run(&["admin", "adjust", USER_EMAIL, "-2.5", "--reason", "spent"]);
    assert_eq!(spent.code, 0, "{spent:?}");

    // More than is unspent: refused; a bad amount: refused with the next step.
    let over = user.run(&["refund", &order_id, "--amount", "7.51"]);
    refused(&over, "at most 7.50 credits");
    let bad = user.run(&["refund", &order_id, "--amount", "lots"]);
    assert_ne!(bad.code, 0, "{bad:?}");
    assert!(bad.stderr.contains("hint: give credits"), "{bad:?}");

    // Asked for 5: requested, said on stderr, nothing on stdout.
    let asked = user.run(&["refund", &order_id, "--amount", "5"]);
    assert_eq!(asked.code, 0, "{asked:?}");
    assert!(asked.stdout.is_empty(), "{asked:?}");
    assert!(
        asked
            .stderr
            .contains("asked for a refund of 5.00 cr of order"),
        "{asked:?}"
    );
    let mine = user.run(&["--json", "refunds"]);
    assert_eq!(mine.code, 0, "{mine:?}");
    let mine = mine.json();
    assert_eq!(mine[0]["state"], "requested", "{mine}");
    let refund_id = mine[0]["id"].as_i64().unwrap().to_string();

    // Admins list and approve; users cannot.
    let listed = admin.run(&["admin", "refunds", "list", "--state", "requested"]);
    assert_eq!(listed.code, 0, "{listed:?}");
    assert!(
        listed.stdout.contains(USER_EMAIL) && listed.stdout.contains("requested"),
        "{listed:?}"
    );
    let not_admin = user.run(&["admin", "refunds", "approve", &refund_id]);
    assert_ne!(not_admin.code, 0, "{not_admin:?}");
    let approved = admin.run(&["--json", "admin", "refunds", "approve", &refund_id]);
    assert_eq!(approved.code, 0, "{approved:?}");
    let approved = approved.json();
    assert_eq!(approved["state"], "succeeded", "{approved}");
    assert_eq!(approved["amount_minor"], 500);
    let calls: Vec<_> = stripe
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/refunds")
        .collect();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let table = user.run(&["refunds"]);
    assert!(
        table.stdout.contains("succeeded") && table.stdout.contains("500 usd"),
        "{table:?}"
    );
    let balance = user.run(&["--json", "balance"]);
    assert_eq!(balance.json()["balance_micros"], 2_500_000, "{balance:?}");

    // A second request, denied with a reason; denying again is refused.
    let asked = user.run(&["--json", "refund", &order_id]);
    assert_eq!(asked.code, 0, "{asked:?}");
    let second = asked.json()["id"].as_i64().unwrap().to_string();
    let no_reason = admin.run(&["admin", "refunds", "deny", &second, "--reason", " "]);
    assert_ne!(no_reason.code, 0, "{no_reason:?}");
    let denied = admin.run(&["admin", "refunds", "deny", &second, "--reason", "used up"]);
    assert_eq!(denied.code, 0, "{denied:?}");
    assert!(denied.stderr.contains("is denied: used up"), "{denied:?}");
    let again = admin.run(&["admin", "refunds", "deny", &second, "--reason", "used up"]);
    refused(&again, "only a requested refund can be denied");
    let verify = admin.run(&["admin", "verify-ledger"]);
    assert_eq!(verify.code, 0, "{verify:?}");
}

#[test]
fn referral_codes_link_new_accounts_and_show_referees() {
    let gw = GatewayProcess::start();
    let referrer = CliUser::registered(&gw);
    let shown = referrer.run(&["--json", "referral"]);
    assert_eq!(shown.code, 0, "{shown:?}");
    let code = shown.json()["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("REF-"), "{shown:?}");
    let empty = referrer.run(&["referral"]);
    assert_eq!(empty.code, 0, "{empty:?}");
    assert!(
        empty
            .stderr
            .contains(&format!("your referral code: {code}"))
            && empty.stderr.contains("10.00%"),
        "{empty:?}"
    );
    assert!(empty.stderr.contains("no referees yet"), "{empty:?}");

    // An unknown code: refused, no account made.
    let stranger = CliUser::new(&gw.url);
    let refused_reg = stranger.run_with_stdin(
        &[
            "register",
            "--email",
            "nobody@codexkey.test",
            "--password-stdin",
            "--referral",
            "REF-ZZZZ9999",
        ],
        &format!("{}\n", codexkey_tests::cli::USER_PASSWORD),
    );
    refused(
        &refused_reg,
        "no account has the referral code `REF-ZZZZ9999`",
    );
    let login = stranger.run_with_stdin(
        &[
            "login",
            "--email",
            "nobody@codexkey.test",
            "--password-stdin",
        ],
        &format!("{}\n", codexkey_tests::cli::USER_PASSWORD),
    );
    assert_ne!(login.code, 0, "{login:?}");

    // With the code: linked, and the referrer sees the referee pseudonymised.
    let reg = stranger.run_with_stdin(
        &[
            "register",
            "--email",
            "zoe@codexkey.test",
            "--password-stdin",
            "--referral",
            &code.to_lowercase(),
        ],
        &format!("{}\n", codexkey_tests::cli::USER_PASSWORD),
    );
    assert_eq!(reg.code, 0, "{reg:?}");
    let table = referrer.run(&["referral"]);
    assert_eq!(table.code, 0, "{table:?}");
    assert!(table.stdout.contains("z***@codexkey.test"), "{table:?}");
    assert!(!table.stdout.contains("zoe@"), "{table:?}");
    let json = referrer.run(&["--json", "referral"]).json();
    assert_eq!(json["referees"][0]["email"], "z***@codexkey.test", "{json}");
    assert_eq!(json["earned_micros"], 0);
}
