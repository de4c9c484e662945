-- Usage reports: a rollup of usage_events per quarter hour, kept exact by triggers, and the
-- indexes that raw-event pages and report edges read.
--
-- A report over any range reads the rollup for the whole quarter hours inside the range and
-- usage_events only for the partial quarter hours at its two ends, so its cost follows the
-- number of (quarter hour, key, model, status) combinations, not the number of events.
-- Quarter hours, because every UTC offset in use is a multiple of 15 minutes: local days and
-- hours always start on a bucket boundary.
--
-- New events are added to the rollup by the metering writer, in the transaction that inserts
-- them, one upsert per (account, quarter hour, key, model, status) of its batch
-- (`store::sqlite::reports::roll_up`). An AFTER INSERT trigger would be simpler but costs about
-- 15 µs per event: with a trigger that writes another table, every insert into usage_events
-- opens a statement journal. Updates and deletes (rare: corrections, account erasure) are
-- followed by the triggers below. Either way the rollup equals the aggregate of usage_events,
-- which a test checks.

CREATE TABLE usage_rollup (
    account_id         INTEGER NOT NULL,
    bucket             INTEGER NOT NULL,   -- start of the quarter hour, Unix ms (UTC)
    key_id             INTEGER NOT NULL,   -- 0 when the event has no key
    model              TEXT    NOT NULL,   -- '' when the event has no model
    status             INTEGER NOT NULL,
    requests           INTEGER NOT NULL,
    input_tokens       INTEGER NOT NULL,
    cached_tokens      INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    reasoning_tokens   INTEGER NOT NULL,
    images             INTEGER NOT NULL,
    cost_micros        INTEGER NOT NULL,
    PRIMARY KEY (account_id, bucket, key_id, model, status)
) WITHOUT ROWID;

INSERT INTO usage_rollup
SELECT account_id, created_at - created_at % 900000, COALESCE(key_id, 0), COALESCE(model, ''), status,
       COUNT(*), SUM(input_tokens), SUM(cached_tokens), SUM(cache_write_tokens), SUM(output_tokens),
       SUM(reasoning_tokens), SUM(images), SUM(cost_micros)
FROM usage_events
GROUP BY 1, 2, 3, 4, 5;

CREATE TRIGGER usage_rollup_delete AFTER DELETE ON usage_events
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

-- An update moves the event out of its old group and into its new one.
CREATE TRIGGER usage_rollup_update AFTER UPDATE OF
    account_id, created_at, key_id, model, status, input_tokens, cached_tokens, cache_write_tokens,
    output_tokens, reasoning_tokens, images, cost_micros ON usage_events
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
    INSERT INTO usage_rollup VALUES (
        NEW.account_id, NEW.created_at - NEW.created_at % 900000, COALESCE(NEW.key_id, 0),
        COALESCE(NEW.model, ''), NEW.status, 1, NEW.input_tokens, NEW.cached_tokens,
        NEW.cache_write_tokens, NEW.output_tokens, NEW.reasoning_tokens, NEW.images, NEW.cost_micros)
    ON CONFLICT (account_id, bucket, key_id, model, status) DO UPDATE SET
        requests           = requests + 1,
        input_tokens       = input_tokens + excluded.input_tokens,
        cached_tokens      = cached_tokens + excluded.cached_tokens,
        cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
        output_tokens      = output_tokens + excluded.output_tokens,
        reasoning_tokens   = reasoning_tokens + excluded.reasoning_tokens,
        images             = images + excluded.images,
        cost_micros        = cost_micros + excluded.cost_micros;
END;

-- Raw-event pages: an account's events in id order (the sync cursor).
CREATE INDEX usage_account_id ON usage_events(account_id, id);
-- Report edges and event pages across every account (admins).
CREATE INDEX usage_time ON usage_events(created_at);
