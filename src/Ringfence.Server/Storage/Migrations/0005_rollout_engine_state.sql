-- v5: the rollout engine (Ringfence.Rollouts) keeps its state as one JSON document per rollout; rows from v4 have none
-- and are read from their status columns. attributed_hosts holds the distinct hosts whose crash breadcrumbs, reverts
-- or quarantines named a rollout's content (the gate's attribution test counts hosts, not events).
ALTER TABLE rollouts ADD COLUMN engine_state_json TEXT;
CREATE TABLE attributed_hosts (
    rollout_id TEXT NOT NULL,
    host_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (rollout_id, host_id)
);
