-- Editors' work that is not (yet) federated, and who changed what.

-- A draft is an editor's input kept on this instance only: nothing is published or sent
-- until it is published, when it becomes an `objects` row and the draft is removed.
CREATE TABLE drafts (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('event', 'initiative')),
    input jsonb NOT NULL,
    account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One line per change of a local initiative or event: the action, the editor (kept as an
-- email too, so the line survives the account), and the fields that changed.
CREATE TABLE object_history (
    id bigserial PRIMARY KEY,
    object_id bigint NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    account_email text,
    action text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'import')),
    changed text[] NOT NULL DEFAULT '{}',
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX object_history_by_object ON object_history (object_id, at DESC);

-- Series of events and imported items are found through the editor's input.
CREATE INDEX objects_series ON objects ((input ->> 'series')) WHERE local AND input ? 'series';
CREATE INDEX objects_external_id ON objects ((input ->> 'external_id'))
    WHERE local AND input ? 'external_id';
