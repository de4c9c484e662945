-- Top-up orders paid through a payment provider (Stripe first), and the provider events that
-- moved them.
--
-- An order is bound to one account and one provider: its amount in micro-credits, and what the
-- provider charges for it (an integer count of the currency's minor units). It starts `pending`
-- and ends `paid` (with the ledger entry of its credit), `expired` or `failed`; `partly_refunded`
-- and `refunded` are reserved for refunds, which only ever follow `paid`. The triggers below
-- state the money rules in the schema, so no code path can break them: the amounts, the account
-- and the provider of an order never change, a session once attached stays, a state never goes
-- back to `pending`, and an order is paid exactly when it points at its credit.

CREATE TABLE orders (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    provider       TEXT    NOT NULL CHECK (length(provider) > 0),
    amount_micros  INTEGER NOT NULL CHECK (typeof(amount_micros) = 'integer'
                     AND amount_micros > 0 AND amount_micros <= 1000000000000000),
    -- ISO 4217, lower case, as Stripe writes it.
    currency       TEXT    NOT NULL CHECK (length(currency) = 3 AND currency = lower(currency)),
    amount_minor   INTEGER NOT NULL CHECK (typeof(amount_minor) = 'integer' AND amount_minor > 0),
    state          TEXT    NOT NULL CHECK (state IN
                     ('pending', 'paid', 'expired', 'failed', 'partly_refunded', 'refunded')),
    -- The provider's checkout session, once created, and the page the payer opens.
    session_id     TEXT,
    checkout_url   TEXT,
    -- The ledger entry that credited the order: set exactly when it was paid.
    ledger_id      INTEGER REFERENCES ledger_entries(id),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    paid_at        INTEGER,
    CHECK ((ledger_id IS NOT NULL) = (state IN ('paid', 'partly_refunded', 'refunded'))),
    CHECK ((paid_at IS NOT NULL) = (ledger_id IS NOT NULL)),
    UNIQUE (provider, session_id)
);
CREATE INDEX orders_account ON orders(account_id, id);
CREATE INDEX orders_state ON orders(state, created_at);

CREATE TRIGGER orders_no_delete BEFORE DELETE ON orders
BEGIN SELECT RAISE(ABORT, 'orders are never deleted'); END;

CREATE TRIGGER orders_terms_fixed BEFORE UPDATE ON orders
WHEN NEW.account_id IS NOT OLD.account_id OR NEW.provider IS NOT OLD.provider
  OR NEW.amount_micros IS NOT OLD.amount_micros OR NEW.currency IS NOT OLD.currency
  OR NEW.amount_minor IS NOT OLD.amount_minor OR NEW.created_at IS NOT OLD.created_at
BEGIN SELECT RAISE(ABORT, 'an order''s account, provider and amounts cannot change'); END;

CREATE TRIGGER orders_session_once BEFORE UPDATE ON orders
WHEN OLD.session_id IS NOT NULL AND (NEW.session_id IS NOT OLD.session_id
  OR NEW.checkout_url IS NOT OLD.checkout_url)
BEGIN SELECT RAISE(ABORT, 'an order''s checkout session cannot change'); END;

CREATE TRIGGER orders_credit_once BEFORE UPDATE ON orders
WHEN OLD.ledger_id IS NOT NULL AND (NEW.ledger_id IS NOT OLD.ledger_id
  OR NEW.paid_at IS NOT OLD.paid_at)
BEGIN SELECT RAISE(ABORT, 'a paid order''s credit cannot change'); END;

CREATE TRIGGER orders_state_forward BEFORE UPDATE OF state ON orders
WHEN NEW.state IS NOT OLD.state AND NOT (
     (OLD.state = 'pending' AND NEW.state IN ('paid', 'expired', 'failed'))
  OR (OLD.state = 'paid' AND NEW.state IN ('partly_refunded', 'refunded'))
  OR (OLD.state = 'partly_refunded' AND NEW.state = 'refunded'))
BEGIN SELECT RAISE(ABORT, 'an order''s state only moves forward'); END;

-- Every provider event the gateway acted on, once: a re-delivered or replayed event finds its
-- id here and changes nothing. Written in the same transaction as what the event did.
CREATE TABLE provider_events (
    provider    TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    event_type  TEXT    NOT NULL,
    order_id    INTEGER REFERENCES orders(id),
    -- What it did: `paid`, `expired`, `failed`, `awaiting_payment` (completed, not paid yet)
    -- or `rejected` (no such order, or not this order's terms; nothing changed).
    outcome     TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (provider, event_id)
);

CREATE TRIGGER provider_events_no_update BEFORE UPDATE ON provider_events
BEGIN SELECT RAISE(ABORT, 'provider_events is append-only'); END;
CREATE TRIGGER provider_events_no_delete BEFORE DELETE ON provider_events
BEGIN SELECT RAISE(ABORT, 'provider_events is append-only'); END;
