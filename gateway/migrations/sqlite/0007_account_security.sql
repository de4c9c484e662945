-- Two-factor login (TOTP), its recovery codes and login challenges; sessions that say where
-- they come from and when they were last used.
--
-- Nothing here holds a secret in clear: the TOTP secret is sealed under the gateway's
-- `master_key` (XChaCha20-Poly1305, the account id as associated data), recovery codes and
-- challenge tokens are SHA-256 hashes.

-- One row per account that has started enrolling; two-factor login is on once `confirmed_at` is
-- set. A pending row is replaced by a new enrolment.
CREATE TABLE account_totp (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts(id),
    secret_sealed BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    confirmed_at  INTEGER,
    -- The last time step (Unix seconds / 30) whose code was accepted: a code is accepted only
    -- for a later step, so none is ever accepted twice.
    last_step     INTEGER
);

CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    code_hash  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    UNIQUE (account_id, code_hash)
);

-- The password step's answer when two-factor login is on: single-use, short-lived.
CREATE TABLE login_challenges (
    token_hash TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX login_challenges_expiry ON login_challenges(expires_at);

ALTER TABLE sessions ADD COLUMN last_used_at INTEGER;
ALTER TABLE sessions ADD COLUMN client_ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
