-- Escrow leases: how several gateway replicas share one account's balance without ever
-- admitting money that is not there (README, "Balances across replicas").
--
-- A replica takes a lease on part of an account's balance (`leased_micros` grows by it, under
-- the account's row lock, only while `balance_micros - leased_micros` covers it), admits
-- requests against that part in its own memory, and settles their charges against the lease:
-- a charge lowers `balance_micros`, `leased_micros` and the lease's `amount_micros` together.
-- The balance itself stays the sum of the ledger; the lease only says who may spend it.

ALTER TABLE accounts ADD COLUMN leased_micros BIGINT NOT NULL DEFAULT 0
    CHECK (leased_micros >= 0 AND leased_micros <= 1000000000000000);
-- Leased money is part of the balance: no lease is granted beyond it, and a charge against a
-- lease takes the same amount from both.
ALTER TABLE accounts ADD CONSTRAINT leased_within_balance CHECK (leased_micros <= GREATEST(balance_micros, 0));

-- Every lease gets a new epoch when it is granted afresh; extending a live lease keeps it. A
-- settlement names the epoch its request was admitted under and is applied only while that
-- lease still exists, so a replica that lost its lease (it expired: the replica crashed, or
-- could not reach the database in time) cannot spend it afterwards.
CREATE SEQUENCE lease_epochs;

CREATE TABLE balance_leases (
    account_id    BIGINT  NOT NULL REFERENCES accounts(id),
    -- A random id each gateway process draws at start: a restarted replica owns none of the
    -- leases of its previous run, which expire and return.
    replica_id    TEXT    NOT NULL,
    epoch         BIGINT  NOT NULL,
    -- The part of the lease not yet charged, as far as committed settlements go.
    amount_micros BIGINT  NOT NULL
        CHECK (amount_micros >= 0 AND amount_micros <= 1000000000000000),
    -- Unix milliseconds; the owner refreshes it while alive. Past it, any replica may end the
    -- lease: the holds it covered are settled by the crash rule and the rest returns.
    expires_at    BIGINT  NOT NULL,
    PRIMARY KEY (account_id, replica_id)
);
CREATE INDEX balance_leases_expiry ON balance_leases(expires_at);
CREATE INDEX balance_leases_replica ON balance_leases(replica_id);

-- Whose a hold is: the replica and lease epoch it was admitted under (NULL: a gateway without
-- leases, whose holds are reconciled when it starts again).
ALTER TABLE holds ADD COLUMN replica_id TEXT;
ALTER TABLE holds ADD COLUMN lease_epoch BIGINT;
CREATE INDEX holds_owner ON holds(replica_id, lease_epoch);
