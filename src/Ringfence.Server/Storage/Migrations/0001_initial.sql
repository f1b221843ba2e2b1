-- v1: identities, content, rollouts, decisions, telemetry, audit, leases.
-- Portable between SQLite and PostgreSQL: TEXT, BIGINT (unix milliseconds for times, 0/1 for booleans).
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE TABLE enrollment_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    max_hosts BIGINT NULL,
    used BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE hosts (
    host_id TEXT PRIMARY KEY,
    hostname TEXT NOT NULL,
    credential_hash TEXT NOT NULL,
    agent_build TEXT NOT NULL,
    os TEXT NOT NULL,
    os_build TEXT NOT NULL,
    groups_json TEXT NOT NULL DEFAULT '[]',
    channels_json TEXT NOT NULL DEFAULT '[]',
    failed_boots BIGINT NOT NULL DEFAULT 0,
    bucket BIGINT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);
CREATE INDEX ix_hosts_config ON hosts (agent_build, os_build, bucket);
CREATE TABLE channel_files (
    channel TEXT NOT NULL,
    version BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    target_name TEXT NOT NULL,
    length BIGINT NOT NULL,
    content TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    published_by TEXT NOT NULL,
    validated_builds_json TEXT NOT NULL,
    findings_json TEXT NOT NULL,
    PRIMARY KEY (channel, version)
);
CREATE TABLE rollouts (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    version BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    emergency BIGINT NOT NULL,
    status TEXT NOT NULL,
    current_ring BIGINT NOT NULL,
    ring_entered_at BIGINT NULL,
    plan_json TEXT NOT NULL,
    approvers_json TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    status_reason TEXT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE decisions (
    id TEXT PRIMARY KEY,
    rollout_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    ring BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    evidence_json TEXT NULL
);
CREATE INDEX ix_decisions_rollout ON decisions (rollout_id, at);
CREATE TABLE telemetry_batches (
    host_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    event_count BIGINT NOT NULL,
    PRIMARY KEY (host_id, idempotency_key)
);
CREATE TABLE telemetry_events (
    host_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    idx BIGINT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    channel TEXT NULL,
    content_version BIGINT NULL,
    content_hash TEXT NULL,
    instance_id TEXT NULL,
    boot_crash BIGINT NOT NULL,
    detail TEXT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (host_id, idempotency_key, idx)
);
CREATE INDEX ix_telemetry_events_hash ON telemetry_events (content_hash, kind);
CREATE TABLE kill_switch (
    id BIGINT PRIMARY KEY,
    engaged BIGINT NOT NULL,
    reason TEXT NULL,
    changed_at BIGINT NULL,
    changed_by TEXT NULL
);
INSERT INTO kill_switch (id, engaged) VALUES (1, 0);
CREATE TABLE known_bad (
    sha256 TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    version BIGINT NOT NULL,
    reason TEXT NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details_json TEXT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO settings (name, value) VALUES ('known_bad_version', '0');
