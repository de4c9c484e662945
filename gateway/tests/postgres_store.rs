//! What the PostgreSQL store adds to the conformance suite, each on a scratch schema of the
//! test PostgreSQL (`CODEXKEY_TEST_POSTGRES_URL`, else 127.0.0.1:5432 `test`; without it these
//! fail, they do not skip):
//! - the schema's money guards refuse, by themselves, what the gateway would never write (the
//!   PostgreSQL twins of the SQLite migrations' triggers), and a balance is its ledger's sum;
//! - replicas starting together apply the migrations once, and a migration numbered below one
//!   already applied is still applied when it arrives;
//! - concurrent writers to one balance never overdraw it nor lose an update;
//! - the order schema's guards (terms fixed, states forward, paid exactly when linked to its
//!   credit, events append-only) refuse by themselves too;
//! - concurrent payments of one order credit it once, the pending-order limit holds under
//!   concurrent orders, and two-factor login's single-use things are spent once;
//! - the refund and referral schema's guards (states forward, booked amounts fixed, one open
//!   refund per order, links once, commissions append-only) refuse by themselves too;
//! - racing decisions of one refund decide it once, and payments of accounts referred by each
//!   other (each crediting the other's commission) never deadlock;
//! - racing password resets spend one token once, and racing invitations to one address leave
//!   only the newest unused;
//! - the audit log takes a deleted account's pseudonym as a target, and no other change;
//! - changes to what replicas cache notify `codexkey_changes` on commit, and nothing else does;
//! - a scratch schema drops past a connection left idle in a transaction (test infrastructure).

#![expect(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use codexkey_common::Micros;
use codexkey_common::api::{LedgerKind, OrderState, RefundState};
use codexkey_gateway::store::postgres::PgStore;
use codexkey_gateway::store::postgres::scratch::{self, ScratchSchema};
use codexkey_gateway::store::{
    AccountStore as _, AccountTokenStore as _, CommissionTerms, CreditCondition, CreditOutcome,
    CreditRefusal, DebitCondition, DebitOutcome, DebitRefusal, InvitationStore as _,
    LedgerStore as _, MeterOp, MeteringStore as _, NewAccountToken, NewInvitation, NewLedgerEntry,
    NewOrder, NewProviderEvent, NewRefund, OrderFilter, OrderStore as _, ReferralStore as _,
    RefundStore as _, SettledRequest, TokenPurpose, TwoFactorStore as _, testkit,
};

/// Whether `sql` fails with an integrity error (class 23), which the store reports as a
/// conflict; anything else (a typo in the test) fails the test.
async fn refused(db: &tokio_postgres::Client, sql: &str) -> bool {
    match db.batch_execute(sql).await {
        Ok(()) => false,
        Err(e) => {
            let code = e.as_db_error().map(|d| d.code().code().to_owned());
            assert!(
                code.as_deref().is_some_and(|c| c.starts_with("23")),
                "{sql}: not an integrity error: {e:?}"
            );
            true
        }
    }
}

#[tokio::test]
async fn the_schema_refuses_what_the_gateway_never_writes() {
    let schema = ScratchSchema::create().await;
    drop(PgStore::open(&schema.url()).await.expect("the store opens"));
    let db = scratch::connect(&schema.url()).await;
    db.batch_execute(
        "INSERT INTO accounts (id, email, password_hash, balance_micros, created_at, updated_at)
         VALUES (1, 'a@x', 'h', 1000, 0, 0), (2, 'b@x', 'h', 0, 0, 0);
         INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, created_at)
         VALUES (1, 'payment', 1000, 1000, 0);
         INSERT INTO code_batches (id, amount_micros, promotional, created_at) VALUES (1, 5, false, 0);
         INSERT INTO redemption_codes (id, batch_id, code_hash) VALUES (1, 1, 'h1'), (2, 1, 'h2');
         UPDATE redemption_codes SET redeemed_by = 1, redeemed_at = 10 WHERE id = 1;
         INSERT INTO audit_log (action, created_at) VALUES ('x', 0);",
    )
    .await
    .expect("what the gateway writes goes in");
    for sql in [
        // Amounts beyond the largest one, in every table that holds money.
        "UPDATE accounts SET balance_micros = 1000000000000001 WHERE id = 1",
        "UPDATE accounts SET held_micros = -1 WHERE id = 1",
        "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, created_at)
         VALUES (1, 'adjustment', 1000000000000001, 1000, 0)",
        "INSERT INTO holds (request_id, account_id, amount_micros, crash_charge_micros, route, model, created_at)
         VALUES ('r', 1, -5, 0, 'chat.completions', 'm', 0)",
        "INSERT INTO api_keys (account_id, prefix, secret_hash, created_at, budget_micros)
         VALUES (1, 'ck-x', 'hx', 0, -1)",
        // Usage events hold whole, non-negative amounts and counts.
        "INSERT INTO usage_events (request_id, account_id, route, input_tokens, cost_micros, status, created_at)
         VALUES ('r', 1, 'chat.completions', -1, 5, 200, 0)",
        "INSERT INTO usage_events (request_id, account_id, route, cost_micros, status, created_at)
         VALUES ('r', 1, 'chat.completions', -5, 200, 0)",
        // The ledger and the audit log are append-only.
        "UPDATE ledger_entries SET amount_micros = 1",
        "DELETE FROM ledger_entries",
        "TRUNCATE ledger_entries CASCADE",
        "UPDATE audit_log SET action = 'y'",
        "DELETE FROM audit_log",
        // Typed entries: no old kind, promotional only on a credit, bonuses promotional.
        "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, created_at)
         VALUES (1, 'topup', 1, 1001, 0)",
        "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, created_at, promotional)
         VALUES (1, 'charge', -1, 999, 0, true)",
        "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, created_at)
         VALUES (1, 'bonus', 1, 1001, 0)",
        // A redemption is never undone or moved, a redeemed code never disabled, no code
        // deleted, and no batch is worth nothing.
        "UPDATE redemption_codes SET redeemed_by = NULL, redeemed_at = NULL WHERE id = 1",
        "UPDATE redemption_codes SET redeemed_by = 2 WHERE id = 1",
        "UPDATE redemption_codes SET disabled_at = 11 WHERE id = 1",
        "DELETE FROM redemption_codes WHERE id = 2",
        "TRUNCATE redemption_codes",
        "INSERT INTO code_batches (amount_micros, promotional, created_at) VALUES (0, false, 0)",
        // A balance is its ledger's sum: an entry carries the balance after it, and a balance
        // moves only with an entry (checked at commit).
        "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, created_at)
         VALUES (1, 'adjustment', 5, 2000, 0)",
        "UPDATE accounts SET balance_micros = 2000 WHERE id = 1",
        "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, created_at)
         VALUES (1, 'adjustment', 5, 1005, 0)",
        "INSERT INTO accounts (email, password_hash, balance_micros, created_at, updated_at)
         VALUES ('c@x', 'h', 7, 0, 0)",
    ] {
        assert!(refused(&db, sql).await, "accepted: {sql}");
    }
    let row = db
        .query_one(
            "SELECT (SELECT balance_micros FROM accounts WHERE id = 1),
                    (SELECT COUNT(*) FROM ledger_entries), (SELECT COUNT(*) FROM redemption_codes)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i64>(2)
        ),
        (1000, 1, 2),
        "nothing changed"
    );
    // An entry with its balance move, in one transaction, goes in.
    db.batch_execute(
        "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, created_at)
         VALUES (1, 'adjustment', 5, 1005, 0);
         UPDATE accounts SET balance_micros = 1005 WHERE id = 1;",
    )
    .await
    .expect("an entry and its balance move go in together");
    // What SQLite needs triggers for, BIGINT refuses by type: arithmetic that overflows is an
    // error (not a float), and text is no amount. (A fractional literal written by hand is
    // rounded on assignment, as PostgreSQL does for any integer column; the gateway binds
    // every amount as an integer and never writes one.)
    for sql in [
        "UPDATE accounts SET balance_micros = balance_micros + 9223372036854775807 WHERE id = 1",
        "UPDATE accounts SET balance_micros = 'lots' WHERE id = 1",
    ] {
        assert!(db.batch_execute(sql).await.is_err(), "accepted: {sql}");
    }
}

