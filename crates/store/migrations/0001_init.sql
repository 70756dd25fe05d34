-- canopy's state. JSON documents are stored as TEXT; ids are UUIDs as TEXT.

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    -- The workspace token (the sts:ExternalId for AssumeRole), sealed with the secret key.
    token_sealed BLOB NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE secrets (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    sealed BLOB NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE change_sets (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    -- head, open, applied or abandoned. Exactly one head per workspace.
    status TEXT NOT NULL,
    -- HEAD's revision when this change set was created; HEAD counts its own applies.
    base_revision INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    applied_at TEXT
);
CREATE UNIQUE INDEX change_sets_open_name ON change_sets (workspace_id, name)
    WHERE status IN ('head', 'open');

CREATE TABLE components (
    change_set_id TEXT NOT NULL REFERENCES change_sets(id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    schema TEXT NOT NULL,
    domain TEXT NOT NULL,
    subscriptions TEXT NOT NULL,
    region_id TEXT,
    credential_id TEXT,
    -- 1 when the change set deletes this component.
    deleted INTEGER NOT NULL DEFAULT 0,
    -- The component as HEAD held it when this change set was created: the merge base.
    base TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (change_set_id, id)
);
CREATE UNIQUE INDEX components_name ON components (change_set_id, name);

CREATE TABLE qualifications (
    change_set_id TEXT NOT NULL,
    component_id TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (change_set_id, component_id, name)
);

-- The real resource each component owns. Resources are real-world state, so they
-- belong to the workspace, not to a change set.
CREATE TABLE resources (
    workspace_id TEXT NOT NULL,
    component_id TEXT NOT NULL,
    type_name TEXT NOT NULL,
    region TEXT NOT NULL,
    identifier TEXT,
    -- creating, ok, failed, unknown or deleting
    status TEXT NOT NULL,
    properties TEXT,
    last_applied TEXT,
    message TEXT,
    refreshed_at TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, component_id)
);

-- Every action run against AWS. The client token is written before the call and the
-- request token right after it, so an interrupted apply resumes without sending twice.
CREATE TABLE actions (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL,
    change_set_id TEXT NOT NULL,
    component_id TEXT NOT NULL,
    component_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- the Cloud Control operation in flight: CREATE, UPDATE or DELETE
    operation TEXT,
    state TEXT NOT NULL,
    patch TEXT,
    client_token TEXT,
    request_token TEXT,
    identifier TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    message TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX actions_workspace_state ON actions (workspace_id, state);
