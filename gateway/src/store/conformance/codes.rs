//! Redemption codes and conditional credits: a batch keeps only hashes and counts its codes by
//! state; a code redeems once, and a credit whose condition fails (redeemed, disabled, expired,
//! unknown, or not worth the credit) writes nothing at all, its audit row included.

use codexkey_common::Micros;
use codexkey_common::api::LedgerKind;

use crate::store::conformance::setup::{
    DAY, Database, T0, account, assert_ledger_balanced, reload,
};
use crate::store::{
    CodeTarget, CreditCondition, CreditOutcome, CreditRefusal, NewCodeBatch, NewLedgerEntry, Store,
    StoreError, testkit,
};

fn hash(n: u8) -> String {
    format!("{n:064x}")
}

fn code_credit(account_id: i64, amount: i64, promotional: bool, at: i64) -> NewLedgerEntry {
    NewLedgerEntry {
        account_id,
        kind: LedgerKind::Code,
        amount: Micros(amount),
        reason: Some("a code".into()),
        actor_id: Some(account_id),
        request_id: None,
        created_at: at,
        forbid_negative: true,
        promotional,
    }
}

/// Entries and audit rows in all: what a refused write must leave as it was.
async fn written(store: &dyn Store) -> (u64, usize) {
    let entries = store.verify_ledger().await.expect("verify").entries;
    let audit = store.audit_log(None, 500).await.expect("audit").len();
    (entries, audit)
}

async fn redeem(
    store: &dyn Store,
    code_id: i64,
    entry: NewLedgerEntry,
) -> Result<CreditOutcome, StoreError> {
    store
        .credit(
            entry,
            CreditCondition::CodeRedeemable { code_id },
            testkit::audit("codes.redeem", T0),
        )
        .await
}

