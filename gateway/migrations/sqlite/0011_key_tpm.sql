-- A key's tokens-per-minute limit (input and output tokens of settled requests); NULL: none.
ALTER TABLE api_keys ADD COLUMN tpm_limit INTEGER CHECK (tpm_limit IS NULL OR tpm_limit > 0);
