-- v6: a telemetry batch's idempotency key is bound to its content. A key reused with other content (an agent whose
-- state was restored from a backup or VM snapshot) is refused with 409 and the host's highest sequence, never dropped.
-- Rows from before v6 have no hash and are treated as before (a repeated key is a duplicate).
ALTER TABLE telemetry_batches ADD COLUMN content_sha256 TEXT NULL;
ALTER TABLE telemetry_batches ADD COLUMN sequence BIGINT NULL;
CREATE INDEX ix_telemetry_batches_sequence ON telemetry_batches (host_id, sequence);
