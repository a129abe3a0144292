-- Nonces of shared-secret registration (POST /_synapse/admin/v1/register, RegistrationNonceStore).
-- One client-api replica issues a nonce and any replica may accept it, so they live here rather
-- than in process memory (where Synapse keeps them). Each is deleted when used; expired ones are
-- swept whenever a new one is issued.
CREATE TABLE registration_nonces (
    nonce       TEXT   PRIMARY KEY,
    expires_ts  BIGINT NOT NULL        -- ms since the epoch; the nonce is refused from then on
);
CREATE INDEX registration_nonces_expiry ON registration_nonces (expires_ts);
