-- Purging deleted accounts once their billing records' retention is over: the SQLite schema's
-- 0010. The account's ledger, orders (and their provider events), refunds, referral links and
-- commissions, usage events and sums, keys, sessions and tokens are deleted; its row stays as a
-- tombstone (the pseudonym, balance zero, `purged_at` set), so the ids other rows keep (an
-- admin's `actor_id` in the audit log or in another account's ledger, `decided_by`,
-- `created_by`, `invited_by`, `redeemed_by`) never dangle. A code the account redeemed stays
-- redeemed (by the tombstone) without its ledger entry.
--
-- The guards below refuse deletes (and a redeemed code's changes) except while a purge runs: it
-- marks itself in this one-row table for the length of its transaction (the row is deleted
-- before it commits, so no other transaction ever sees it), as `usage_purge` does. The balance
-- rule (0002) needs no exception: the tombstone's balance is zero and it has no entries left.
CREATE TABLE account_purge (
    one INTEGER PRIMARY KEY CHECK (one = 1)
);

ALTER TABLE accounts ADD COLUMN purged_at BIGINT;
CREATE INDEX accounts_deleted ON accounts(deleted_at) WHERE deleted_at IS NOT NULL;

-- 0001's, standing aside for a purge's deletes (ledger entries, provider events, commissions).
CREATE OR REPLACE FUNCTION codexkey_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM account_purge) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

-- 0005's, likewise (referral links).
CREATE OR REPLACE FUNCTION codexkey_referral_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM account_purge) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% never change', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

-- Orders and refunds: their guards (0003, 0005) run first for everything else.
CREATE FUNCTION codexkey_purge_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM account_purge) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% are never deleted', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
DROP TRIGGER orders_guard ON orders;
CREATE TRIGGER orders_guard BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION codexkey_orders_guard();
CREATE TRIGGER orders_no_delete BEFORE DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION codexkey_purge_delete();
DROP TRIGGER refunds_guard ON refunds;
CREATE TRIGGER refunds_guard BEFORE INSERT OR UPDATE ON refunds
    FOR EACH ROW EXECUTE FUNCTION codexkey_refunds_guard();
CREATE TRIGGER refunds_no_delete BEFORE DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION codexkey_purge_delete();

-- 0001's, with the one change a purge makes to a redeemed code: its ledger entry is gone.
CREATE OR REPLACE FUNCTION codexkey_redeemed_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'redemption codes are never deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.redeemed_at IS NOT NULL AND (NEW.redeemed_at IS DISTINCT FROM OLD.redeemed_at
        OR NEW.redeemed_by IS DISTINCT FROM OLD.redeemed_by
        OR (OLD.ledger_id IS NOT NULL AND NEW.ledger_id IS DISTINCT FROM OLD.ledger_id
            AND NOT (NEW.ledger_id IS NULL AND EXISTS (SELECT 1 FROM account_purge)))) THEN
        RAISE EXCEPTION 'a redeemed code cannot change'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
