-- Actors, local and remote, with their keys; local editor accounts; follow relations.

CREATE TABLE actors (
    id bigserial PRIMARY KEY,
    iri text NOT NULL UNIQUE,
    local boolean NOT NULL,
    -- local actors only: 'instance' (the Application actor) or 'territory' (the Group)
    role text CHECK (role IN ('instance', 'territory')),
    type text NOT NULL,
    username text NOT NULL,
    domain text NOT NULL,
    name text NOT NULL DEFAULT '',
    summary text NOT NULL DEFAULT '',
    url text,
    inbox text,
    shared_inbox text,
    outbox text,
    followers text,
    following text,
    icon_url text,
    place_name text,
    latitude double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude double precision CHECK (longitude BETWEEN -180 AND 180),
    manually_approves boolean NOT NULL DEFAULT false,
    discoverable boolean NOT NULL DEFAULT true,
    public_key_id text,
    public_key_pem text,
    private_key_pem text,
    ed25519_private text,
    document jsonb,
    fetched_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (local = (role IS NOT NULL)),
    CHECK (NOT local OR private_key_pem IS NOT NULL)
);

CREATE UNIQUE INDEX actors_local_username ON actors (lower(username)) WHERE local;
CREATE UNIQUE INDEX actors_one_instance ON actors (role) WHERE role = 'instance';
CREATE INDEX actors_handle ON actors (lower(username), lower(domain));
CREATE INDEX actors_public_key_id ON actors (public_key_id);

CREATE TABLE accounts (
    id bigserial PRIMARY KEY,
    email text NOT NULL,
    password_hash text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'editor')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));

CREATE TABLE follows (
    id bigserial PRIMARY KEY,
    follower_iri text NOT NULL,
    followee_iri text NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
    activity_iri text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (follower_iri, followee_iri)
);

CREATE INDEX follows_followee ON follows (followee_iri, state, id);
CREATE INDEX follows_follower ON follows (follower_iri, state, id);
