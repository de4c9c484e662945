//! Escrow leases on the PostgreSQL store (README, "Balances across replicas"), each on a
//! scratch schema of the test PostgreSQL:
//! - concurrent grants to many replicas never lease more than the balance, and the account's
//!   leased total is always the sum of its leases;
//! - a settlement is charged against its lease while the lease lives; once the lease expired
//!   and was swept, the sweep settled its written holds by the crash rule (the late
//!   settlement is then dropped: each request settled once), and a request the sweep never
//!   saw is charged from the free balance, never more than is free;
//! - the ledger check passes and no ledger row shows a balance below zero throughout.

#![expect(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use codexkey_common::Micros;
use codexkey_common::settlement::Settlement;
use codexkey_gateway::store::postgres::PgStore;
use codexkey_gateway::store::postgres::scratch::{self, ScratchSchema};
use codexkey_gateway::store::{
    AccountStore as _, KeyStore as _, LeaseAsk, LeaseOwner, LeaseStore as _, LedgerStore as _,
    LeftHold, MeterOp, MeteringStore as _, NewHold, NewLedgerEntry, SettledRequest, Store,
    UsageEventRecord, testkit,
};

async fn open() -> (ScratchSchema, Arc<PgStore>, tokio_postgres::Client) {
    let schema = ScratchSchema::create().await;
    let store = Arc::new(PgStore::open(&schema.url()).await.expect("the store opens"));
    let db = scratch::connect(&schema.url()).await;
    (schema, store, db)
}

/// The layer tests go through to set accounts up, as the conformance suite does.
mod setup {
    use super::*;
    use codexkey_gateway::store::AccountRecord;

    pub async fn account(store: &PgStore, email: &str, at: i64) -> AccountRecord {
        store
            .create_account(testkit::account(email, at), None)
            .await
            .unwrap()
    }

