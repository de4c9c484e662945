//! How a metered request's charge was decided: the `settlement` of its usage event, shared by
//! the gateway (which decides it), the store (which records it) and reports (which show it).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Settlement {
    /// Upstream reported usage; charged exactly.
    FinalUsage,
    /// No upstream answered with success; nothing charged.
    UpstreamError,
    /// A success without readable usage (a body cut or garbled): the estimated input cost.
    UsageMissing,
    /// The client left mid-stream; upstream's final usage was read while draining.
    DisconnectDrained,
    /// The client left mid-stream and the drain found no final usage: estimated.
    DisconnectEstimate,
    /// Upstream's stream ended without final usage: estimated from what was delivered.
    StreamCut,
    /// Refused by the gateway after admission; nothing charged.
    Refused,
    /// Found unsettled after a crash: the crash charge.
    CrashReconciled,
    /// Upstream reported usage the gateway cannot bill (negative, fractional, not a number,
    /// absurdly large): charged by the estimate rule, as if the usage were missing.
    UsageInvalid,
    /// Upstream reported more usage than the request's hold covers: charged the hold, with
    /// the uncapped cost recorded beside it.
    CappedAtHold,
    /// Upstream answered an error about the request and reported usage with it: charged that
    /// usage.
    ErrorUsage,
    /// Settled after the lease its replica admitted it under had ended (the replica could not
    /// reach the database before the lease expired): charged from the account's free balance,
    /// at most what was free, with the uncapped cost recorded beside it when that was less.
    LeaseLost,
}

impl Settlement {
    pub const ALL: [Settlement; 12] = [
        Self::FinalUsage,
        Self::UpstreamError,
        Self::UsageMissing,
        Self::DisconnectDrained,
        Self::DisconnectEstimate,
        Self::StreamCut,
        Self::Refused,
        Self::CrashReconciled,
        Self::UsageInvalid,
        Self::CappedAtHold,
        Self::ErrorUsage,
        Self::LeaseLost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FinalUsage => "final_usage",
            Self::UpstreamError => "upstream_error",
            Self::UsageMissing => "usage_missing",
            Self::DisconnectDrained => "disconnect_drained",
            Self::DisconnectEstimate => "disconnect_estimate",
            Self::StreamCut => "stream_cut",
            Self::Refused => "refused",
            Self::CrashReconciled => "crash_reconciled",
            Self::UsageInvalid => "usage_invalid",
            Self::CappedAtHold => "capped_at_hold",
            Self::ErrorUsage => "error_usage",
            Self::LeaseLost => "lease_lost",
        }
    }

    pub fn parse(s: &str) -> Option<Settlement> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What a stream's settlement becomes when its final usage was never seen: a drain after
    /// the client left falls back to the estimate; anything else was cut.
    pub fn without_final_usage(self) -> Settlement {
        match self {
            Self::DisconnectDrained => Self::DisconnectEstimate,
            _ => Self::StreamCut,
        }
    }
}

impl std::fmt::Display for Settlement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for s in Settlement::ALL {
            assert_eq!(Settlement::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).ok(),
                Some(format!("\"{}\"", s.as_str()))
            );
        }
        assert_eq!(Settlement::parse("free"), None);
    }
}
