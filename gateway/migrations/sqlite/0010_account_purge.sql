-- Purging deleted accounts once their billing records' retention is over
-- (`retention.deleted_account_days`): the account's ledger, orders (and their provider events),
-- refunds, referral links and commissions, usage events and sums, keys, sessions and tokens are
-- deleted; its row stays as a tombstone (the pseudonym, balance zero, `purged_at` set), so the
-- ids other rows keep (an admin's `actor_id` in the audit log or in another account's ledger,
-- `decided_by`, `created_by`, `invited_by`, `redeemed_by`) never dangle. A code the account
-- redeemed stays redeemed (by the tombstone) without its ledger entry.
--
-- The tables below refuse deletes, and a redeemed code refuses changes, except while a purge
-- runs: it marks itself in this one-row table for the length of its transaction (the row is
-- deleted before it commits, as `usage_purge`'s is), and the guards stand aside while it is
-- there. Nothing else ever writes it.
CREATE TABLE account_purge (
    one INTEGER PRIMARY KEY CHECK (one = 1)
);

ALTER TABLE accounts ADD COLUMN purged_at INTEGER;
CREATE INDEX accounts_deleted ON accounts(deleted_at) WHERE deleted_at IS NOT NULL;

DROP TRIGGER ledger_no_delete;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger_entries
WHEN NOT EXISTS (SELECT 1 FROM account_purge)
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;

DROP TRIGGER orders_no_delete;
CREATE TRIGGER orders_no_delete BEFORE DELETE ON orders
WHEN NOT EXISTS (SELECT 1 FROM account_purge)
BEGIN SELECT RAISE(ABORT, 'orders are never deleted'); END;

DROP TRIGGER provider_events_no_delete;
CREATE TRIGGER provider_events_no_delete BEFORE DELETE ON provider_events
WHEN NOT EXISTS (SELECT 1 FROM account_purge)
BEGIN SELECT RAISE(ABORT, 'provider_events is append-only'); END;

DROP TRIGGER refunds_no_delete;
CREATE TRIGGER refunds_no_delete BEFORE DELETE ON refunds
WHEN NOT EXISTS (SELECT 1 FROM account_purge)
BEGIN SELECT RAISE(ABORT, 'refunds are never deleted'); END;

DROP TRIGGER referrals_no_delete;
CREATE TRIGGER referrals_no_delete BEFORE DELETE ON referrals
WHEN NOT EXISTS (SELECT 1 FROM account_purge)
BEGIN SELECT RAISE(ABORT, 'a referral link never changes'); END;

DROP TRIGGER referral_commissions_no_delete;
CREATE TRIGGER referral_commissions_no_delete BEFORE DELETE ON referral_commissions
WHEN NOT EXISTS (SELECT 1 FROM account_purge)
BEGIN SELECT RAISE(ABORT, 'referral_commissions is append-only'); END;

-- The one change a purge makes to a redeemed code: its ledger entry is gone.
DROP TRIGGER redemption_codes_redeemed_once;
CREATE TRIGGER redemption_codes_redeemed_once BEFORE UPDATE ON redemption_codes
WHEN OLD.redeemed_at IS NOT NULL AND (NEW.redeemed_at IS NOT OLD.redeemed_at
  OR NEW.redeemed_by IS NOT OLD.redeemed_by
  OR (OLD.ledger_id IS NOT NULL AND NEW.ledger_id IS NOT OLD.ledger_id
      AND NOT (NEW.ledger_id IS NULL AND EXISTS (SELECT 1 FROM account_purge))))
BEGIN SELECT RAISE(ABORT, 'a redeemed code cannot change'); END;