#[tokio::test]
async fn replicas_starting_together_migrate_once() {
    let schema = ScratchSchema::create().await;
    let url = schema.url();
    let opened = futures_util::future::join_all((0..4).map(|_| PgStore::open(&url))).await;
    for store in opened {
        store.expect("every replica opens");
    }
    let db = scratch::connect(&url).await;
    let row = db
        .query_one("SELECT COUNT(*), MAX(version) FROM schema_migrations", &[])
        .await
        .unwrap();
    let (applied, latest): (i64, i64) = (row.get(0), row.get(1));
    assert!(latest >= 2, "{latest}");
    assert_eq!(applied, latest, "each migration is applied once");
}

/// Fifty debits of 30 race for a balance of 1,000 from as many connections: exactly 33 go
/// through, the balance ends at 10, and every entry's balance-after is its own (none computed
/// from a balance another writer was moving).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_debits_never_overdraw_nor_lose_an_update() {
    let schema = ScratchSchema::create().await;
    let store = Arc::new(PgStore::open(&schema.url()).await.expect("the store opens"));
    let a = store
        .create_account(testkit::account("a@x", 0), None)
        .await
        .unwrap();
    let entry = |amount: i64| NewLedgerEntry {
        account_id: a.id,
        kind: LedgerKind::Adjustment,
        amount: Micros(amount),
        reason: Some("race".into()),
        actor_id: None,
        request_id: None,
        created_at: 1,
        forbid_negative: true,
        promotional: false,
    };
    store.append_ledger(entry(1000), None).await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = store.clone();
            let e = entry(-30);
            tokio::spawn(async move { store.append_ledger(e, None).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    assert_eq!(ok, 33);
    let a = store.account_by_id(a.id).await.unwrap().unwrap();
    assert_eq!(a.balance, Micros(10));
    let ledger = store.ledger(a.id, None, 1000).await.unwrap();
    assert_eq!(ledger.len(), 34);
    let mut afters: Vec<i64> = ledger.iter().map(|e| e.balance_after.0).collect();
    afters.sort_unstable();
    afters.dedup();
    assert_eq!(
        afters.len(),
        34,
        "no two entries started from the same balance"
    );
    assert!(afters.iter().all(|b| *b >= 0));
    let check = store.verify_ledger().await.unwrap();
    assert!(check.mismatches.is_empty(), "{:?}", check.mismatches);
}

/// Metering batches (each charging 10) race admin credits (each of 5) on one account from as
/// many connections: the balance ends at exactly what they add up to and matches its ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metering_batches_and_ledger_writes_queue_on_the_balance() {
    let schema = ScratchSchema::create().await;
    let store = Arc::new(PgStore::open(&schema.url()).await.expect("the store opens"));
    let a = store
        .create_account(testkit::account("a@x", 0), None)
        .await
        .unwrap();
    let credit = |amount: i64| NewLedgerEntry {
        account_id: a.id,
        kind: LedgerKind::Adjustment,
        amount: Micros(amount),
        reason: Some("race".into()),
        actor_id: None,
        request_id: None,
        created_at: 1,
        forbid_negative: true,
        promotional: false,
    };
    store.append_ledger(credit(1000), None).await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..20 {
        let metering = store.clone();
        tasks.push(tokio::spawn(async move {
            let settle = MeterOp::Settle(Box::new(SettledRequest {
                event: testkit::event(&format!("r-{n}"), a.id, None, 10, 2),
                hold_written: false,
                owner: None,
            }));
            metering
                .apply_metering(vec![settle])
                .await
                .map_err(|(e, _)| e)
        }));
        let ledger = store.clone();
        let e = credit(5);
        tasks.push(tokio::spawn(async move {
            ledger.append_ledger(e, None).await.map(|_| ())
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("every write goes through");
    }
    let a = store.account_by_id(a.id).await.unwrap().unwrap();
    assert_eq!(a.balance, Micros(1000 - 20 * 10 + 20 * 5));
    let check = store.verify_ledger().await.unwrap();
    assert!(check.mismatches.is_empty(), "{:?}", check.mismatches);
}

/// The rollup equals the sums of the raw events after inserts (by the metering writer) and
/// after updates and deletes (by the schema's trigger), with no empty group left behind.
#[tokio::test]
async fn the_rollup_follows_inserts_updates_and_deletes() {
    let schema = ScratchSchema::create().await;
    let store = PgStore::open(&schema.url()).await.expect("the store opens");
    let a = store
        .create_account(testkit::account("a@x", 0), None)
        .await
        .unwrap();
    let q = 900_000;
    let settles: Vec<MeterOp> = [
        ("r1", Some("gpt"), 200, 10, 100),
        ("r2", Some("gpt"), 200, 20, 200),
        ("r3", Some("gpt"), 502, 30, 0),
        ("r4", Some("claude"), 200, q + 1, 300),
        ("r5", None, 0, q + 2, 7),
    ]
    .into_iter()
    .map(|(id, model, status, at, cost)| {
        let mut event = testkit::event(id, a.id, None, cost, at);
        event.model = model.map(str::to_owned);
        event.status = status;
        event.usage.input_tokens = 11;
        MeterOp::Settle(Box::new(SettledRequest {
            event,
            hold_written: false,
            owner: None,
        }))
    })
    .collect();
    store
        .apply_metering(settles)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let db = scratch::connect(&schema.url()).await;
    let groups = |sql: &'static str| {
        let db = &db;
        async move {
            db.query(sql, &[])
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r.get::<_, i64>(0),
                        r.get::<_, i64>(1),
                        r.get::<_, String>(2),
                        r.get::<_, i64>(3),
                        r.get::<_, i64>(4),
                        r.get::<_, i64>(5),
                        r.get::<_, i64>(6),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let rollup = "SELECT bucket, key_id, model, status, requests, input_tokens, cost_micros
                  FROM usage_rollup ORDER BY 1, 2, 3, 4";
    let raw = "SELECT created_at - created_at % 900000, COALESCE(key_id, 0), COALESCE(model, ''),
                      status, COUNT(*), SUM(input_tokens)::bigint, SUM(cost_micros)::bigint
               FROM usage_events GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4";
    assert_eq!(groups(rollup).await, groups(raw).await);
    assert_eq!(groups(rollup).await.len(), 4);
    db.batch_execute(
        "UPDATE usage_events SET created_at = 5 * 900000, model = 'claude', status = 429 WHERE request_id = 'r1';
         UPDATE usage_events SET cost_micros = 999 WHERE request_id = 'r2';
         DELETE FROM usage_events WHERE request_id IN ('r3', 'r5');",
    )
    .await
    .unwrap();
    assert_eq!(groups(rollup).await, groups(raw).await);
    let empty: i64 = db
        .query_one("SELECT COUNT(*) FROM usage_rollup WHERE requests = 0", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(empty, 0);
}

#[tokio::test]
async fn the_order_schema_refuses_what_the_gateway_never_writes() {
    let schema = ScratchSchema::create().await;
    drop(PgStore::open(&schema.url()).await.expect("the store opens"));
    let db = scratch::connect(&schema.url()).await;
    // Order 1 pending with a checkout, 2 paid by entry 1, 3 failed; entry 2 is a payment no
    // order points at yet, of another amount than order 1's.
    db.batch_execute(
        "INSERT INTO accounts (id, email, password_hash, balance_micros, created_at, updated_at)
         VALUES (1, 'a@x', 'h', 1300, 0, 0), (2, 'b@x', 'h', 0, 0, 0);
         INSERT INTO ledger_entries (id, account_id, kind, amount_micros, balance_after_micros, created_at)
         VALUES (1, 1, 'payment', 1000, 1000, 0), (2, 1, 'payment', 300, 1300, 0);
         INSERT INTO orders (id, account_id, provider, amount_micros, currency, amount_minor, state,
                             session_id, checkout_url, ledger_id, created_at, updated_at, paid_at)
         VALUES (1, 1, 'stripe', 500, 'usd', 5, 'pending', 'cs_1', 'https://p/1', NULL, 0, 0, NULL),
                (2, 1, 'stripe', 1000, 'usd', 10, 'paid', 'cs_2', 'https://p/2', 1, 0, 1, 1),
                (3, 1, 'stripe', 700, 'usd', 7, 'failed', NULL, NULL, NULL, 0, 1, NULL);
         INSERT INTO provider_events (provider, event_id, event_type, order_id, outcome, received_at)
         VALUES ('stripe', 'evt_1', 'checkout.session.completed', 2, 'paid', 1);",
    )
    .await
    .expect("what the gateway writes goes in");
    for sql in [
        // An order's terms never change.
        "UPDATE orders SET amount_micros = 600 WHERE id = 1",
        "UPDATE orders SET amount_minor = 6 WHERE id = 1",
        "UPDATE orders SET currency = 'eur' WHERE id = 1",
        "UPDATE orders SET account_id = 2 WHERE id = 1",
        "UPDATE orders SET provider = 'other' WHERE id = 1",
        "UPDATE orders SET created_at = 5 WHERE id = 1",
        // Nor its checkout once attached, nor a session shared by two orders.
        "UPDATE orders SET session_id = 'cs_x' WHERE id = 1",
        "UPDATE orders SET checkout_url = 'https://evil' WHERE id = 1",
        "UPDATE orders SET session_id = 'cs_1' WHERE id = 3",
        // States move forward only.
        "UPDATE orders SET state = 'pending' WHERE id = 3",
        "UPDATE orders SET state = 'expired' WHERE id = 3",
        "UPDATE orders SET state = 'pending', ledger_id = NULL, paid_at = NULL WHERE id = 2",
        // Paid exactly when linked to its credit, which never changes afterwards.
        "UPDATE orders SET state = 'paid' WHERE id = 1",
        "UPDATE orders SET ledger_id = 2, paid_at = 5 WHERE id = 1",
        "UPDATE orders SET ledger_id = 2 WHERE id = 2",
        "UPDATE orders SET paid_at = 9 WHERE id = 2",
        // The credit is a payment of the order's own account and amount, used by one order.
        "UPDATE orders SET state = 'paid', ledger_id = 2, paid_at = 5 WHERE id = 1",
        "UPDATE orders SET state = 'paid', ledger_id = 1, paid_at = 5 WHERE id = 1",
        "INSERT INTO orders (account_id, provider, amount_micros, currency, amount_minor, state,
                             ledger_id, created_at, updated_at, paid_at)
         VALUES (2, 'stripe', 300, 'usd', 3, 'paid', 2, 0, 0, 0)",
        // Orders hold whole positive amounts in a lower-case currency.
        "INSERT INTO orders (account_id, provider, amount_micros, currency, amount_minor, state, created_at, updated_at)
         VALUES (1, 'stripe', 0, 'usd', 1, 'pending', 0, 0)",
        "INSERT INTO orders (account_id, provider, amount_micros, currency, amount_minor, state, created_at, updated_at)
         VALUES (1, 'stripe', 1, 'USD', 1, 'pending', 0, 0)",
        "INSERT INTO orders (account_id, provider, amount_micros, currency, amount_minor, state, created_at, updated_at)
         VALUES (1, 'stripe', 1, 'usd', 0, 'pending', 0, 0)",
        // Orders are never deleted; events are recorded once and never rewritten.
        "DELETE FROM orders WHERE id = 3",
        "TRUNCATE orders CASCADE",
        "INSERT INTO provider_events (provider, event_id, event_type, order_id, outcome, received_at)
         VALUES ('stripe', 'evt_1', 'checkout.session.completed', 1, 'paid', 2)",
        "UPDATE provider_events SET outcome = 'rejected'",
        "DELETE FROM provider_events",
        "TRUNCATE provider_events",
    ] {
        assert!(refused(&db, sql).await, "accepted: {sql}");
    }
    let row = db
        .query_one(
            "SELECT string_agg(id || ':' || state || ':' || COALESCE(ledger_id::text, '-')
                               || ':' || COALESCE(session_id, '-'), ' ' ORDER BY id),
                    (SELECT COUNT(*) FROM provider_events)
             FROM orders",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, i64>(1)),
        ("1:pending:-:cs_1 2:paid:1:cs_2 3:failed:-:-".to_owned(), 1),
        "nothing changed"
    );
    // What the gateway does write goes in: a pending order closed, a paid one refunded later.
    db.batch_execute(
        "UPDATE orders SET state = 'expired', updated_at = 9 WHERE id = 1;
         UPDATE orders SET state = 'refunded', updated_at = 9 WHERE id = 2;",
    )
    .await
    .expect("forward moves go in");
}

fn payment(account_id: i64, amount: i64) -> NewLedgerEntry {
    NewLedgerEntry {
        account_id,
        kind: LedgerKind::Payment,
        amount: Micros(amount),
        reason: Some("an order".into()),
        actor_id: None,
        request_id: None,
        created_at: 2,
        forbid_negative: true,
        promotional: false,
    }
}

/// Per round, an order is paid at once by four webhook events (each its own event id, as
/// Stripe's `completed` and `async_payment_succeeded` are) and four sweeps, each on its own
/// connection: it is credited once, every other attempt is refused as not pending (none fails,
/// none deadlocks), only the paying event is recorded, and the balance is its ledger's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_and_sweeps_racing_for_one_order_pay_it_once() {
    let schema = ScratchSchema::create().await;
    let store = Arc::new(PgStore::open(&schema.url()).await.expect("the store opens"));
    let a = store
        .create_account(testkit::account("a@x", 0), None)
        .await
        .unwrap();
    for round in 0..5_i64 {
        let order = store
            .create_order(
                NewOrder {
                    account_id: a.id,
                    provider: "stripe".into(),
                    amount: Micros(1_000_000),
                    currency: "usd".into(),
                    amount_minor: 100,
                    created_at: 1,
                },
                1,
                testkit::audit("orders.create", 1),
            )
            .await
            .unwrap()
            .expect("under the limit: the last round's order is paid");
        let session = format!("cs_{round}");
        store
            .attach_session(order.id, &session, "https://p", 1)
            .await
            .unwrap();
        let pending = CreditCondition::OrderPending {
            order_id: order.id,
            provider: "stripe".into(),
            session_id: session,
            currency: "usd".into(),
            amount_minor: 100,
            commission: None,
        };
        let tasks: Vec<_> = (0..8)
            .map(|n| {
                let store = store.clone();
                let condition = if n % 2 == 0 {
                    CreditCondition::EventUnseen {
                        event: NewProviderEvent {
                            provider: "stripe".into(),
                            event_id: format!("evt_{round}_{n}"),
                            event_type: "checkout.session.completed".into(),
                            order_id: Some(order.id),
                            outcome: "paid",
                            received_at: 2,
                        },
                        then: Box::new(pending.clone()),
                    }
                } else {
                    pending.clone()
                };
                tokio::spawn(async move {
                    store
                        .credit(
                            payment(a.id, 1_000_000),
                            condition,
                            testkit::audit("orders.paid", 2),
                        )
                        .await
                })
            })
            .collect();
        let mut credited = 0;
        for t in tasks {
            match t.await.unwrap().expect("no attempt fails") {
                CreditOutcome::Credited(_) => credited += 1,
                CreditOutcome::Refused(r) => assert_eq!(
                    r,
                    CreditRefusal::OrderNotPending(OrderState::Paid),
                    "round {round}"
                ),
            }
        }
        assert_eq!(credited, 1, "round {round}");
        let order = store.order(order.id).await.unwrap().unwrap();
        assert_eq!(order.state, OrderState::Paid);
        assert!(order.ledger_id.is_some());
    }
    let a = store.account_by_id(a.id).await.unwrap().unwrap();
    assert_eq!(a.balance, Micros(5_000_000));
    let db = scratch::connect(&schema.url()).await;
    let paid_events: i64 = db
        .query_one("SELECT COUNT(*) FROM provider_events", &[])
        .await
        .unwrap()
        .get(0);
    assert!(
        paid_events <= 5,
        "only an event that paid is recorded: {paid_events}"
    );
    let check = store.verify_ledger().await.unwrap();
    assert!(check.mismatches.is_empty(), "{:?}", check.mismatches);
}

/// Ten orders created at once for one account with a limit of three: three are created.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_pending_limit_holds_under_concurrent_orders() {
    let schema = ScratchSchema::create().await;
    let store = Arc::new(PgStore::open(&schema.url()).await.expect("the store opens"));
    let a = store
        .create_account(testkit::account("a@x", 0), None)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .create_order(
                        NewOrder {
                            account_id: a.id,
                            provider: "stripe".into(),
                            amount: Micros(1_000_000 + n),
                            currency: "usd".into(),
                            amount_minor: 100,
                            created_at: 1,
                        },
                        3,
                        testkit::audit("orders.create", 1),
                    )
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        if t.await.unwrap().expect("no attempt fails").is_some() {
            created += 1;
        }
    }
    assert_eq!(created, 3);
    let listed = store
        .orders(
            OrderFilter {
                account_id: Some(a.id),
                ..OrderFilter::default()
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 3);
}

/// Each single-use thing of two-factor login, raced for by eight connections, is spent once:
/// a TOTP time step, a recovery code, a login challenge.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_factor_single_uses_are_spent_once_under_concurrency() {
    let schema = ScratchSchema::create().await;
    let store = Arc::new(PgStore::open(&schema.url()).await.expect("the store opens"));
    let a = store
        .create_account(testkit::account("a@x", 0), None)
        .await
        .unwrap();
    store.begin_totp(a.id, vec![1, 2, 3], 1).await.unwrap();
    assert!(
        store
            .confirm_totp(
                a.id,
                100,
                vec!["r1".into(), "r2".into()],
                testkit::audit("account.2fa_enabled", 1)
            )
            .await
            .unwrap()
    );
    store
        .create_login_challenge(a.id, "ch1", 1, 1_000)
        .await
        .unwrap();
    let (mut steps, mut codes, mut challenges) = (0, 0, 0);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                (
                    store.accept_totp_step(a.id, 101).await.unwrap(),
                    store.use_recovery_code(a.id, "r1", 2).await.unwrap(),
                    store.take_login_challenge("ch1", 2).await.unwrap(),
                )
            })
        })
        .collect();
    for t in tasks {
        let (step, code, challenge) = t.await.unwrap();
        steps += usize::from(step);
        codes += usize::from(code);
        if let Some(account) = challenge {
            assert_eq!(account, a.id);
            challenges += 1;
        }
    }
    assert_eq!((steps, codes, challenges), (1, 1, 1));
    let totp = store.totp(a.id).await.unwrap().unwrap();
    assert_eq!((totp.last_step, totp.recovery_codes_left), (Some(101), 1));
    assert!(store.account_by_id(a.id).await.unwrap().unwrap().two_factor);
}

