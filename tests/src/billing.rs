//! A gateway with the fake Stripe and signed webhooks, for tests that need real paid orders,
//! refunds and referrals: [`Billing::pay`] takes a top-up through checkout and its webhook,
//! [`Billing::refund`] has it refunded, [`Billing::register_referred`] registers with a
//! referral code.

use codexkey_common::Secret;
use codexkey_gateway::config::RawConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::fake_stripe::{self, FakeStripe};
use crate::stripe_signer::StripeSigner;
use crate::{ApiClient, TestGateway, USER_PASSWORD, install_crypto_provider};

const WHSEC: &str = "whsec_codexkeyTestBillingSecret0123456789";

pub struct Billing {
    pub gw: TestGateway,
    pub stripe: FakeStripe,
    pub signer: StripeSigner,
    pub admin: ApiClient,
}

impl Billing {
    /// A gateway charging in a test currency of a million minor units per credit (so any
    /// amount of micro-credits can be paid), after `tweak`.
    ///
    /// # Panics
    /// If the gateway or the fakes cannot start.
    pub async fn start_with(tweak: impl FnOnce(&mut RawConfig)) -> Billing {
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
            tweak(raw);
        })
        .await;
        let admin = gw.admin().await;
        Billing {
            gw,
            stripe,
            signer: StripeSigner::start().await,
            admin,
        }
    }

    /// `user` tops up `micros` through checkout, paid by a signed webhook; the order's id.
    ///
    /// # Panics
    /// If the top-up or the webhook is not answered as paid.
    pub async fn pay(&self, user: &ApiClient, micros: i64) -> i64 {
        let (status, body) = user
            .post("/api/v1/topup", &json!({ "amount_micros": micros }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["order"]["id"].as_i64().unwrap_or_default();
        let url = body["checkout_url"].as_str().unwrap_or_default();
        let session = self.stripe.set_session(
            url.rsplit('/').next().unwrap_or_default(),
            "complete",
            "paid",
        );
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

    /// `user` asks for `micros` of `order` back and the admin approves; the refund's id.
    ///
    /// # Panics
    /// If the request or the approval is refused.
    pub async fn refund(&self, user: &ApiClient, order: i64, micros: i64) -> i64 {
        let (status, refund) = user
            .post(
                &format!("/api/v1/orders/{order}/refund"),
                &json!({ "amount_micros": micros }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{refund}");
        let id = refund["id"].as_i64().unwrap_or_default();
        let (status, done) = self
            .admin
            .post_empty(&format!("/api/v1/admin/refunds/{id}/approve"))
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["state"], "succeeded", "{done}");
        id
    }

    /// Registers `email` with the referral `code` and logs in.
    ///
    /// # Panics
    /// If the registration is refused.
    pub async fn register_referred(&self, email: &str, code: &str) -> ApiClient {
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

    /// The ledger check passes.
    ///
    /// # Panics
    /// If it does not.
    pub async fn assert_consistent(&self) {
        let (status, check) = self.admin.get("/api/v1/admin/ledger/verify").await;
        assert_eq!(status, StatusCode::OK, "{check}");
        assert_eq!(check["ok"], true, "{check}");
    }
}
