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

-- Referrals. Every account gets a referral code the first time it asks for it; an account
-- registered with a code is linked to that code's account, once ever (`referee_id` is the key)
-- and never to itself. A referee's paid top-up earns the referrer a promotional
-- `referral_commission` credit in the payment's own transaction (`referral_commissions`, kind
-- `earned`, one per order); a refund of that top-up takes back a proportional part (kind
-- `taken_back`, one per refund), at most what the referrer's balance holds: `due_micros` is what
-- the rule asked for, `amount_micros` what was taken (the rest is the shortfall, audited).

CREATE TABLE referral_codes (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
    code       TEXT    NOT NULL UNIQUE CHECK (length(code) >= 6),
    created_at INTEGER NOT NULL
);

CREATE TABLE referrals (
    referee_id  INTEGER PRIMARY KEY REFERENCES accounts(id),
    referrer_id INTEGER NOT NULL REFERENCES accounts(id),
    created_at  INTEGER NOT NULL,
    CHECK (referee_id <> referrer_id)
);
CREATE INDEX referrals_referrer ON referrals(referrer_id);

CREATE TABLE referral_commissions (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('earned', 'taken_back')),
    order_id      INTEGER NOT NULL REFERENCES orders(id),
    refund_id     INTEGER REFERENCES refunds(id),
    referee_id    INTEGER NOT NULL REFERENCES accounts(id),
    referrer_id   INTEGER NOT NULL REFERENCES accounts(id),
    -- The ledger entry moving the referrer's balance; none when nothing could be taken back.
    ledger_id     INTEGER REFERENCES ledger_entries(id),
    amount_micros INTEGER NOT NULL CHECK (amount_micros >= 0),
    due_micros    INTEGER NOT NULL CHECK (due_micros >= amount_micros),
    created_at    INTEGER NOT NULL,
    CHECK ((kind = 'earned') = (refund_id IS NULL)),
    CHECK (kind = 'taken_back' OR (amount_micros > 0 AND ledger_id IS NOT NULL))
);
CREATE UNIQUE INDEX referral_commissions_earned ON referral_commissions(order_id)
    WHERE kind = 'earned';
CREATE UNIQUE INDEX referral_commissions_taken_back ON referral_commissions(refund_id)
    WHERE kind = 'taken_back';
CREATE INDEX referral_commissions_referrer ON referral_commissions(referrer_id, id);

CREATE TRIGGER referral_codes_no_change BEFORE UPDATE ON referral_codes
BEGIN SELECT RAISE(ABORT, 'a referral code never changes'); END;
CREATE TRIGGER referrals_no_update BEFORE UPDATE ON referrals
BEGIN SELECT RAISE(ABORT, 'a referral link never changes'); END;
CREATE TRIGGER referrals_no_delete BEFORE DELETE ON referrals
BEGIN SELECT RAISE(ABORT, 'a referral link never changes'); END;
CREATE TRIGGER referral_commissions_no_update BEFORE UPDATE ON referral_commissions
BEGIN SELECT RAISE(ABORT, 'referral_commissions is append-only'); END;
CREATE TRIGGER referral_commissions_no_delete BEFORE DELETE ON referral_commissions
BEGIN SELECT RAISE(ABORT, 'referral_commissions is append-only'); END;
