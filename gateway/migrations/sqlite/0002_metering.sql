-- Prepaid metering: holds of requests in flight, and how each usage event was settled.

-- A hold per admitted request, written when the request is admitted and deleted when it
-- settles. Rows still here at start-up belong to requests a crash interrupted; they are
-- reconciled then (see the README's "Crash" rule) and deleted.
CREATE TABLE holds (
    request_id          TEXT    PRIMARY KEY,
    account_id          INTEGER NOT NULL REFERENCES accounts(id),
    key_id              INTEGER REFERENCES api_keys(id),
    amount_micros       INTEGER NOT NULL CHECK (amount_micros >= 0),
    -- What a crash settles the request at: the estimated cost of its input.
    crash_charge_micros INTEGER NOT NULL CHECK (crash_charge_micros >= 0),
    route               TEXT    NOT NULL,
    model               TEXT    NOT NULL,
    provider            TEXT,
    created_at          INTEGER NOT NULL
);
CREATE INDEX holds_account ON holds(account_id);

-- Which documented rule produced the charge: final_usage, disconnect_drained,
-- disconnect_estimate, upstream_error, crash_reconciled, refused.
ALTER TABLE usage_events ADD COLUMN settlement TEXT NOT NULL DEFAULT 'final_usage';

CREATE INDEX usage_key_time ON usage_events(key_id, created_at);
