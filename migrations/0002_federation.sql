-- Federation: the inbox log, outgoing activities, durable deliveries, peer hosts, blocks.

-- Every verified incoming activity, once (the id is unique); the worker processes it later.
CREATE TABLE inbox_log (
    id bigserial PRIMARY KEY,
    activity_iri text NOT NULL UNIQUE,
    actor_iri text NOT NULL,
    type text NOT NULL,
    raw jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    locked_until timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    result text
);

CREATE INDEX inbox_log_pending ON inbox_log (id) WHERE processed_at IS NULL;

-- Activities published by local actors. `fanned_out` flips in the same transaction that
-- creates their deliveries, so a crash between the two loses nothing and doubles nothing.
CREATE TABLE activities (
    id bigserial PRIMARY KEY,
    iri text NOT NULL UNIQUE,
    actor_iri text NOT NULL,
    type text NOT NULL,
    object_iri text,
    raw jsonb NOT NULL,
    -- explicit recipients (actor ids or inbox URLs) besides the actor's followers
    recipients text[] NOT NULL DEFAULT '{}',
    to_followers boolean NOT NULL DEFAULT false,
    public boolean NOT NULL DEFAULT false,
    fanned_out boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX activities_fanout ON activities (id) WHERE NOT fanned_out;
CREATE INDEX activities_outbox ON activities (actor_iri, id) WHERE public;

-- One row per (activity, inbox): the unit of delivery, retried with back-off.
CREATE TABLE deliveries (
    id bigserial PRIMARY KEY,
    activity_id bigint NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    inbox text NOT NULL,
    host text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed', 'skipped')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz,
    last_status integer,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    UNIQUE (activity_id, inbox)
);

CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';

-- What we know of each peer host.
CREATE TABLE hosts (
    host text PRIMARY KEY,
    failing_since timestamptz,
    unavailable boolean NOT NULL DEFAULT false,
    last_success_at timestamptz,
    -- the host signed to us with RFC 9421, so it verifies it: we sign to it that way too
    accepts_rfc9421 boolean NOT NULL DEFAULT false
);

CREATE TABLE domain_blocks (
    domain text PRIMARY KEY,
    reason text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Browser sessions of editors and administrators, with their CSRF token.
CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
