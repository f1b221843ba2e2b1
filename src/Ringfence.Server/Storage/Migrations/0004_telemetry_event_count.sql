-- v4: a stored telemetry row may stand for a run of identical heartbeats from one batch (same minute, same content).
-- Heartbeats are nearly all telemetry and only ever counted; crashes, reverts and quarantines stay one row each.
ALTER TABLE telemetry_events ADD COLUMN count BIGINT NOT NULL DEFAULT 1;
