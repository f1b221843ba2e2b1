-- v3: the signed TUF repository lives in the database, so every node serves the same files and a publish or a halt
-- changes content, known-bad list and signed metadata in one transaction.
CREATE TABLE tuf_files (
    path TEXT PRIMARY KEY,
    content_base64 TEXT NOT NULL,
    written_at BIGINT NOT NULL
);
-- Online signing keys (targets, snapshot, timestamp), each encrypted with the server's key passphrase.
-- Root keys are never stored here: they are written once to the first node's data directory, to be moved offline.
CREATE TABLE tuf_keys (
    key_id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    encrypted_base64 TEXT NOT NULL
);
