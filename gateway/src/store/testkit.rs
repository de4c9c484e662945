//! Record builders for tests of the store and of what writes through it: each knows every
//! field of its record, so a test names only the fields it is about (`..testkit::key(…)`) and a
//! new field is filled in here once. Compiled for the gateway's own tests and with the
//! `conformance` feature; never part of the gateway binary.

use codexkey_common::Micros;
use codexkey_common::api::Role;

use crate::store::{
    MeterOp, Millis, NewAccount, NewAudit, NewHold, NewKey, NewSession, SettledRequest,
    UsageEventRecord,
};

/// The route every builder uses: a hold's route comes back as text, so tests compare it.
pub const ROUTE: &str = "chat.completions";

/// The model every builder uses unless told otherwise.
pub const MODEL: &str = "m";

/// A user account with the default preferences (`en`, `USD`) and a placeholder password hash.
pub fn account(email: &str, at: Millis) -> NewAccount {
    NewAccount {
        email: email.to_owned(),
        password_hash: format!("hash-of-{email}"),
        role: Role::User,
        language: "en".into(),
        currency: "USD".into(),
        created_at: at,
    }
}

/// A session of `account_id` whose token hashes to `token_hash`, from no known client.
pub fn session(account_id: i64, token_hash: &str, at: Millis, expires_at: Millis) -> NewSession {
    NewSession {
        account_id,
        token_hash: token_hash.to_owned(),
        created_at: at,
        expires_at,
        client_ip: None,
        user_agent: None,
    }
}

/// An unnamed key of `account_id` without limits, whose secret hashes to `hash`; its display
/// prefix is derived from the hash so two keys never share one.
pub fn key(account_id: i64, hash: &str, at: Millis) -> NewKey {
    NewKey {
        account_id,
        prefix: format!("ck-{hash}"),
        hash: hash.to_owned(),
        name: None,
        created_at: at,
        expires_at: None,
        allowed_models: None,
        budget: None,
        rpm_limit: None,
        tpm_limit: None,
    }
}

/// An audit row without an actor, target or detail.
pub fn audit(action: &'static str, at: Millis) -> NewAudit {
    NewAudit {
        actor_id: None,
        action,
        target: None,
        detail: serde_json::json!({}),
        created_at: at,
    }
}

/// A hold of `amount` on `MODEL` whose crash charge is 1, placed at time 0.
pub fn hold(request_id: &str, account_id: i64, key_id: i64, amount: i64) -> NewHold {
    NewHold {
        request_id: request_id.to_owned(),
        account_id,
        key_id,
        amount: Micros(amount),
        crash_charge: Micros(1),
        route: ROUTE,
        model: MODEL.into(),
        provider: None,
        created_at: 0,
        owner: None,
    }
}

/// A request on `MODEL` answered 200 and charged `cost`, without usage or timings.
pub fn event(
    request_id: &str,
    account_id: i64,
    key_id: Option<i64>,
    cost: i64,
    at: Millis,
) -> UsageEventRecord {
    UsageEventRecord {
        cost: Micros(cost),
        status: 200,
        ..UsageEventRecord::new(
            request_id.to_owned(),
            account_id,
            key_id,
            ROUTE,
            MODEL.into(),
            at,
        )
    }
}

/// The settlement of `event`'s request, whose hold was written in an earlier batch.
pub fn settle(event: UsageEventRecord) -> MeterOp {
    MeterOp::Settle(Box::new(SettledRequest::new(event, None)))
}
