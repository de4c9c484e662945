-- The account lifecycle: e-mail verification and the single-use tokens mailed (or handed out by
-- an admin) to reset a password or to prove an address.
--
-- No token is stored in clear: `token_hash` is the SHA-256 of the token, as for sessions.

-- When the account's address was proved (a verification link followed, or a reset link used:
-- both reached the mailbox); NULL until then.
ALTER TABLE accounts ADD COLUMN email_verified_at INTEGER;

-- Single-use and short-lived. A new token of one purpose supersedes the account's unused ones
-- of that purpose (they are marked used), so only the newest link works.
CREATE TABLE account_tokens (
    token_hash TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    purpose    TEXT    NOT NULL CHECK (purpose IN ('password_reset', 'verify_email')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL CHECK (expires_at > created_at),
    used_at    INTEGER
);
CREATE INDEX account_tokens_account ON account_tokens(account_id, purpose);

-- Invitations to register while `auth.registration = "invite"`: one address, single-use and
-- short-lived, the token stored hashed. A new invitation for an address supersedes its unused
-- ones. `account_id` is the account it created.
CREATE TABLE invitations (
    token_hash TEXT    PRIMARY KEY,
    email      TEXT    NOT NULL,
    invited_by INTEGER REFERENCES accounts(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL CHECK (expires_at > created_at),
    used_at    INTEGER,
    account_id INTEGER REFERENCES accounts(id)
);
CREATE INDEX invitations_email ON invitations(email);

-- Retention: raw usage events older than the configured days are deleted while the rollup keeps
-- their sums, so reports of old periods still add up. The purge marks itself in this one-row
-- table for the length of its transaction, and the rollup's delete trigger stands aside while
-- it is there; any other delete still takes the event out of the rollup.
CREATE TABLE usage_purge (
    one INTEGER PRIMARY KEY CHECK (one = 1)
);

DROP TRIGGER usage_rollup_delete;
CREATE TRIGGER usage_rollup_delete AFTER DELETE ON usage_events
WHEN NOT EXISTS (SELECT 1 FROM usage_purge)
BEGIN
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
      AND key_id = COALESCE(OLD.key_id, 0) AND model = COALESCE(OLD.model, '') AND status = OLD.status;
    DELETE FROM usage_rollup
    WHERE account_id = OLD.account_id AND bucket = OLD.created_at - OLD.created_at % 900000
      AND key_id = COALESCE(OLD.key_id, 0) AND model = COALESCE(OLD.model, '') AND status = OLD.status
      AND requests = 0;
END;

-- Account deletion: the person goes, the billing records stay. A deleted account keeps its row
-- (its ledger, orders and usage sums point at it) with its email replaced by the pseudonym
-- `deleted-<id>@invalid`, no usable password, status `suspended`, and this set.
ALTER TABLE accounts ADD COLUMN deleted_at INTEGER;

-- The audit log stays append-only, with one exception: a row's target may be replaced by a
-- deleted account's pseudonym, and nothing else about it may change.
DROP TRIGGER audit_no_update;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
WHEN NOT (NEW.id = OLD.id AND NEW.actor_id IS OLD.actor_id AND NEW.action = OLD.action
          AND NEW.detail = OLD.detail AND NEW.created_at = OLD.created_at
          AND NEW.target LIKE 'deleted-%@invalid')
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
