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
