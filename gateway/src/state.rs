//! What every handler shares: the store, the configuration, the password hasher, and the data
//! plane's in-memory state (key cache, meter, price book, upstreams).

use std::ops::Deref;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::accounts::password::Passwords;
use crate::accounts::throttle::Throttle;
use crate::billing::provider::PaymentProvider;
use crate::config::Config;
use crate::mail::Mailer;
use crate::metering::Meter;
use crate::metering::keys::KeyCache;
use crate::pricing::PriceBook;
use crate::store::Store;
use crate::upstream::Upstreams;

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub store: Arc<dyn Store>,
    pub config: Config,
    pub passwords: Passwords,
    pub login_throttle: Throttle,
    /// Guesses of redemption codes, per account and client address.
    pub redeem_throttle: Throttle,
    /// Wrong second-step codes (TOTP or recovery), per account and client address.
    pub second_step_throttle: Throttle,
    /// Password-reset requests, per address asked about and per client address; every request
    /// counts, so mail cannot be used to flood a mailbox.
    pub reset_throttle: Throttle,
    /// Requests to mail a verification link again, per account and per client address, with
    /// the reset requests' limits: every request counts.
    pub verify_throttle: Throttle,
    /// Sends reset and verification links; `None` when no SMTP server is configured.
    pub mailer: Option<Arc<Mailer>>,
    pub keys: KeyCache,
    pub meter: Arc<Meter>,
    /// Swapped whole when prices change; readers never wait.
    pub prices: ArcSwap<PriceBook>,
    /// Swapped whole when an admin changes upstreams.
    pub upstreams: ArcSwap<Upstreams>,
    /// The payment provider top-ups are paid through; `None` when none is configured.
    pub payments: Option<Arc<dyn PaymentProvider>>,
}

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}
