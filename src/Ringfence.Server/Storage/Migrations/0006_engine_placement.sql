-- v6: hosts are placed by the rollout engine (Ringfence.Rollouts: a bucket per host AND rollout, computed from the ids),
-- so the stored per-host bucket goes: one stored fact per host, nothing that can disagree with a computed value.
-- Each rollout stores the engine spec it was created with (plan, gates, coverage composed over the fleet then).
-- Crash counting takes the larger of two sources per host (Crash events, and the crashes its check-ins report), so
-- every crash counts once: the three counters below keep what each source said and what was counted.
DROP INDEX ix_hosts_config;
ALTER TABLE hosts DROP COLUMN bucket;
CREATE INDEX ix_hosts_config ON hosts (agent_build, os_build);
ALTER TABLE hosts ADD COLUMN crashes_reported BIGINT NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN crashes_reported_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN crash_events BIGINT NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN crashes_counted BIGINT NOT NULL DEFAULT 0;
CREATE INDEX ix_hosts_crashes ON hosts (crashes_reported_at);
ALTER TABLE rollouts ADD COLUMN spec_json TEXT;
