-- Where each component's card sits on the web UI's canvas. Positions belong to the
-- workspace, not to a change set, because a component keeps its id across change sets.
CREATE TABLE component_positions (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    component_id TEXT NOT NULL,
    -- Canvas coordinates of the card's top-left corner, in CSS pixels at zoom 1.
    x REAL NOT NULL,
    y REAL NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, component_id)
);
