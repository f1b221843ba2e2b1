-- v2: telemetry aggregated by the controller into counters per rollout, ring, configuration and minute window.
-- Each event is marked when counted, in the same transaction, so it is counted once.
CREATE TABLE telemetry_counters (
    rollout_id TEXT NOT NULL,
    ring BIGINT NOT NULL,
    agent_build TEXT NOT NULL,
    os_build TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    kind TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (rollout_id, ring, agent_build, os_build, window_start, kind)
);
ALTER TABLE telemetry_events ADD COLUMN aggregated BIGINT NOT NULL DEFAULT 0;
CREATE INDEX ix_telemetry_events_aggregated ON telemetry_events (aggregated);
-- What each host runs per channel, so exposure is one indexed count instead of parsing every host's JSON.
CREATE TABLE host_channels (
    host_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    active_version BIGINT NULL,
    active_hash TEXT NULL,
    PRIMARY KEY (host_id, channel)
);
CREATE INDEX ix_host_channels_hash ON host_channels (channel, active_hash);
