-- Bearer tokens for canopy's HTTP API. Only a hash of each token's secret part is
-- stored; the token itself is shown once, when it is created.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    -- NULL for administrator tokens, which reach every workspace.
    workspace_id TEXT REFERENCES workspaces(id),
    -- admin, view, edit or apply
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    -- SHA-256 of the token's secret part.
    secret_hash BLOB NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id);