/// A migration numbered below one already applied (a branch's 3 merged after another's 4) is
/// still applied, once; the others are not run again.
#[tokio::test]
async fn a_lower_numbered_migration_that_arrives_later_is_applied() {
    let schema = ScratchSchema::create().await;
    let url = schema.url();
    let first: &[(i64, &str, &str)] = &[
        (1, "one", "CREATE TABLE one (x BIGINT);"),
        (3, "three", "CREATE TABLE three (x BIGINT);"),
    ];
    scratch::migrate_with(&url, first).await.unwrap();
    let later: &[(i64, &str, &str)] = &[
        (1, "one", "CREATE TABLE one (x BIGINT);"),
        (2, "two", "CREATE TABLE two (x BIGINT);"),
        (3, "three", "CREATE TABLE three (x BIGINT);"),
    ];
    scratch::migrate_with(&url, later).await.unwrap();
    scratch::migrate_with(&url, later).await.unwrap();
    let db = scratch::connect(&url).await;
    let versions: Vec<i64> = db
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [1, 2, 3]);
    db.batch_execute("INSERT INTO two (x) VALUES (1)")
        .await
        .unwrap();
}

#[tokio::test]
async fn the_refund_and_referral_schema_refuses_what_the_gateway_never_writes() {
    let schema = ScratchSchema::create().await;
    drop(PgStore::open(&schema.url()).await.expect("the store opens"));
    let db = scratch::connect(&schema.url()).await;
    // Order 1 of account 1 paid by entry 1; refund 1 of it approved by debit 2, refund 2
    // denied; account 1 was referred by account 2, whose commission on order 1 is entry 3.
    db.batch_execute(
        "INSERT INTO accounts (id, email, password_hash, balance_micros, created_at, updated_at)
         VALUES (1, 'a@x', 'h', 600, 0, 0), (2, 'b@x', 'h', 100, 0, 0);
         INSERT INTO ledger_entries (id, account_id, kind, amount_micros, balance_after_micros, created_at, promotional)
         VALUES (1, 1, 'payment', 1000, 1000, 0, false), (2, 1, 'refund', -400, 600, 1, false),
                (3, 2, 'referral_commission', 100, 100, 0, true);
         INSERT INTO orders (id, account_id, provider, amount_micros, currency, amount_minor, state,
                             session_id, checkout_url, ledger_id, created_at, updated_at, paid_at)
         VALUES (1, 1, 'stripe', 1000, 'usd', 10, 'paid', 'cs_1', 'https://p/1', 1, 0, 0, 0);
         INSERT INTO refunds (id, order_id, account_id, state, source, amount_micros, amount_minor,
                              ledger_id, created_at, updated_at)
         VALUES (1, 1, 1, 'approved', 'request', 400, 4, 2, 1, 1),
                (2, 1, 1, 'denied', 'request', 50, NULL, NULL, 0, 1);
         INSERT INTO referral_codes (account_id, code, created_at)
         VALUES (1, 'CODE01', 0), (2, 'CODE02', 0);
         INSERT INTO referrals (referee_id, referrer_id, created_at) VALUES (1, 2, 0);
         INSERT INTO referral_commissions (id, kind, order_id, referee_id, referrer_id, ledger_id,
                                           amount_micros, due_micros, created_at)
         VALUES (1, 'earned', 1, 1, 2, 3, 100, 100, 0);",
    )
    .await
    .expect("what the gateway writes goes in");
    for sql in [
        // A refund's state only moves forward.
        "UPDATE refunds SET state = 'requested' WHERE id = 2",
        "UPDATE refunds SET state = 'requested', ledger_id = NULL, amount_minor = NULL WHERE id = 1",
        "UPDATE refunds SET state = 'denied', ledger_id = NULL, amount_minor = NULL WHERE id = 1",
        // Its order, account, source and booked amount never change.
        "UPDATE refunds SET amount_micros = 300 WHERE id = 1",
        "UPDATE refunds SET amount_minor = 3 WHERE id = 1",
        "UPDATE refunds SET ledger_id = 1 WHERE id = 1",
        "UPDATE refunds SET account_id = 2 WHERE id = 2",
        "UPDATE refunds SET source = 'provider' WHERE id = 2",
        "UPDATE refunds SET created_at = 5 WHERE id = 2",
        // Debited exactly when approved or after, given back exactly when failed.
        "UPDATE refunds SET state = 'failed' WHERE id = 1",
        "INSERT INTO refunds (order_id, account_id, state, source, amount_micros, created_at, updated_at)
         VALUES (1, 1, 'succeeded', 'provider', 10, 0, 0)",
        // The debit is a refund entry of the refund's account for its amount; the return
        // credit gives back exactly that.
        "INSERT INTO refunds (order_id, account_id, state, source, amount_micros, amount_minor,
                              ledger_id, created_at, updated_at)
         VALUES (1, 1, 'succeeded', 'provider', 1000, 10, 1, 0, 0)",
        "UPDATE refunds SET state = 'failed', return_ledger_id = 1 WHERE id = 1",
        // One open refund per order, a positive amount, of the order's own account.
        "INSERT INTO refunds (order_id, account_id, state, source, amount_micros, created_at, updated_at)
         VALUES (1, 1, 'requested', 'request', 10, 0, 0)",
        "INSERT INTO refunds (order_id, account_id, state, source, amount_micros, created_at, updated_at)
         VALUES (1, 1, 'denied', 'request', 0, 0, 0)",
        "INSERT INTO refunds (order_id, account_id, state, source, amount_micros, created_at, updated_at)
         VALUES (1, 2, 'denied', 'request', 10, 0, 0)",
        // Refunds are never deleted.
        "DELETE FROM refunds WHERE id = 2",
        "TRUNCATE refunds CASCADE",
        // A referral code never changes, nor a link, made once and never to oneself.
        "UPDATE referral_codes SET code = 'CODE03' WHERE account_id = 1",
        "UPDATE referrals SET referrer_id = 1 WHERE referee_id = 1",
        "DELETE FROM referrals",
        "TRUNCATE referrals",
        "INSERT INTO referrals (referee_id, referrer_id, created_at) VALUES (2, 2, 0)",
        "INSERT INTO referrals (referee_id, referrer_id, created_at) VALUES (1, 2, 5)",
        // Commissions are append-only, earned once per order with an entry, taken back once
        // per refund at most what was due, by a debit of the referrer.
        "UPDATE referral_commissions SET amount_micros = 1",
        "DELETE FROM referral_commissions",
        "TRUNCATE referral_commissions",
        "INSERT INTO referral_commissions (kind, order_id, referee_id, referrer_id, ledger_id,
                                           amount_micros, due_micros, created_at)
         VALUES ('earned', 1, 1, 2, 3, 100, 100, 0)",
        "INSERT INTO referral_commissions (kind, order_id, referee_id, referrer_id, ledger_id,
                                           amount_micros, due_micros, created_at)
         VALUES ('earned', 1, 1, 2, NULL, 0, 0, 0)",
        "INSERT INTO referral_commissions (kind, order_id, refund_id, referee_id, referrer_id,
                                           ledger_id, amount_micros, due_micros, created_at)
         VALUES ('taken_back', 1, 1, 1, 2, NULL, 5, 4, 0)",
        "INSERT INTO referral_commissions (kind, order_id, refund_id, referee_id, referrer_id,
                                           ledger_id, amount_micros, due_micros, created_at)
         VALUES ('taken_back', 1, 1, 1, 2, 3, 100, 100, 0)",
        "INSERT INTO referral_commissions (kind, order_id, referee_id, referrer_id, ledger_id,
                                           amount_micros, due_micros, created_at)
         VALUES ('taken_back', 1, 1, 2, NULL, 0, 0, 0)",
    ] {
        assert!(refused(&db, sql).await, "accepted: {sql}");
    }
    let row = db
        .query_one(
            "SELECT (SELECT string_agg(id || ':' || state || ':' || amount_micros || ':'
                                       || COALESCE(ledger_id::text, '-'), ' ' ORDER BY id)
                     FROM refunds),
                    (SELECT COUNT(*) FROM referrals) + (SELECT COUNT(*) FROM referral_commissions)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, i64>(1)),
        ("1:approved:400:2 2:denied:50:-".to_owned(), 2),
        "nothing changed"
    );
    // What the gateway does write goes in: the approved refund succeeds, its order follows,
    // and a new request may open once none is.
    db.batch_execute(
        "UPDATE refunds SET state = 'succeeded', provider_refund_id = 're_1', updated_at = 9 WHERE id = 1;
         UPDATE orders SET state = 'partly_refunded', updated_at = 9 WHERE id = 1;
         INSERT INTO refunds (order_id, account_id, state, source, amount_micros, created_at, updated_at)
         VALUES (1, 1, 'requested', 'request', 10, 9, 9);",
    )
    .await
    .expect("forward moves go in");
}

