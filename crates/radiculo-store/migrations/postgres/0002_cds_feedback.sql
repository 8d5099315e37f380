-- CDS Hooks feedback (PostgreSQL). Never edit this file once released: add a new numbered
-- migration.

-- One row per feedback item (`POST /cds-services/{id}/feedback` sends a list of them), stored
-- per tenant and CDS service. `feedback_json` is the item as it was sent, byte for byte; the
-- columns beside it are what listing needs and the outcome the database can check. Both times
-- are as given: `outcome_timestamp` by the client, `received_at` by the server that stored it.
-- `seq` orders a tenant's rows (the order they were received in) and is the page cursor, as for
-- assessments; a sequence never hands out a number twice.
CREATE TABLE cds_feedback (
    seq               BIGSERIAL PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    tenant            TEXT NOT NULL,
    service           TEXT NOT NULL,
    card              TEXT NOT NULL,
    outcome           TEXT NOT NULL
        CONSTRAINT cds_feedback_outcome CHECK (outcome IN ('accepted', 'overridden')),
    outcome_timestamp TEXT NOT NULL,
    received_at       TEXT NOT NULL,
    feedback_json     TEXT NOT NULL
);

CREATE INDEX cds_feedback_tenant_service_seq ON cds_feedback (tenant, service, seq);
