//! What every story starts from: the database a backend hands the suite, fixed times, and the
//! accounts and credit a story needs before it tells anything of its own.

use std::sync::Arc;

use async_trait::async_trait;
use codexkey_common::Micros;
use codexkey_common::api::LedgerKind;

use crate::store::{AccountRecord, Millis, NewLedgerEntry, Store, testkit};

/// One database of the backend under test, empty when the suite gets it.
#[async_trait]
pub trait Database: Send + Sync {
    /// A store on this database, migrated. The first call opens the empty database; the suite
    /// calls it again only after dropping every store it got, as the gateway's next start
    /// would (to find what a stopped gateway left behind).
    async fn open(&self) -> Arc<dyn Store>;
}

/// 2023-11-14T00:00:00Z: a day boundary, so every hour and quarter hour after it is one too.
pub const T0: Millis = 1_699_920_000_000;
pub const MINUTE: Millis = 60_000;
pub const HOUR: Millis = 3_600_000;
pub const DAY: Millis = 86_400_000;

/// Registers a user account with the default preferences.
pub async fn account(store: &dyn Store, email: &str, at: Millis) -> AccountRecord {
    store
        .create_account(testkit::account(email, at), None)
        .await
        .expect("a new email registers")
}

/// Credits `amount` to an account by a payment entry; returns the balance after it.
pub async fn top_up(store: &dyn Store, account_id: i64, amount: i64, at: Millis) -> Micros {
    store
        .append_ledger(
            NewLedgerEntry {
                account_id,
                kind: LedgerKind::Payment,
                amount: Micros(amount),
                reason: None,
                actor_id: None,
                request_id: None,
                created_at: at,
                forbid_negative: false,
                promotional: false,
            },
            None,
        )
        .await
        .expect("a top-up is appended")
        .balance_after
}

/// The account as the store has it now.
pub async fn reload(store: &dyn Store, id: i64) -> AccountRecord {
    store
        .account_by_id(id)
        .await
        .expect("accounts are readable")
        .expect("the account exists")
}

/// Every ledger entry's sum equals the account's balance, for every account, and the store's
/// own check finds no mismatch either.
pub async fn assert_ledger_balanced(store: &dyn Store) {
    let check = store
        .verify_ledger()
        .await
        .expect("the ledger is checkable");
    assert!(
        check.mismatches.is_empty(),
        "balances differ from their ledgers: {:?}",
        check.mismatches
    );
    let accounts = store.list_accounts().await.expect("accounts are listable");
    assert_eq!(check.accounts, accounts.len() as u64);
    let mut entries = 0;
    for a in accounts {
        let ledger = store
            .ledger(a.id, None, u32::MAX)
            .await
            .expect("a ledger is readable");
        entries += ledger.len() as u64;
        let sum: i64 = ledger.iter().map(|e| e.amount.0).sum();
        assert_eq!(
            Micros(sum),
            a.balance,
            "the ledger of {} sums to its balance",
            a.email
        );
    }
    assert_eq!(check.entries, entries);
}
