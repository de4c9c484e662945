-- A rule the SQLite schema leaves to the code, stated in the PostgreSQL schema so that no
-- writer (a later replica, a hand-written fix) can break it: a balance is the sum of its
-- ledger. Each entry's `balance_after_micros` must be the account's previous entry's plus its
-- own amount (the first: its amount), and at commit an account's balance must be its latest
-- entry's `balance_after_micros`. With the ledger append-only, the latest entry's
-- balance-after is the sum of all of them, so the balance is too. Writers lock the account row
-- before appending (`SELECT … FOR UPDATE`), which also orders their entries.
--
-- "No balance below zero" is deliberately not a CHECK here: it holds by admission (README,
-- "Why no balance goes below zero"), and a charge refused by the database would be retried
-- and then dropped by the metering writer, turning a bug that shows (a negative balance the
-- ledger check and the tests see) into a charge silently lost.

CREATE FUNCTION codexkey_ledger_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous BIGINT;
BEGIN
    SELECT balance_after_micros INTO previous FROM ledger_entries
    WHERE account_id = NEW.account_id ORDER BY id DESC LIMIT 1;
    IF NEW.balance_after_micros IS DISTINCT FROM COALESCE(previous, 0) + NEW.amount_micros THEN
        RAISE EXCEPTION 'ledger entry of account % says the balance is % after %, but it follows %',
            NEW.account_id, NEW.balance_after_micros, NEW.amount_micros, COALESCE(previous, 0)
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER ledger_chain BEFORE INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION codexkey_ledger_chain();

-- Checked at commit: within a transaction the entry and the balance move one after the other.
CREATE FUNCTION codexkey_balance_is_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    account BIGINT;
    balance BIGINT;
    latest BIGINT;
BEGIN
    -- PL/pgSQL reads a field of NEW only in the branch that runs.
    IF TG_TABLE_NAME = 'accounts' THEN
        account := NEW.id;
    ELSE
        account := NEW.account_id;
    END IF;
    SELECT balance_micros INTO balance FROM accounts WHERE id = account;
    SELECT balance_after_micros INTO latest FROM ledger_entries
    WHERE account_id = account ORDER BY id DESC LIMIT 1;
    IF balance IS DISTINCT FROM COALESCE(latest, 0) THEN
        RAISE EXCEPTION 'the balance of account % is % but its ledger sums to %',
            account, balance, COALESCE(latest, 0)
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER accounts_balance_is_ledger
    AFTER INSERT OR UPDATE OF balance_micros ON accounts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION codexkey_balance_is_ledger();
CREATE CONSTRAINT TRIGGER ledger_moves_the_balance
    AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION codexkey_balance_is_ledger();