pub async fn codes(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let alice = account(store, "alice@example.com", T0).await;
    let bob = account(store, "bob@example.com", T0).await;

    let batch = store
        .create_code_batch(
            NewCodeBatch {
                amount: Micros(2_500_000),
                promotional: true,
                note: Some("launch".into()),
                expires_at: Some(T0 + DAY),
                created_by: Some(alice.id),
                created_at: T0,
                hashes: vec![hash(1), hash(2), hash(3)],
            },
            testkit::audit("codes.create", T0),
        )
        .await
        .expect("a batch is created");
    assert_eq!(
        (
            batch.amount,
            batch.promotional,
            batch.note.as_deref(),
            batch.expires_at
        ),
        (Micros(2_500_000), true, Some("launch"), Some(T0 + DAY))
    );
    assert_eq!(batch.created_by_email.as_deref(), Some("alice@example.com"));
    assert_eq!(
        (
            batch.count,
            batch.unused,
            batch.redeemed,
            batch.disabled,
            batch.expired
        ),
        (3, 3, 0, 0, 0)
    );
    let audit = store.audit_log(None, 1).await.expect("audit");
    assert_eq!(audit[0].action, "codes.create");
    assert_eq!(audit[0].detail["batch"], batch.id, "{:?}", audit[0].detail);

    // A hash taken already refuses the whole batch.
    let before = written(store).await;
    let taken = store
        .create_code_batch(
            NewCodeBatch {
                amount: Micros(1),
                promotional: false,
                note: None,
                expires_at: None,
                created_by: None,
                created_at: T0,
                hashes: vec![hash(9), hash(1)],
            },
            testkit::audit("codes.create", T0),
        )
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert_eq!(written(store).await, before);
    assert_eq!(store.code_batches(T0).await.expect("batches").len(), 1);
    assert!(
        store
            .code_by_hash(&hash(9))
            .await
            .expect("lookup")
            .is_none()
    );

    let first = store
        .code_by_hash(&hash(1))
        .await
        .expect("lookup")
        .expect("the code exists");
    assert_eq!(
        (
            first.batch_id,
            first.amount,
            first.promotional,
            first.expires_at
        ),
        (batch.id, Micros(2_500_000), true, Some(T0 + DAY))
    );
    assert_eq!((first.redeemed_at, first.disabled_at), (None, None));

    // Redeemed: the code, the credit and the audit row together.
    let CreditOutcome::Credited(entry) = redeem(
        store,
        first.id,
        code_credit(bob.id, 2_500_000, true, T0 + 10),
    )
    .await
    .expect("redeems") else {
        panic!("an unused code redeems");
    };
    assert_eq!(
        (
            entry.kind,
            entry.amount,
            entry.balance_after,
            entry.promotional
        ),
        (LedgerKind::Code, Micros(2_500_000), Micros(2_500_000), true)
    );
    assert_eq!(reload(store, bob.id).await.balance, Micros(2_500_000));
    let listed = store.ledger(bob.id, None, 10).await.expect("ledger");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].promotional && listed[0].kind == LedgerKind::Code);
    let redeemed = store
        .code_by_hash(&hash(1))
        .await
        .expect("lookup")
        .expect("exists");
    assert_eq!(
        redeemed.redeemed_by_email.as_deref(),
        Some("bob@example.com")
    );
    assert_eq!(redeemed.redeemed_at, Some(T0 + 10));
    assert_eq!(
        store.audit_log(None, 1).await.expect("audit")[0].action,
        "codes.redeem"
    );

    // Refusals write nothing.
    let before = written(store).await;
    let again = redeem(
        store,
        first.id,
        code_credit(alice.id, 2_500_000, true, T0 + 11),
    )
    .await;
    assert!(
        matches!(
            again,
            Ok(CreditOutcome::Refused(CreditRefusal::CodeRedeemed))
        ),
        "{again:?}"
    );
    let unknown = redeem(
        store,
        999_999,
        code_credit(alice.id, 2_500_000, true, T0 + 11),
    )
    .await;
    assert!(
        matches!(
            unknown,
            Ok(CreditOutcome::Refused(CreditRefusal::CodeUnknown))
        ),
        "{unknown:?}"
    );
    let second = store
        .code_by_hash(&hash(2))
        .await
        .expect("lookup")
        .expect("exists");
    let wrong_amount = redeem(
        store,
        second.id,
        code_credit(alice.id, 2_500_001, true, T0 + 11),
    )
    .await;
    assert!(
        matches!(wrong_amount, Err(StoreError::Conflict(_))),
        "{wrong_amount:?}"
    );
    let wrong_flag = redeem(
        store,
        second.id,
        code_credit(alice.id, 2_500_000, false, T0 + 11),
    )
    .await;
    assert!(
        matches!(wrong_flag, Err(StoreError::Conflict(_))),
        "{wrong_flag:?}"
    );
    let third = store
        .code_by_hash(&hash(3))
        .await
        .expect("lookup")
        .expect("exists");
    let expired = redeem(
        store,
        third.id,
        code_credit(alice.id, 2_500_000, true, T0 + DAY),
    )
    .await;
    assert!(
        matches!(
            expired,
            Ok(CreditOutcome::Refused(CreditRefusal::CodeExpired))
        ),
        "expiry is exclusive: {expired:?}"
    );
    assert_eq!(written(store).await, before);
    assert_eq!(reload(store, alice.id).await.balance, Micros::ZERO);
    let untouched = store
        .code_by_hash(&hash(2))
        .await
        .expect("lookup")
        .expect("exists");
    assert_eq!(
        (untouched.redeemed_at, untouched.redeemed_by_email),
        (None, None)
    );

    // Disabling one code, audited with how many; a miss is not audited.
    let disabled = store
        .disable_codes(
            CodeTarget::Code(hash(2)),
            T0 + 20,
            testkit::audit("codes.disable", T0 + 20),
        )
        .await
        .expect("disable");
    assert_eq!(disabled, Some(1));
    assert_eq!(
        store.audit_log(None, 1).await.expect("audit")[0].detail["disabled"],
        1
    );
    let before = written(store).await;
    let refused = redeem(
        store,
        second.id,
        code_credit(alice.id, 2_500_000, true, T0 + 21),
    )
    .await;
    assert!(
        matches!(
            refused,
            Ok(CreditOutcome::Refused(CreditRefusal::CodeDisabled))
        ),
        "{refused:?}"
    );
    assert_eq!(written(store).await, before);
    let missing = store
        .disable_codes(
            CodeTarget::Code(hash(77)),
            T0 + 22,
            testkit::audit("codes.disable", T0 + 22),
        )
        .await
        .expect("disable");
    assert_eq!(missing, None);
    let missing = store
        .disable_codes(
            CodeTarget::Batch(batch.id + 1000),
            T0 + 22,
            testkit::audit("codes.disable", T0 + 22),
        )
        .await
        .expect("disable");
    assert_eq!(missing, None);
    assert_eq!(written(store).await, before, "a miss writes no audit row");

    // Counted by state at the time asked: before and after the expiry.
    let (counted, codes) = store
        .code_batch(batch.id, T0 + 30)
        .await
        .expect("batch")
        .expect("exists");
    assert_eq!(
        (
            counted.unused,
            counted.redeemed,
            counted.disabled,
            counted.expired
        ),
        (1, 1, 1, 0)
    );
    assert_eq!(
        codes.iter().map(|c| c.id).collect::<Vec<_>>(),
        [first.id, second.id, third.id]
    );
    assert_eq!(codes[1].disabled_at, Some(T0 + 20));
    let later = store.code_batches(T0 + 2 * DAY).await.expect("batches");
    assert_eq!(
        (
            later[0].unused,
            later[0].redeemed,
            later[0].disabled,
            later[0].expired
        ),
        (0, 1, 1, 1)
    );
    assert!(
        store
            .code_batch(batch.id + 1000, T0)
            .await
            .expect("batch")
            .is_none()
    );

    // A whole batch: only what is neither redeemed nor disabled.
    let disabled = store
        .disable_codes(
            CodeTarget::Batch(batch.id),
            T0 + 40,
            testkit::audit("codes.disable", T0 + 40),
        )
        .await
        .expect("disable");
    assert_eq!(disabled, Some(1));
    let newer = store
        .create_code_batch(
            NewCodeBatch {
                amount: Micros(1),
                promotional: false,
                note: None,
                expires_at: None,
                created_by: None,
                created_at: T0 + 50,
                hashes: vec![hash(4)],
            },
            testkit::audit("codes.create", T0 + 50),
        )
        .await
        .expect("a batch is created");
    let listed = store.code_batches(T0 + 60).await.expect("batches");
    assert_eq!(
        listed.iter().map(|b| b.id).collect::<Vec<_>>(),
        [newer.id, batch.id],
        "newest first"
    );

    // An unconditional credit may be promotional; a credit is never zero or negative.
    let CreditOutcome::Credited(bonus) = store
        .credit(
            NewLedgerEntry {
                kind: LedgerKind::Bonus,
                ..code_credit(alice.id, 700_000, true, T0 + 70)
            },
            CreditCondition::Unconditional,
            testkit::audit("balance.bonus", T0 + 70),
        )
        .await
        .expect("credits")
    else {
        panic!("an unconditional credit is written");
    };
    assert_eq!(
        (bonus.kind, bonus.promotional, bonus.balance_after),
        (LedgerKind::Bonus, true, Micros(700_000))
    );
    let before = written(store).await;
    for amount in [0, -1] {
        let refused = store
            .credit(
                code_credit(alice.id, amount, false, T0 + 71),
                CreditCondition::Unconditional,
                testkit::audit("balance.bonus", T0 + 71),
            )
            .await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
    }
    assert_eq!(written(store).await, before);
    assert_ledger_balanced(store).await;
}