/// Pays a new order of `account_id` for `amount`, with `commission` when given.
async fn paid_order(
    store: &PgStore,
    account_id: i64,
    amount: i64,
    tag: &str,
    commission: Option<CommissionTerms>,
) -> i64 {
    let order = store
        .create_order(
            NewOrder {
                account_id,
                provider: "stripe".into(),
                amount: Micros(amount),
                currency: "usd".into(),
                amount_minor: amount / 10_000,
                created_at: 1,
            },
            100,
            testkit::audit("orders.create", 1),
        )
        .await
        .unwrap()
        .expect("under the limit");
    let session = format!("cs_{tag}");
    store
        .attach_session(order.id, &session, "https://p", 1)
        .await
        .unwrap();
    let paid = store
        .credit(
            payment(account_id, amount),
            CreditCondition::OrderPending {
                order_id: order.id,
                provider: "stripe".into(),
                session_id: session,
                currency: "usd".into(),
                amount_minor: amount / 10_000,
                commission,
            },
            testkit::audit("orders.paid", 2),
        )
        .await
        .expect("no payment fails");
    assert!(matches!(paid, CreditOutcome::Credited(_)), "{paid:?}");
    order.id
}

/// Per round, a requested refund is approved by four admins and denied by four others at once,
/// each on its own connection: it is decided once (approved with one debit, or denied with
/// none), every other decision finds it decided (none fails, none deadlocks), and the balance
/// is its ledger's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_decisions_of_one_refund_decide_it_once() {
    let schema = ScratchSchema::create().await;
    let store = Arc::new(PgStore::open(&schema.url()).await.expect("the store opens"));
    let a = store
        .create_account(testkit::account("a@x", 0), None)
        .await
        .unwrap();
    let mut debited = 0;
    for round in 0..5 {
        let order_id = paid_order(&store, a.id, 1_000_000, &round.to_string(), None).await;
        let refund = store
            .request_refund(
                NewRefund {
                    order_id,
                    account_id: a.id,
                    amount: Micros(400_000),
                    created_at: 3,
                },
                testkit::audit("refunds.request", 3),
            )
            .await
            .unwrap()
            .expect("the order's first refund");
        let tasks: Vec<_> = (0..8)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    if n % 2 == 0 {
                        let debit = NewLedgerEntry {
                            kind: LedgerKind::Refund,
                            amount: Micros(-400_000),
                            ..payment(a.id, 0)
                        };
                        let condition = DebitCondition::RefundRequested {
                            refund_id: refund.id,
                            amount_minor: 40,
                            decided_by: None,
                        };
                        match store
                            .debit(debit, condition, testkit::audit("refunds.approve", 4))
                            .await?
                        {
                            DebitOutcome::Debited(_, r) => Ok(r.map(|r| r.state)),
                            DebitOutcome::Refused(refusal) => {
                                assert!(
                                    matches!(refusal, DebitRefusal::RefundNotRequested(_)),
                                    "{refusal:?}"
                                );
                                Ok(None)
                            }
                        }
                    } else {
                        let denied = store
                            .deny_refund(refund.id, None, "no", testkit::audit("refunds.deny", 4))
                            .await?;
                        Ok::<_, codexkey_gateway::store::StoreError>(denied.map(|r| r.state))
                    }
                })
            })
            .collect();
        let mut decided = Vec::new();
        for t in tasks {
            if let Some(state) = t.await.unwrap().expect("no decision fails") {
                decided.push(state);
            }
        }
        assert_eq!(decided.len(), 1, "round {round}: {decided:?}");
        let refund = store.refund(refund.id).await.unwrap().unwrap();
        assert_eq!(refund.state, decided[0], "round {round}");
        if refund.state == RefundState::Approved {
            debited += 1;
            assert!(refund.ledger_id.is_some());
        }
    }
    let a = store.account_by_id(a.id).await.unwrap().unwrap();
    assert_eq!(a.balance, Micros(5_000_000 - debited * 400_000));
    let entries = store.ledger(a.id, None, 100).await.unwrap();
    assert_eq!(entries.len(), 5 + usize::try_from(debited).unwrap());
    let check = store.verify_ledger().await.unwrap();
    assert!(check.mismatches.is_empty(), "{:?}", check.mismatches);
}

