-- Typed credits and redemption codes.
--
-- The ledger's kinds gain `code`, and `topup` becomes `payment` (money paid in); each entry
-- records whether it is promotional credit (bonuses, referral commissions, codes of a
-- promotional batch), which is spent first and never refunded. SQLite cannot change a CHECK, so
-- the table is rebuilt: same rows, same ids, `topup` rows renamed and bonus and commission rows
-- marked promotional. Its append-only and money triggers are dropped with the old table and
-- created again on the new one.

DROP TRIGGER ledger_no_update;
DROP TRIGGER ledger_no_delete;
DROP TRIGGER ledger_money_insert;

CREATE TABLE ledger_entries_v5 (
    id                   INTEGER PRIMARY KEY,
    account_id           INTEGER NOT NULL REFERENCES accounts(id),
    kind                 TEXT    NOT NULL CHECK (kind IN
                           ('payment', 'code', 'charge', 'refund', 'bonus', 'referral_commission',
                            'adjustment')),
    amount_micros        INTEGER NOT NULL,
    balance_after_micros INTEGER NOT NULL,
    reason               TEXT,
    actor_id             INTEGER REFERENCES accounts(id),
    request_id           TEXT,
    created_at           INTEGER NOT NULL,
    -- 1 for promotional credit: only ever on a credit, and always on a bonus or commission
    -- credited (one taken back is a debit, not promotional).
    promotional          INTEGER NOT NULL DEFAULT 0 CHECK (promotional IN (0, 1)),
    CHECK (promotional = 0 OR amount_micros > 0),
    CHECK (promotional = 1 OR amount_micros < 0 OR kind NOT IN ('bonus', 'referral_commission'))
);

INSERT INTO ledger_entries_v5
    (id, account_id, kind, amount_micros, balance_after_micros, reason, actor_id, request_id,
     created_at, promotional)
SELECT id, account_id, CASE kind WHEN 'topup' THEN 'payment' ELSE kind END, amount_micros,
       balance_after_micros, reason, actor_id, request_id, created_at,
       CASE WHEN kind IN ('bonus', 'referral_commission') AND amount_micros > 0 THEN 1 ELSE 0 END
FROM ledger_entries;

DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_v5 RENAME TO ledger_entries;
CREATE INDEX ledger_account ON ledger_entries(account_id, id);

CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
CREATE TRIGGER ledger_money_insert BEFORE INSERT ON ledger_entries
WHEN typeof(NEW.amount_micros) != 'integer' OR typeof(NEW.balance_after_micros) != 'integer'
  OR abs(NEW.amount_micros) > 1000000000000000
  OR abs(NEW.balance_after_micros) > 1000000000000000
BEGIN SELECT RAISE(ABORT, 'amounts must be whole micro-credits within the largest amount'); END;

-- A batch of redemption codes, each worth `amount_micros`.
CREATE TABLE code_batches (
    id            INTEGER PRIMARY KEY,
    amount_micros INTEGER NOT NULL CHECK (typeof(amount_micros) = 'integer'
                    AND amount_micros > 0 AND amount_micros <= 1000000000000000),
    promotional   INTEGER NOT NULL CHECK (promotional IN (0, 1)),
    note          TEXT,
    expires_at    INTEGER,
    created_by    INTEGER REFERENCES accounts(id),
    created_at    INTEGER NOT NULL
);

-- The codes of a batch: only the SHA-256 of each, never the code.
CREATE TABLE redemption_codes (
    id          INTEGER PRIMARY KEY,
    batch_id    INTEGER NOT NULL REFERENCES code_batches(id),
    code_hash   TEXT    NOT NULL UNIQUE,
    redeemed_by INTEGER REFERENCES accounts(id),
    redeemed_at INTEGER,
    -- The ledger entry of the redemption.
    ledger_id   INTEGER REFERENCES ledger_entries(id),
    disabled_at INTEGER,
    CHECK ((redeemed_by IS NULL) = (redeemed_at IS NULL)),
    CHECK (redeemed_at IS NULL OR disabled_at IS NULL)
);
CREATE INDEX redemption_codes_batch ON redemption_codes(batch_id, id);

-- A code is redeemed once: a redemption, once written, is never changed or undone, and codes
-- are never deleted (the ledger refers to them).
CREATE TRIGGER redemption_codes_redeemed_once BEFORE UPDATE ON redemption_codes
WHEN OLD.redeemed_at IS NOT NULL AND (NEW.redeemed_at IS NOT OLD.redeemed_at
  OR NEW.redeemed_by IS NOT OLD.redeemed_by
  OR (OLD.ledger_id IS NOT NULL AND NEW.ledger_id IS NOT OLD.ledger_id))
BEGIN SELECT RAISE(ABORT, 'a redeemed code cannot change'); END;
CREATE TRIGGER redemption_codes_no_delete BEFORE DELETE ON redemption_codes
BEGIN SELECT RAISE(ABORT, 'redemption codes are never deleted'); END;
