-- Refunds of unused credit. A refund is a row bound to one paid order: `requested` by its
-- owner, then `denied` by an admin, or `approved` (its amount frozen and the ledger debit of
-- kind `refund` booked in the same transaction), then `succeeded` once the provider refunded
-- it, or `failed` when the provider refused (the debit is given back by a credit of kind
-- `refund`, `return_ledger_id`). A refund made at the provider without a request (Stripe's
-- dashboard) is written `succeeded` at once with its debit (`source` = 'provider').
--
-- At most one refund of an order is open (requested or approved) at a time. An order records
-- the payment intent its checkout was paid through, which is what Stripe refunds and what its
-- `charge.refunded` events name.

ALTER TABLE orders ADD COLUMN payment_intent TEXT;
CREATE INDEX orders_payment_intent ON orders(provider, payment_intent);

CREATE TABLE refunds (
    id                 INTEGER PRIMARY KEY,
    order_id           INTEGER NOT NULL REFERENCES orders(id),
    account_id         INTEGER NOT NULL REFERENCES accounts(id),
    state              TEXT    NOT NULL CHECK (state IN
                         ('requested', 'approved', 'succeeded', 'failed', 'denied')),
    source             TEXT    NOT NULL CHECK (source IN ('request', 'provider')),
    -- Asked for while requested; frozen at approval.
    amount_micros      INTEGER NOT NULL CHECK (typeof(amount_micros) = 'integer'
                         AND amount_micros > 0),
    -- What the provider refunds, in the order's currency's minor units (set at approval).
    amount_minor       INTEGER CHECK (amount_minor IS NULL OR amount_minor > 0),
    ledger_id          INTEGER REFERENCES ledger_entries(id),
    return_ledger_id   INTEGER REFERENCES ledger_entries(id),
    provider_refund_id TEXT,
    reason             TEXT,
    decided_by         INTEGER REFERENCES accounts(id),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    -- The debit is booked exactly when the refund was approved (and stays if it then failed,
    -- given back by its return credit).
    CHECK ((ledger_id IS NOT NULL) = (state IN ('approved', 'succeeded', 'failed'))),
    CHECK ((return_ledger_id IS NOT NULL) = (state = 'failed')),
    CHECK ((amount_minor IS NOT NULL) = (ledger_id IS NOT NULL))
);
CREATE INDEX refunds_account ON refunds(account_id, id);
CREATE INDEX refunds_order ON refunds(order_id, id);
CREATE UNIQUE INDEX refunds_one_open ON refunds(order_id) WHERE state IN ('requested', 'approved');

CREATE TRIGGER refunds_no_delete BEFORE DELETE ON refunds
BEGIN SELECT RAISE(ABORT, 'refunds are never deleted'); END;

CREATE TRIGGER refunds_terms_fixed BEFORE UPDATE ON refunds
WHEN NEW.order_id IS NOT OLD.order_id OR NEW.account_id IS NOT OLD.account_id
  OR NEW.source IS NOT OLD.source OR NEW.created_at IS NOT OLD.created_at
  OR (OLD.ledger_id IS NOT NULL AND (NEW.ledger_id IS NOT OLD.ledger_id
      OR NEW.amount_micros IS NOT OLD.amount_micros OR NEW.amount_minor IS NOT OLD.amount_minor))
BEGIN SELECT RAISE(ABORT, 'a refund''s order, account and booked amount cannot change'); END;

CREATE TRIGGER refunds_state_forward BEFORE UPDATE OF state ON refunds
WHEN NEW.state IS NOT OLD.state AND NOT (
     (OLD.state = 'requested' AND NEW.state IN ('approved', 'denied'))
  OR (OLD.state = 'approved' AND NEW.state IN ('succeeded', 'failed')))
BEGIN SELECT RAISE(ABORT, 'a refund''s state only moves forward'); END;
