-- A key's tokens-per-minute limit (input and output tokens of settled requests); NULL: none.
ALTER TABLE api_keys ADD COLUMN tpm_limit BIGINT CHECK (tpm_limit IS NULL OR tpm_limit > 0);

-- Other replicas drop their cached copy of a key when its TPM limit changes, as for the rest
-- of its settings.
DROP TRIGGER api_keys_notify ON api_keys;
CREATE TRIGGER api_keys_notify AFTER UPDATE ON api_keys
    FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
          OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
          OR OLD.allowed_models IS DISTINCT FROM NEW.allowed_models
          OR OLD.budget_micros IS DISTINCT FROM NEW.budget_micros
          OR OLD.rpm_limit IS DISTINCT FROM NEW.rpm_limit
          OR OLD.tpm_limit IS DISTINCT FROM NEW.tpm_limit
          OR OLD.name IS DISTINCT FROM NEW.name
          OR OLD.secret_hash IS DISTINCT FROM NEW.secret_hash
          OR OLD.account_id IS DISTINCT FROM NEW.account_id)
    EXECUTE FUNCTION codexkey_notify_change('key');