/// Two accounts referred by each other pay their orders at once, round after round: each
/// payment credits its buyer and its referrer's commission in one transaction, and none
/// deadlocks (both lock the two balances in id order, not buyer first).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn payments_of_mutual_referees_never_deadlock() {
    let schema = ScratchSchema::create().await;
    let store = Arc::new(PgStore::open(&schema.url()).await.expect("the store opens"));
    let a = store
        .create_account(testkit::account("a@x", 0), None)
        .await
        .unwrap();
    let b = store
        .create_account(testkit::account("b@x", 0), None)
        .await
        .unwrap();
    let code_a = store.referral_code(a.id, "CODEAAA", 0).await.unwrap();
    let code_b = store.referral_code(b.id, "CODEBBB", 0).await.unwrap();
    for (referee, code) in [(a.id, &code_b), (b.id, &code_a)] {
        store
            .link_referral(referee, code, 0, testkit::audit("referrals.link", 0))
            .await
            .unwrap()
            .expect("linked once");
    }
    let terms = |referrer_id| CommissionTerms {
        referrer_id,
        rate_bps: 1_000,
        max_topups: 100,
        max_age: i64::MAX,
    };
    let rounds = 10;
    for round in 0..rounds {
        let tasks: Vec<_> = [(a.id, b.id), (b.id, a.id)]
            .into_iter()
            .map(|(buyer, referrer)| {
                let store = store.clone();
                let terms = terms(referrer);
                tokio::spawn(async move {
                    paid_order(
                        &store,
                        buyer,
                        1_000_000,
                        &format!("{round}_{buyer}"),
                        Some(terms),
                    )
                    .await
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("no payment fails nor deadlocks");
        }
    }
    for id in [a.id, b.id] {
        let account = store.account_by_id(id).await.unwrap().unwrap();
        assert_eq!(account.balance, Micros(rounds * 1_100_000));
    }
    let check = store.verify_ledger().await.unwrap();
    assert!(check.mismatches.is_empty(), "{:?}", check.mismatches);
}

/// Per round, eight password resets race with one token, and eight new invitations for one
/// address are sent at once, each on its own connection: one reset goes through (the others
/// find the token spent; none fails), and exactly one invitation stays unused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_resets_spend_a_token_once_and_racing_invitations_leave_one() {
    let schema = ScratchSchema::create().await;
    let store = Arc::new(PgStore::open(&schema.url()).await.expect("the store opens"));
    let a = store
        .create_account(testkit::account("a@x", 0), None)
        .await
        .unwrap();
    for round in 0..5 {
        let hash = format!("reset-{round}");
        store
            .create_account_token(
                NewAccountToken {
                    account_id: a.id,
                    purpose: TokenPurpose::PasswordReset,
                    token_hash: hash.clone(),
                    created_at: 1,
                    expires_at: 1_000,
                },
                None,
            )
            .await
            .unwrap();
        let resets: Vec<_> = (0..8)
            .map(|n| {
                let (store, hash) = (store.clone(), hash.clone());
                tokio::spawn(async move {
                    store
                        .reset_password_by_token(
                            &hash,
                            &format!("new-{n}"),
                            2,
                            testkit::audit("account.password_reset", 2),
                        )
                        .await
                })
            })
            .collect();
        let invitations: Vec<_> = (0..8)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .create_invitation(
                            NewInvitation {
                                email: "new@x".into(),
                                token_hash: format!("invite-{round}-{n}"),
                                invited_by: None,
                                created_at: 1,
                                expires_at: 1_000,
                            },
                            testkit::audit("invitations.create", 1),
                        )
                        .await
                })
            })
            .collect();
        let mut reset = 0;
        for t in resets {
            if t.await.unwrap().expect("no reset fails").is_some() {
                reset += 1;
            }
        }
        assert_eq!(reset, 1, "round {round}");
        for t in invitations {
            t.await.unwrap().expect("no invitation fails");
        }
    }
    let db = scratch::connect(&schema.url()).await;
    let unused: i64 = db
        .query_one(
            "SELECT COUNT(*) FROM invitations WHERE used_at IS NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(unused, 1, "only the newest invitation works");
}

