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
