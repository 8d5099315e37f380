-- Episodes (SQLite). Never edit this file once released: add a new numbered migration.

-- An episode groups one person's assessments over time, per tenant, under an opaque subject
-- reference the client chooses (an id of its own, never a name). `seq` is the order episodes
-- were created in.
CREATE TABLE episodes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    tenant     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX episodes_tenant ON episodes (tenant);

-- An assessment stored in an episode names it; erasing the episode erases its assessments with
-- it (the foreign key cascades), in the same statement. Assessments stored alone have none.
ALTER TABLE assessments ADD COLUMN episode_id TEXT REFERENCES episodes (id) ON DELETE CASCADE;

CREATE INDEX assessments_episode_seq ON assessments (episode_id, seq);