/// The audit log stays append-only but for one change: a deleted account's pseudonym replacing
/// a row's target, and nothing else of the row.
#[tokio::test]
async fn the_audit_log_takes_a_pseudonym_and_nothing_else() {
    let schema = ScratchSchema::create().await;
    drop(PgStore::open(&schema.url()).await.expect("the store opens"));
    let db = scratch::connect(&schema.url()).await;
    db.batch_execute(
        "INSERT INTO audit_log (id, action, target, detail, created_at)
         VALUES (1, 'account.register', 'a@x', '{}', 0);",
    )
    .await
    .expect("what the gateway writes goes in");
    for sql in [
        "UPDATE audit_log SET target = 'b@x' WHERE id = 1",
        "UPDATE audit_log SET target = 'deleted-1@invalid', action = 'x' WHERE id = 1",
        "UPDATE audit_log SET target = 'deleted-1@invalid', detail = '{\"a\":1}' WHERE id = 1",
        "UPDATE audit_log SET target = 'deleted-1@invalid', created_at = 5 WHERE id = 1",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        assert!(refused(&db, sql).await, "accepted: {sql}");
    }
    db.batch_execute("UPDATE audit_log SET target = 'deleted-1@invalid' WHERE id = 1")
        .await
        .expect("a pseudonym replaces the target");
    let target: String = db
        .query_one("SELECT target FROM audit_log WHERE id = 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(target, "deleted-1@invalid");
}

/// The schema's change notifications (what replicas follow): a change to what a replica caches
/// notifies `codexkey_changes` once per transaction, on commit only; inserts of keys and
/// accounts, the metering writer's updates and a rolled-back change notify nobody. Read from
/// the notifications of the writing connection only (other tests share the channel).
#[tokio::test]
async fn cached_changes_notify_on_commit_and_nothing_else_does() {
    use futures_util::StreamExt as _;
    use tokio_postgres::AsyncMessage;

    let schema = ScratchSchema::create().await;
    drop(PgStore::open(&schema.url()).await.expect("the store opens"));
    let (listener, mut conn) = tokio_postgres::connect(&schema.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    let (tx, mut notifications) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(n) = message {
                let _ = tx.send((
                    n.process_id(),
                    n.channel().to_owned(),
                    n.payload().to_owned(),
                ));
            }
        }
    });
    listener
        .batch_execute("LISTEN codexkey_changes")
        .await
        .unwrap();

    let db = scratch::connect(&schema.url()).await;
    let pid: i32 = db
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    for sql in [
        // Created: nothing is cached yet, so nothing to tell.
        "INSERT INTO accounts (id, email, password_hash, created_at, updated_at)
         VALUES (1, 'a@x', 'h', 0, 0)",
        "INSERT INTO api_keys (id, account_id, prefix, secret_hash, created_at)
         VALUES (10, 1, 'ck-x', 'hash-10', 0)",
        // The metering writer's columns.
        "UPDATE api_keys SET spent_micros = 5, last_used_at = 1 WHERE id = 10",
        "UPDATE accounts SET held_micros = 3, updated_at = 1 WHERE id = 1",
        // Rolled back.
        "BEGIN; UPDATE api_keys SET revoked_at = 1 WHERE id = 10;
         UPDATE accounts SET status = 'suspended' WHERE id = 1; ROLLBACK",
        // Each of these tells, once per transaction.
        "UPDATE api_keys SET budget_micros = 100 WHERE id = 10",
        "BEGIN; UPDATE api_keys SET rpm_limit = 5 WHERE id = 10;
         UPDATE api_keys SET allowed_models = '[\"gpt-*\"]' WHERE id = 10; COMMIT",
        "UPDATE api_keys SET revoked_at = 2 WHERE id = 10",
        "UPDATE accounts SET status = 'suspended' WHERE id = 1",
        "UPDATE accounts SET role = 'admin' WHERE id = 1",
        "INSERT INTO price_overrides (model, provider, input_micros, output_micros, updated_at)
         VALUES ('m', 'openai', 1, 2, 0)",
        "INSERT INTO model_coefficients (model, coefficient_ppm, updated_at) VALUES ('m', 2000000, 0)",
        "DELETE FROM price_overrides WHERE model = 'm'",
        "BEGIN; INSERT INTO upstreams (id, name, provider, base_url, created_at)
                VALUES (1, 'u', 'openai', 'http://u', 0);
         INSERT INTO upstream_keys (upstream_id, ciphertext, created_at) VALUES (1, '\\x00', 0);
         COMMIT",
        "DELETE FROM upstream_keys",
        "NOTIFY codexkey_changes, 'end'",
    ] {
        db.batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let mut seen = Vec::new();
    while seen.last().map(String::as_str) != Some("end") {
        let (from, channel, payload) =
            tokio::time::timeout(std::time::Duration::from_secs(5), notifications.recv())
                .await
                .expect("notifications arrive")
                .expect("the listening connection stays up");
        if from == pid {
            assert_eq!(channel, "codexkey_changes");
            seen.push(payload);
        }
    }
    assert_eq!(
        seen,
        [
            "key:10",
            "key:10",
            "key:10",
            "account:1",
            "account:1",
            "prices",
            "prices",
            "prices",
            "upstreams",
            "upstreams",
            "end"
        ]
    );
}

/// A gateway dropped by a test may leave a connection idle in a transaction that holds locks in
/// the schema (its tasks are not run again). Dropping the scratch schema ends that connection
/// instead of waiting for it for ever.
#[tokio::test]
async fn a_scratch_schema_drops_past_a_connection_idle_in_a_transaction() {
    let schema = ScratchSchema::create().await;
    let name = schema.name().to_owned();
    // A connection named as the gateway's listener would be: a suffix on the schema's name.
    let url = format!("{}&application_name={name}-listener", schema.url());
    let held = scratch::connect(&url).await;
    held.batch_execute(
        "CREATE TABLE accounts (id BIGINT PRIMARY KEY); INSERT INTO accounts VALUES (1)",
    )
    .await
    .unwrap();
    held.batch_execute("BEGIN; SELECT id FROM accounts WHERE id = 1 FOR UPDATE")
        .await
        .unwrap();

    let (done, dropped) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(schema);
        let _ = done.send(());
    });
    dropped
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the schema is dropped while a connection holds a lock in it");

    let check = scratch::connect(&scratch::server_url()).await;
    let left: i64 = check
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the schema is gone");
    assert!(
        held.simple_query("SELECT 1").await.is_err(),
        "the connection that held the lock was ended"
    );
}
