//! The background task that settles pending orders past `billing.order_ttl_secs` every
//! `billing.sweep_interval_secs` ([`super::orders::sweep`]). One sweep can also be run on
//! demand (`POST /api/v1/admin/orders/sweep`); both take the same one-transaction paths, so
//! they may overlap with each other and with webhooks.

use crate::state::AppState;

/// Starts the sweeper when a payment provider is configured.
pub fn spawn(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    state.payments.as_ref()?;
    let state = state.clone();
    Some(tokio::spawn(async move {
        let every = state.config.billing.sweep_interval;
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match super::orders::sweep(&state).await {
                Ok(r) if r.checked > 0 => tracing::info!(
                    checked = r.checked,
                    paid = r.paid,
                    expired = r.expired,
                    failed = r.failed,
                    left_pending = r.left_pending,
                    "swept pending orders"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the order sweep failed"),
            }
        }
    }))
}
