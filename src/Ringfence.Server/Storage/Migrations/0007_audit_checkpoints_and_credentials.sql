-- v6 (audit branch; renumber freely when merging, it depends only on v1 and v3):
-- signed audit checkpoints, and the lifecycle of operator keys and host credentials.
-- A checkpoint is the audit signing key's signature over (seq, head hash, time); the key is kept in tuf_keys
-- (role 'audit'), encrypted with the same passphrase as the TUF online keys.
CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    head_hash TEXT NOT NULL,
    at BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL
);
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT NULL;
ALTER TABLE api_keys ADD COLUMN revoked_at BIGINT NULL;
ALTER TABLE api_keys ADD COLUMN revoked_by TEXT NULL;
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT NULL;
ALTER TABLE hosts ADD COLUMN revoked_at BIGINT NULL;
-- Bumped by every revocation, so every node drops its cached credentials within one refresh period.
INSERT INTO settings (name, value) VALUES ('credential_revision', '0');
