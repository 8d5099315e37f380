-- Initial schema (SQLite). Never edit this file once released: add a new numbered migration.
-- Ids, times and JSON are TEXT so that one code path (sqlx's Any driver) reads both backends.

-- API keys. A tenant exists as long as some key names it; there is no separate tenants table.
-- Only the SHA-256 of a secret is kept (lowercase hex): the secret itself is shown once.
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY NOT NULL,
    tenant        TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT
);

CREATE INDEX api_keys_tenant ON api_keys (tenant);

-- Stored assessments. `seq` orders a tenant's records and is the page cursor. AUTOINCREMENT
-- keeps SQLite from reusing the sequence number of a deleted newest row, so a cursor never
-- points into records stored after it was handed out.
CREATE TABLE assessments (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    tenant          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    kb_version      TEXT NOT NULL,
    case_json       TEXT NOT NULL,
    assessment_json TEXT NOT NULL
);

CREATE INDEX assessments_tenant_seq ON assessments (tenant, seq);
