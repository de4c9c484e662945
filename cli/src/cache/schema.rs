//! The cache's schema, one SQL script per version. The database's `PRAGMA user_version` says
//! which have run; [`super::Cache::open`] runs the rest in order, each in one transaction with
//! the version bump, so a cache is always at exactly one version. A script is never edited once
//! shipped, only followed by a new one.

/// Version 1: the sources (one per gateway and account), their events, keys and currency
/// rates. Reports summed the raw events.
pub const V1: &str = "
CREATE TABLE sources (
    id         INTEGER PRIMARY KEY,
    gateway    TEXT    NOT NULL,
    account_id INTEGER NOT NULL,
    email      TEXT    NOT NULL,
    currency   TEXT    NOT NULL DEFAULT 'USD',   -- the account's display currency
    cursor     INTEGER NOT NULL DEFAULT 0,       -- id of the newest event stored
    synced_at  INTEGER,                          -- end of the last complete sync, Unix ms
    UNIQUE (gateway, account_id)
);

-- The gateway's usage events, metadata only (never a prompt or a completion).
CREATE TABLE events (
    source_id          INTEGER NOT NULL REFERENCES sources(id),
    id                 INTEGER NOT NULL,         -- the gateway's event id: the sync cursor
    request_id         TEXT    NOT NULL,
    key_id             INTEGER,
    route              TEXT    NOT NULL,
    provider           TEXT,
    model              TEXT,
    input_tokens       INTEGER NOT NULL,
    cached_tokens      INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    reasoning_tokens   INTEGER NOT NULL,
    images             INTEGER NOT NULL,
    cost_micros        INTEGER NOT NULL,
    status             INTEGER NOT NULL,
    error_code         TEXT,
    settlement         TEXT    NOT NULL,
    latency_ms         INTEGER,
    ttfb_ms            INTEGER,
    client_ip          TEXT,
    user_agent         TEXT,
    created_at         INTEGER NOT NULL,         -- Unix ms
    PRIMARY KEY (source_id, id)
) WITHOUT ROWID;
CREATE INDEX events_time ON events(source_id, created_at);

CREATE TABLE keys (
    source_id INTEGER NOT NULL REFERENCES sources(id),
    id        INTEGER NOT NULL,
    prefix    TEXT    NOT NULL,
    name      TEXT,
    PRIMARY KEY (source_id, id)
) WITHOUT ROWID;

CREATE TABLE currencies (
    source_id INTEGER NOT NULL REFERENCES sources(id),
    code      TEXT    NOT NULL,
    rate      TEXT    NOT NULL,                  -- an exact decimal string
    date      TEXT    NOT NULL,                  -- YYYY-MM-DD
    PRIMARY KEY (source_id, code)
) WITHOUT ROWID;
";

/// Version 2: a rollup of events per quarter hour, filled from the events already cached and
/// kept up to date as events are stored. Summing a million raw events took a third of a second; the rollup answers
/// the same report in milliseconds (see `bench/usage.sh`). Quarter hours, because every UTC
/// offset is a multiple of 15 minutes: local days and hours start on a bucket boundary, even
/// across daylight-saving changes.
pub const V2: &str = "
CREATE TABLE rollup (
    source_id          INTEGER NOT NULL,
    bucket             INTEGER NOT NULL,         -- start of the quarter hour, Unix ms
    key_id             INTEGER NOT NULL,         -- 0: no key
    model              TEXT    NOT NULL,         -- '': no model
    status             INTEGER NOT NULL,
    requests           INTEGER NOT NULL,
    input_tokens       INTEGER NOT NULL,
    cached_tokens      INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    reasoning_tokens   INTEGER NOT NULL,
    images             INTEGER NOT NULL,
    cost_micros        INTEGER NOT NULL,
    PRIMARY KEY (source_id, bucket, key_id, model, status)
) WITHOUT ROWID;

INSERT INTO rollup
SELECT source_id, created_at - created_at % 900000, COALESCE(key_id, 0), COALESCE(model, ''), status,
       COUNT(*), SUM(input_tokens), SUM(cached_tokens), SUM(cache_write_tokens), SUM(output_tokens),
       SUM(reasoning_tokens), SUM(images), SUM(cost_micros)
FROM events GROUP BY 1, 2, 3, 4, 5;

-- New events are added to the rollup by the code that stores them, in the same transaction, one
-- upsert per group of the page (`Cache::store_page`): an AFTER INSERT trigger writing another
-- table makes SQLite open a statement journal for every insert, several times the cost.
-- Deleted events leave it through this trigger.
CREATE TRIGGER rollup_delete AFTER DELETE ON events
BEGIN
    UPDATE rollup SET
        requests           = requests - 1,
        input_tokens       = input_tokens - OLD.input_tokens,
        cached_tokens      = cached_tokens - OLD.cached_tokens,
        cache_write_tokens = cache_write_tokens - OLD.cache_write_tokens,
        output_tokens      = output_tokens - OLD.output_tokens,
        reasoning_tokens   = reasoning_tokens - OLD.reasoning_tokens,
        images             = images - OLD.images,
        cost_micros        = cost_micros - OLD.cost_micros
    WHERE source_id = OLD.source_id AND bucket = OLD.created_at - OLD.created_at % 900000
      AND key_id = COALESCE(OLD.key_id, 0) AND model = COALESCE(OLD.model, '') AND status = OLD.status;
    DELETE FROM rollup
    WHERE source_id = OLD.source_id AND bucket = OLD.created_at - OLD.created_at % 900000
      AND key_id = COALESCE(OLD.key_id, 0) AND model = COALESCE(OLD.model, '') AND status = OLD.status
      AND requests = 0;
END;
";

/// Every version's script, in order: version N is `MIGRATIONS[N - 1]`.
pub const MIGRATIONS: &[&str] = &[V1, V2];
