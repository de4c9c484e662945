-- codexkey schema, version 1. Shipped migrations are never edited, only followed by new ones.
-- Times are Unix milliseconds (UTC). Money is integer micro-credits.

CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE,
    password_hash  TEXT    NOT NULL,              -- argon2id PHC string, never the password
    role           TEXT    NOT NULL DEFAULT 'user'   CHECK (role IN ('user', 'admin')),
    status         TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    language       TEXT    NOT NULL DEFAULT 'en',
    currency       TEXT    NOT NULL DEFAULT 'USD',
    -- Always equal to the sum of this account's ledger entries; written in the same
    -- transaction as each entry.
    balance_micros INTEGER NOT NULL DEFAULT 0,
    -- Sum of the holds of requests in flight.
    held_micros    INTEGER NOT NULL DEFAULT 0 CHECK (held_micros >= 0),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    token_hash  TEXT    NOT NULL UNIQUE,          -- SHA-256 of the token, never the token
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ended_at    INTEGER                           -- set by logout
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE api_keys (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    prefix         TEXT    NOT NULL,              -- display prefix, e.g. ck-AbCd1234
    secret_hash    TEXT    NOT NULL UNIQUE,       -- SHA-256 of the whole key, never the key
    name           TEXT,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER,
    expires_at     INTEGER,
    revoked_at     INTEGER,
    allowed_models TEXT,                          -- JSON array of model names; NULL = all
    budget_micros  INTEGER CHECK (budget_micros IS NULL OR budget_micros >= 0),
    spent_micros   INTEGER NOT NULL DEFAULT 0,
    rpm_limit      INTEGER CHECK (rpm_limit IS NULL OR rpm_limit > 0),
    rotated_from   INTEGER REFERENCES api_keys(id)
);
CREATE INDEX api_keys_account ON api_keys(account_id);

CREATE TABLE ledger_entries (
    id                   INTEGER PRIMARY KEY,
    account_id           INTEGER NOT NULL REFERENCES accounts(id),
    kind                 TEXT    NOT NULL CHECK (kind IN
                           ('topup', 'charge', 'refund', 'bonus', 'referral_commission', 'adjustment')),
    amount_micros        INTEGER NOT NULL,
    balance_after_micros INTEGER NOT NULL,
    reason               TEXT,
    actor_id             INTEGER REFERENCES accounts(id),
    request_id           TEXT,
    created_at           INTEGER NOT NULL
);
CREATE INDEX ledger_account ON ledger_entries(account_id, id);

-- The ledger is append-only: history is corrected by new entries, never rewritten.
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;

-- One row per data-plane request: metadata only, never a prompt or a completion.
CREATE TABLE usage_events (
    id                 INTEGER PRIMARY KEY,
    request_id         TEXT    NOT NULL UNIQUE,
    account_id         INTEGER NOT NULL REFERENCES accounts(id),
    key_id             INTEGER REFERENCES api_keys(id),
    route              TEXT    NOT NULL,
    provider           TEXT,
    model              TEXT,
    input_tokens       INTEGER NOT NULL DEFAULT 0,
    cached_tokens      INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens      INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens   INTEGER NOT NULL DEFAULT 0,
    images             INTEGER NOT NULL DEFAULT 0,
    cost_micros        INTEGER NOT NULL DEFAULT 0,
    status             INTEGER NOT NULL,
    error_code         TEXT,
    latency_ms         INTEGER,
    ttfb_ms            INTEGER,
    client_ip          TEXT,
    user_agent         TEXT,
    price_snapshot     TEXT,                      -- JSON: unit prices, coefficient, margin used
    created_at         INTEGER NOT NULL
);
CREATE INDEX usage_account_time ON usage_events(account_id, created_at);

-- Operator overrides of the shipped price table: a whole row per model replaces the shipped
-- one. Token prices in micro-credits per 1M tokens; per-image and per-request in micro-credits.
CREATE TABLE price_overrides (
    model                 TEXT    PRIMARY KEY,
    provider              TEXT    NOT NULL,
    mode                  TEXT    NOT NULL DEFAULT 'chat',
    input_micros          INTEGER NOT NULL CHECK (input_micros >= 0),
    cached_input_micros   INTEGER CHECK (cached_input_micros >= 0),
    cache_write_5m_micros INTEGER CHECK (cache_write_5m_micros >= 0),
    cache_write_1h_micros INTEGER CHECK (cache_write_1h_micros >= 0),
    output_micros         INTEGER NOT NULL CHECK (output_micros >= 0),
    per_image_micros      INTEGER CHECK (per_image_micros >= 0),
    per_request_micros    INTEGER CHECK (per_request_micros >= 0),
    max_input_tokens      INTEGER,
    max_output_tokens     INTEGER,
    updated_at            INTEGER NOT NULL
);

-- A multiplier per model on top of its price, in parts per million (1.0 = 1000000).
CREATE TABLE model_coefficients (
    model           TEXT    PRIMARY KEY,
    coefficient_ppm INTEGER NOT NULL CHECK (coefficient_ppm > 0),
    updated_at      INTEGER NOT NULL
);

CREATE TABLE upstreams (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    provider   TEXT    NOT NULL,
    base_url   TEXT    NOT NULL,
    models     TEXT,                              -- JSON array of names or patterns
    enabled    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

CREATE TABLE upstream_keys (
    id          INTEGER PRIMARY KEY,
    upstream_id INTEGER NOT NULL REFERENCES upstreams(id),
    ciphertext  BLOB    NOT NULL,                 -- encrypted with the gateway's master key
    label       TEXT,
    created_at  INTEGER NOT NULL
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    actor_id   INTEGER REFERENCES accounts(id),
    action     TEXT    NOT NULL,
    target     TEXT,
    detail     TEXT    NOT NULL DEFAULT '{}',     -- JSON; never a secret
    created_at INTEGER NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