    pub async fn top_up(store: &PgStore, account_id: i64, amount: i64, at: i64) {
        store
            .append_ledger(
                NewLedgerEntry {
                    account_id,
                    kind: codexkey_common::api::LedgerKind::Payment,
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
            .unwrap();
    }
}

async fn int(db: &tokio_postgres::Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).await.expect(sql).get(0)
}

/// The invariants every test ends on: leased = the leases' sum and within the balance, no
/// ledger row below zero, the ledger check passes.
async fn assert_invariants(store: &PgStore, db: &tokio_postgres::Client) {
    assert_eq!(
        int(
            db,
            "SELECT COUNT(*) FROM accounts a WHERE a.leased_micros !=
               COALESCE((SELECT SUM(amount_micros) FROM balance_leases l WHERE l.account_id = a.id), 0)
               OR a.leased_micros > a.balance_micros"
        )
        .await,
        0,
        "leased totals match their leases and stay within the balance"
    );
    assert_eq!(
        int(
            db,
            "SELECT COUNT(*) FROM ledger_entries WHERE balance_after_micros < 0"
        )
        .await,
        0
    );
    let check = store.verify_ledger().await.unwrap();
    assert!(check.mismatches.is_empty(), "{:?}", check.mismatches);
}

fn crash(h: LeftHold, at: i64) -> UsageEventRecord {
    UsageEventRecord {
        cost: h.crash_charge,
        settlement: Settlement::CrashReconciled,
        ..UsageEventRecord::new(
            h.request_id,
            h.account_id,
            h.key_id,
            testkit::ROUTE,
            h.model,
            at,
        )
    }
}

#[tokio::test]
async fn concurrent_grants_never_lease_more_than_the_balance() {
    let (_schema, store, db) = open().await;
    let account = setup::account(store.as_ref(), "a@example.com", 1).await;
    setup::top_up(store.as_ref(), account.id, 1_000, 1).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let replica = format!("replica-{}", i % 8);
            let mut granted = 0;
            for _ in 0..5 {
                let ask = LeaseAsk {
                    need: Micros(30),
                    extra: Micros(100),
                };
                if let Some(g) = store
                    .grant_lease(account.id, &replica, ask, i64::MAX)
                    .await
                    .unwrap()
                {
                    assert!(g.granted >= Micros(1) && g.granted <= Micros(130));
                    granted += g.granted.0;
                }
            }
            granted
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    let leased = int(&db, "SELECT leased_micros FROM accounts").await;
    let in_leases = int(&db, "SELECT SUM(amount_micros)::bigint FROM balance_leases").await;
    assert_eq!(leased, in_leases);
    assert!(leased <= 1_000, "leased {leased} of 1000");
    assert_eq!(total, leased, "every grant is in a lease");
    assert_eq!(
        int(&db, "SELECT balance_micros FROM accounts").await,
        1_000,
        "leasing moves no money"
    );
    // With nothing free, a grant is refused.
    let everything = store
        .grant_lease(
            account.id,
            "greedy",
            LeaseAsk {
                need: Micros(1),
                extra: Micros(1_000_000),
            },
            i64::MAX,
        )
        .await
        .unwrap();
    let free = 1_000 - leased;
    match everything {
        Some(g) => assert!(g.granted.0 <= free.max(0)),
        None => assert_eq!(free, 0),
    }
    assert_invariants(&store, &db).await;
}

#[tokio::test]
async fn a_grant_takes_what_is_asked_and_a_quarter_of_the_rest_at_most() {
    let ask = LeaseAsk {
        need: Micros(100),
        extra: Micros(1_600),
    };
    assert_eq!(ask.grant(Micros(0)), None);
    // Less free than needed: all of it (admission then sizes the request to it).
    assert_eq!(ask.grant(Micros(60)), Some(Micros(60)));
    assert_eq!(ask.grant(Micros(100)), Some(Micros(100)));
    assert_eq!(ask.grant(Micros(500)), Some(Micros(200)));
    assert_eq!(ask.grant(Micros(1_000_000)), Some(Micros(1_700)));
}

fn owned_hold(
    request: &str,
    account: i64,
    key: i64,
    amount: i64,
    crash: i64,
    owner: &LeaseOwner,
) -> MeterOp {
    MeterOp::Hold(NewHold {
        crash_charge: Micros(crash),
        created_at: 5,
        owner: Some(owner.clone()),
        ..testkit::hold(request, account, key, amount)
    })
}

fn owned_settle(
    request: &str,
    account: i64,
    key: i64,
    cost: i64,
    hold_written: bool,
    owner: &LeaseOwner,
) -> MeterOp {
    MeterOp::Settle(Box::new(SettledRequest {
        event: testkit::event(request, account, Some(key), cost, 10),
        hold_written,
        owner: Some(owner.clone()),
    }))
}

#[tokio::test]
async fn settlements_count_against_a_live_lease_and_once_after_it_ends() {
    let (_schema, store, db) = open().await;
    let account = setup::account(store.as_ref(), "a@example.com", 1).await;
    setup::top_up(store.as_ref(), account.id, 1_000, 1).await;
    let key = store
        .create_key(testkit::key(account.id, "hash-a", 1))
        .await
        .unwrap()
        .id;
    let grant = store
        .grant_lease(
            account.id,
            "r1",
            LeaseAsk {
                need: Micros(500),
                extra: Micros::ZERO,
            },
            i64::MAX,
        )
        .await
        .unwrap()
        .expect("500 of 1000 are free");
    assert_eq!((grant.granted, grant.amount), (Micros(500), Micros(500)));
    let owner = LeaseOwner {
        replica: Arc::from("r1"),
        epoch: grant.epoch,
    };

    // Live lease: a charge comes out of the balance, the leased total and the lease together.
    store
        .apply_metering(vec![
            owned_hold("r-1", account.id, key, 300, 20, &owner),
            owned_hold("r-2", account.id, key, 150, 30, &owner),
        ])
        .await
        .map_err(|e| e.0)
        .unwrap();
    store
        .apply_metering(vec![owned_settle(
            "r-1", account.id, key, 120, true, &owner,
        )])
        .await
        .map_err(|e| e.0)
        .unwrap();
    assert_eq!(int(&db, "SELECT balance_micros FROM accounts").await, 880);
    assert_eq!(int(&db, "SELECT leased_micros FROM accounts").await, 380);
    assert_eq!(
        int(&db, "SELECT amount_micros FROM balance_leases").await,
        380
    );
    assert_eq!(int(&db, "SELECT held_micros FROM accounts").await, 150);
    assert_invariants(&store, &db).await;

    // Nothing expired yet: the sweep leaves the live lease and its hold alone.
    let sweep = store.expire_leases(1_000, crash).await.unwrap();
    assert_eq!((sweep.leases, sweep.holds), (0, 0));

    // The owner stops refreshing; the lease expires and is swept: r-2's hold is settled by
    // the crash rule (30), the rest of the lease returns.
    db.batch_execute("UPDATE balance_leases SET expires_at = 500")
        .await
        .unwrap();
    let sweep = store.expire_leases(1_000, crash).await.unwrap();
    assert_eq!(sweep.leases, 1);
    assert_eq!(sweep.returned, Micros(380));
    assert_eq!((sweep.holds, sweep.charged), (1, Micros(30)));
    assert_eq!(int(&db, "SELECT balance_micros FROM accounts").await, 850);
    assert_eq!(int(&db, "SELECT leased_micros FROM accounts").await, 0);
    assert_eq!(int(&db, "SELECT held_micros FROM accounts").await, 0);
    assert_eq!(int(&db, "SELECT COUNT(*) FROM holds").await, 0);

    // The owner's own settlement of r-2 arrives late: dropped, r-2 is settled once.
    // r-3 was admitted under the ended lease and never written as a hold: the sweep never
    // saw it, so it is charged from the free balance, as `lease_lost`.
    // (Its hold and settlement fell in one batch, so the writer never wrote the hold.)
    store
        .apply_metering(vec![
            owned_settle("r-2", account.id, key, 140, true, &owner),
            owned_settle("r-3", account.id, key, 70, false, &owner),
        ])
        .await
        .map_err(|e| e.0)
        .unwrap();
    assert_eq!(
        int(
            &db,
            "SELECT COUNT(*) FROM usage_events WHERE request_id = 'r-2'"
        )
        .await,
        1
    );
    assert_eq!(
        int(
            &db,
            "SELECT cost_micros FROM usage_events WHERE request_id = 'r-2'"
        )
        .await,
        30
    );
    let r3: (i64, String) = {
        let r = db
            .query_one(
                "SELECT cost_micros, settlement FROM usage_events WHERE request_id = 'r-3'",
                &[],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(r3, (70, "lease_lost".to_owned()));
    assert_eq!(int(&db, "SELECT balance_micros FROM accounts").await, 780);
    assert_invariants(&store, &db).await;

    // r-5's hold reaches the database after its lease ended: the next sweep settles it by
    // the crash rule (10), and the owner's settlement that follows is dropped.
    store
        .apply_metering(vec![owned_hold("r-5", account.id, key, 90, 10, &owner)])
        .await
        .map_err(|e| e.0)
        .unwrap();
    let sweep = store.expire_leases(1_000, crash).await.unwrap();
    assert_eq!(
        (sweep.leases, sweep.holds, sweep.charged),
        (0, 1, Micros(10))
    );
    store
        .apply_metering(vec![owned_settle("r-5", account.id, key, 80, true, &owner)])
        .await
        .map_err(|e| e.0)
        .unwrap();
    assert_eq!(
        int(
            &db,
            "SELECT cost_micros FROM usage_events WHERE request_id = 'r-5'"
        )
        .await,
        10
    );
    assert_eq!(int(&db, "SELECT balance_micros FROM accounts").await, 770);
    assert_eq!(int(&db, "SELECT COUNT(*) FROM holds").await, 0);
    assert_invariants(&store, &db).await;

    // A late settlement above what is free is charged what is free, never more: another
    // replica leases all but 40, and r-4 comes in at 200.
    let other = store
        .grant_lease(
            account.id,
            "r2",
            LeaseAsk {
                need: Micros(730),
                extra: Micros::ZERO,
            },
            i64::MAX,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.granted, Micros(730));
    store
        .apply_metering(vec![owned_settle(
            "r-4", account.id, key, 200, false, &owner,
        )])
        .await
        .map_err(|e| e.0)
        .unwrap();
    let r4 = db
        .query_one(
            "SELECT cost_micros, uncapped_cost_micros FROM usage_events WHERE request_id = 'r-4'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (r4.get::<_, i64>(0), r4.get::<_, Option<i64>>(1)),
        (40, Some(200))
    );
    assert_eq!(int(&db, "SELECT balance_micros FROM accounts").await, 730);
    assert_eq!(int(&db, "SELECT leased_micros FROM accounts").await, 730);
    assert_invariants(&store, &db).await;

    // A debit may not take leased money; giving the lease back frees it.
    let refused = store
        .append_ledger(
            NewLedgerEntry {
                account_id: account.id,
                kind: codexkey_common::api::LedgerKind::Adjustment,
                amount: Micros(-100),
                reason: None,
                actor_id: None,
                request_id: None,
                created_at: 20,
                forbid_negative: true,
                promotional: false,
            },
            None,
        )
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("leased"), "{refused}");
    assert_eq!(
        store
            .end_lease(account.id, "r2", other.epoch)
            .await
            .unwrap(),
        Micros(730)
    );
    assert_eq!(
        store
            .end_lease(account.id, "r2", other.epoch)
            .await
            .unwrap(),
        Micros::ZERO,
        "a lease ends once"
    );
    assert_eq!(int(&db, "SELECT leased_micros FROM accounts").await, 0);
    assert_invariants(&store, &db).await;
}

#[tokio::test]
async fn a_refresh_names_the_live_leases_and_the_sweep_ends_only_expired_ones() {
    let (_schema, store, db) = open().await;
    let a = setup::account(store.as_ref(), "a@example.com", 1).await;
    let b = setup::account(store.as_ref(), "b@example.com", 1).await;
    setup::top_up(store.as_ref(), a.id, 1_000, 1).await;
    setup::top_up(store.as_ref(), b.id, 1_000, 1).await;
    let ask = LeaseAsk {
        need: Micros(100),
        extra: Micros::ZERO,
    };
    let ga = store
        .grant_lease(a.id, "r1", ask, 2_000)
        .await
        .unwrap()
        .unwrap();
    let gb = store
        .grant_lease(b.id, "r1", ask, 2_000)
        .await
        .unwrap()
        .unwrap();
    store
        .grant_lease(b.id, "r2", ask, 1_000)
        .await
        .unwrap()
        .unwrap();
    let mut live = store.refresh_leases("r1", 5_000).await.unwrap();
    live.sort_unstable();
    assert_eq!(live, vec![(a.id, ga.epoch), (b.id, gb.epoch)]);
    // r2 never refreshed: at 3000 its lease is over, r1's (refreshed to 5000) are not.
    let sweep = store.expire_leases(3_000, crash).await.unwrap();
    assert_eq!((sweep.leases, sweep.returned), (1, Micros(100)));
    assert_eq!(int(&db, "SELECT COUNT(*) FROM balance_leases").await, 2);
    // Growing a live lease keeps its epoch; after the sweep ended one, the next grant starts
    // a new lease, with a new epoch.
    let grown = store
        .grant_lease(a.id, "r1", ask, 5_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((grown.epoch, grown.amount), (ga.epoch, Micros(200)));
    let fresh = store
        .grant_lease(b.id, "r2", ask, 5_000)
        .await
        .unwrap()
        .unwrap();
    assert!(fresh.epoch > gb.epoch);
    assert_eq!(fresh.amount, Micros(100));
    assert_eq!(
        int(
            &db,
            &format!("SELECT leased_micros FROM accounts WHERE id = {}", a.id)
        )
        .await,
        200
    );
    let _: &dyn Store = store.as_ref();
    assert_invariants(&store, &db).await;
}
