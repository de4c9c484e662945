-- The account lifecycle: the SQLite schema's 0009. E-mail verification and the single-use
-- tokens mailed (or handed out by an admin) to reset a password or to prove an address;
-- invitations to register; retention purges that delete raw usage events with the rollup kept;
-- deleted accounts, pseudonymised with their billing records kept.
--
-- No token is stored in clear: `token_hash` is the SHA-256 of the token, as for sessions.
--
-- Beyond SQLite's rules, stated here because several writers share this database: at most one
-- unused token per account and purpose, and one unused invitation per address (a new one
-- supersedes the others in its transaction, which SQLite's single writer serializes).

-- When the account's address was proved (a verification link followed, or a reset link used:
-- both reached the mailbox); NULL until then.
ALTER TABLE accounts ADD COLUMN email_verified_at BIGINT;

-- Single-use and short-lived. A new token of one purpose supersedes the account's unused ones
-- of that purpose (they are marked used), so only the newest link works.
CREATE TABLE account_tokens (
    token_hash TEXT    PRIMARY KEY,
    account_id BIGINT  NOT NULL REFERENCES accounts(id),
    purpose    TEXT    NOT NULL CHECK (purpose IN ('password_reset', 'verify_email')),
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL CHECK (expires_at > created_at),
    used_at    BIGINT
);
CREATE INDEX account_tokens_account ON account_tokens(account_id, purpose);
CREATE UNIQUE INDEX account_tokens_one_unused ON account_tokens(account_id, purpose)
    WHERE used_at IS NULL;

-- Invitations to register while `auth.registration = "invite"`: one address, single-use and
-- short-lived, the token stored hashed. A new invitation for an address supersedes its unused
-- ones. `account_id` is the account it created.
CREATE TABLE invitations (
    token_hash TEXT    PRIMARY KEY,
    email      TEXT    NOT NULL,
    invited_by BIGINT  REFERENCES accounts(id),
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL CHECK (expires_at > created_at),
    used_at    BIGINT,
    account_id BIGINT  REFERENCES accounts(id)
);
CREATE INDEX invitations_email ON invitations(email);
CREATE UNIQUE INDEX invitations_one_unused ON invitations(email) WHERE used_at IS NULL;

-- Retention: raw usage events older than the configured days are deleted while the rollup keeps
-- their sums, so reports of old periods still add up. The purge marks itself in this one-row
-- table for the length of its transaction (the row is deleted before it commits, so no other
-- transaction ever sees it), and the rollup's delete trigger stands aside while it is there;
-- any other delete still takes the event out of the rollup.
CREATE TABLE usage_purge (
    one INTEGER PRIMARY KEY CHECK (one = 1)
);

-- The rollup's follower (0001's), standing aside for deletes while a purge runs.
CREATE OR REPLACE FUNCTION codexkey_usage_rollup_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM usage_purge) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE usage_rollup SET
            requests           = requests - 1,
            input_tokens       = input_tokens - OLD.input_tokens,
            cached_tokens      = cached_tokens - OLD.cached_tokens,
            cache_write_tokens = cache_write_tokens - OLD.cache_write_tokens,
            output_tokens      = output_tokens - OLD.output_tokens,
            reasoning_tokens   = reasoning_tokens - OLD.reasoning_tokens,
            images             = images - OLD.images,
            cost_micros        = cost_micros - OLD.cost_micros
        WHERE account_id = OLD.account_id AND bucket = OLD.created_at - OLD.created_at % 900000
          AND key_id = COALESCE(OLD.key_id, 0) AND model = COALESCE(OLD.model, '')
          AND status = OLD.status;
        DELETE FROM usage_rollup
        WHERE account_id = OLD.account_id AND bucket = OLD.created_at - OLD.created_at % 900000
          AND key_id = COALESCE(OLD.key_id, 0) AND model = COALESCE(OLD.model, '')
          AND status = OLD.status AND requests = 0;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO usage_rollup VALUES (
            NEW.account_id, NEW.created_at - NEW.created_at % 900000, COALESCE(NEW.key_id, 0),
            COALESCE(NEW.model, ''), NEW.status, 1, NEW.input_tokens, NEW.cached_tokens,
            NEW.cache_write_tokens, NEW.output_tokens, NEW.reasoning_tokens, NEW.images,
            NEW.cost_micros)
        ON CONFLICT (account_id, bucket, key_id, model, status) DO UPDATE SET
            requests           = usage_rollup.requests + 1,
            input_tokens       = usage_rollup.input_tokens + excluded.input_tokens,
            cached_tokens      = usage_rollup.cached_tokens + excluded.cached_tokens,
            cache_write_tokens = usage_rollup.cache_write_tokens + excluded.cache_write_tokens,
            output_tokens      = usage_rollup.output_tokens + excluded.output_tokens,
            reasoning_tokens   = usage_rollup.reasoning_tokens + excluded.reasoning_tokens,
            images             = usage_rollup.images + excluded.images,
            cost_micros        = usage_rollup.cost_micros + excluded.cost_micros;
    END IF;
    RETURN NULL;
END;
$$;

-- Account deletion: the person goes, the billing records stay. A deleted account keeps its row
-- (its ledger, orders and usage sums point at it) with its email replaced by the pseudonym
-- `deleted-<id>@invalid`, no usable password, status `suspended`, and this set.
ALTER TABLE accounts ADD COLUMN deleted_at BIGINT;

-- The audit log stays append-only, with one exception: a row's target may be replaced by a
-- deleted account's pseudonym, and nothing else about it may change. Deletes stay refused.
CREATE FUNCTION codexkey_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND NEW.id = OLD.id
        AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
        AND NEW.action = OLD.action
        AND NEW.detail = OLD.detail
        AND NEW.created_at = OLD.created_at
        AND NEW.target LIKE 'deleted-%@invalid' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
DROP TRIGGER audit_no_update ON audit_log;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION codexkey_audit_guard();
