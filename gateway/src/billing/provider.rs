//! The payment-provider interface: what the order service needs from a provider, whichever it
//! is. A provider hosts the payment page (a checkout session), says where a session stands when
//! asked, and closes a session nobody paid. Webhooks are the provider's own wire format and are
//! read by its module ([`super::stripe`]), which turns them into [`Session`]s for the order
//! service. Nothing here touches the store or the ledger.

use async_trait::async_trait;

/// A checkout to create for one order.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub order_id: i64,
    /// What the payer is charged, in `currency`'s minor units.
    pub amount_minor: i64,
    pub currency: String,
    /// The line the payer sees on the payment page.
    pub description: String,
    /// The same key for the same order: a retried creation makes no second session.
    pub idempotency_key: String,
}

/// A created checkout: its id at the provider and the page the payer opens.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub session_id: String,
    pub url: String,
}

/// Where a checkout session stands at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStatus {
    /// The payer may still pay.
    Open,
    /// The payer finished; the payment itself may still be in flight (see [`Session::paid`]).
    Complete,
    /// Closed unpaid: it can never be paid.
    Expired,
    /// A status this version does not know, as sent.
    Other(String),
}

/// A checkout session as the provider describes it.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub status: SessionStatus,
    /// The money was received (Stripe: `payment_status` is `paid`).
    pub paid: bool,
    /// What was charged, in the currency's minor units.
    pub amount_total: Option<i64>,
    pub currency: Option<String>,
    /// The order the session was created for, as the gateway told the provider.
    pub order_id: Option<i64>,
    /// The payment the session was paid through, once paid (what a refund names).
    pub payment_intent: Option<String>,
}

/// A refund to make of one payment.
#[derive(Debug, Clone)]
pub struct RefundCall {
    /// The payment to refund (Stripe: the checkout's payment intent).
    pub payment_intent: String,
    /// How much to pay back, in the payment currency's minor units.
    pub amount_minor: i64,
    /// The gateway's refund, told to the provider (it comes back in the provider's events).
    pub refund_id: i64,
    /// The same key for the same refund: a retried call makes no second refund.
    pub idempotency_key: String,
}

/// A refund the provider made (or is making).
#[derive(Debug, Clone)]
pub struct ProviderRefund {
    pub id: String,
    pub amount_minor: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider answered with an error about the request (its message, secrets removed).
    #[error("the payment provider refused the request: {0}")]
    Refused(String),
    /// No answer, or the provider failed on its side.
    #[error("the payment provider could not be reached: {0}")]
    Unreachable(String),
    /// An answer the gateway cannot read.
    #[error("the payment provider's answer could not be read: {0}")]
    Protocol(String),
}

#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// The name orders are bound to (`stripe`).
    fn name(&self) -> &'static str;

    /// Creates the hosted payment page for an order. Runs once per order, after the order is
    /// written pending and before the payer is told where to pay.
    async fn create_checkout(&self, req: CheckoutRequest) -> Result<Checkout, ProviderError>;

    /// Where session `id` stands now. Runs before a pending order past its TTL is closed.
    async fn session(&self, id: &str) -> Result<Session, ProviderError>;

    /// Closes an open session so that it can no longer be paid, and answers where it stands
    /// afterwards. Runs before an unpaid order is expired, so the payer cannot pay an order the
    /// gateway closed.
    async fn expire_session(&self, id: &str) -> Result<Session, ProviderError>;

    /// Pays part or all of a payment back. Runs once a refund is approved and its debit
    /// booked; a refused refund ([`ProviderError::Refused`], or a refund the provider says
    /// failed) gives the debit back, anything else leaves it approved, to be retried with the
    /// same idempotency key.
    async fn refund(&self, req: RefundCall) -> Result<ProviderRefund, ProviderError>;
}
