-- Change notifications for replicas (PostgreSQL only; one SQLite process has nothing to tell).
--
-- Each gateway caches keys, the price book and the upstreams in memory. A change committed
-- through one replica reaches the others as a `NOTIFY` on channel `codexkey_changes`, sent by
-- the triggers below in the transaction that makes the change: PostgreSQL delivers it only on
-- commit (never for a rollback), after the change is visible, and drops duplicates within one
-- transaction. Triggers rather than calls in each store method, so that every path that
-- writes these rows (an account deletion revoking its keys, an operator's own SQL) notifies.
--
-- Payloads, parsed by the gateway's `changes` module (an unknown one reloads everything):
--   `key:<id>`      a key's cached settings changed (revoked, rotated away, expiry, allow-list,
--                   budget, rate limit, name)
--   `account:<id>`  an account's status, role or existence changed
--   `prices`        a price override or a model coefficient changed
--   `upstreams`     an upstream or one of its keys changed
--
-- Row triggers fire only when a column the caches read changes: the metering writer's updates
-- (spend, last use, balance, holds) notify nobody.

CREATE FUNCTION codexkey_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        PERFORM pg_notify('codexkey_changes', TG_ARGV[0] || ':' || NEW.id);
    ELSE
        PERFORM pg_notify('codexkey_changes', TG_ARGV[0]);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_notify AFTER UPDATE ON api_keys
    FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
          OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
          OR OLD.allowed_models IS DISTINCT FROM NEW.allowed_models
          OR OLD.budget_micros IS DISTINCT FROM NEW.budget_micros
          OR OLD.rpm_limit IS DISTINCT FROM NEW.rpm_limit
          OR OLD.name IS DISTINCT FROM NEW.name
          OR OLD.secret_hash IS DISTINCT FROM NEW.secret_hash
          OR OLD.account_id IS DISTINCT FROM NEW.account_id)
    EXECUTE FUNCTION codexkey_notify_change('key');

CREATE TRIGGER accounts_notify AFTER UPDATE ON accounts
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION codexkey_notify_change('account');

CREATE TRIGGER price_overrides_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON price_overrides
    FOR EACH STATEMENT EXECUTE FUNCTION codexkey_notify_change('prices');
CREATE TRIGGER model_coefficients_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON model_coefficients
    FOR EACH STATEMENT EXECUTE FUNCTION codexkey_notify_change('prices');

CREATE TRIGGER upstreams_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON upstreams
    FOR EACH STATEMENT EXECUTE FUNCTION codexkey_notify_change('upstreams');
CREATE TRIGGER upstream_keys_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON upstream_keys
    FOR EACH STATEMENT EXECUTE FUNCTION codexkey_notify_change('upstreams');
