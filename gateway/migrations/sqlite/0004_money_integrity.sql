-- Amounts are whole micro-credits within ±10^15 (one billion credits, `Micros::MAX`), in every
-- table that holds money. SQLite turns an integer that overflows in arithmetic into a REAL and
-- accepts text in an INTEGER column; these triggers refuse both, and anything out of range, so
-- the database cannot hold an amount the gateway would not write.

CREATE TRIGGER accounts_money_insert BEFORE INSERT ON accounts
WHEN typeof(NEW.balance_micros) != 'integer' OR typeof(NEW.held_micros) != 'integer'
  OR abs(NEW.balance_micros) > 1000000000000000 OR NEW.held_micros > 1000000000000000
BEGIN SELECT RAISE(ABORT, 'amounts must be whole micro-credits within the largest amount'); END;

CREATE TRIGGER accounts_money_update BEFORE UPDATE OF balance_micros, held_micros ON accounts
WHEN typeof(NEW.balance_micros) != 'integer' OR typeof(NEW.held_micros) != 'integer'
  OR abs(NEW.balance_micros) > 1000000000000000 OR NEW.held_micros > 1000000000000000
BEGIN SELECT RAISE(ABORT, 'amounts must be whole micro-credits within the largest amount'); END;

CREATE TRIGGER api_keys_money_insert BEFORE INSERT ON api_keys
WHEN typeof(NEW.spent_micros) != 'integer' OR abs(NEW.spent_micros) > 1000000000000000
  OR (NEW.budget_micros IS NOT NULL AND (typeof(NEW.budget_micros) != 'integer'
      OR NEW.budget_micros > 1000000000000000))
BEGIN SELECT RAISE(ABORT, 'amounts must be whole micro-credits within the largest amount'); END;

CREATE TRIGGER api_keys_money_update BEFORE UPDATE OF spent_micros, budget_micros ON api_keys
WHEN typeof(NEW.spent_micros) != 'integer' OR abs(NEW.spent_micros) > 1000000000000000
  OR (NEW.budget_micros IS NOT NULL AND (typeof(NEW.budget_micros) != 'integer'
      OR NEW.budget_micros > 1000000000000000))
BEGIN SELECT RAISE(ABORT, 'amounts must be whole micro-credits within the largest amount'); END;

CREATE TRIGGER ledger_money_insert BEFORE INSERT ON ledger_entries
WHEN typeof(NEW.amount_micros) != 'integer' OR typeof(NEW.balance_after_micros) != 'integer'
  OR abs(NEW.amount_micros) > 1000000000000000
  OR abs(NEW.balance_after_micros) > 1000000000000000
BEGIN SELECT RAISE(ABORT, 'amounts must be whole micro-credits within the largest amount'); END;

CREATE TRIGGER holds_money_insert BEFORE INSERT ON holds
WHEN typeof(NEW.amount_micros) != 'integer' OR typeof(NEW.crash_charge_micros) != 'integer'
  OR NEW.amount_micros > 1000000000000000 OR NEW.crash_charge_micros > 1000000000000000
BEGIN SELECT RAISE(ABORT, 'amounts must be whole micro-credits within the largest amount'); END;

-- What upstream's usage came to when it was above the request's hold and the hold was charged
-- instead (settlement `capped_at_hold`); NULL otherwise.
ALTER TABLE usage_events ADD COLUMN uncapped_cost_micros INTEGER;

CREATE TRIGGER usage_events_money_insert BEFORE INSERT ON usage_events
WHEN typeof(NEW.cost_micros) != 'integer' OR NEW.cost_micros < 0
  OR NEW.cost_micros > 1000000000000000
  OR (NEW.uncapped_cost_micros IS NOT NULL AND typeof(NEW.uncapped_cost_micros) != 'integer')
  OR NEW.input_tokens < 0 OR NEW.cached_tokens < 0 OR NEW.cache_write_tokens < 0
  OR NEW.output_tokens < 0 OR NEW.reasoning_tokens < 0 OR NEW.images < 0
BEGIN SELECT RAISE(ABORT, 'usage events hold whole, non-negative amounts and counts'); END;
