-- Initiatives and events, local and remote, with columns denormalised for the feed's filters.

CREATE TABLE objects (
    id bigserial PRIMARY KEY,
    iri text NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('event', 'initiative')),
    local boolean NOT NULL,
    actor_iri text NOT NULL,
    url text,
    title text NOT NULL,
    summary text NOT NULL DEFAULT '',
    content_html text NOT NULL DEFAULT '',
    themes text[] NOT NULL DEFAULT '{}',
    place_name text,
    place_address text,
    latitude double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude double precision CHECK (longitude BETWEEN -180 AND 180),
    geo point GENERATED ALWAYS AS (
        CASE WHEN latitude IS NULL OR longitude IS NULL THEN NULL
             ELSE point(longitude, latitude) END
    ) STORED,
    online_url text,
    start_time timestamptz,
    end_time timestamptz,
    timezone text,
    status text CHECK (status IN ('confirmed', 'tentative', 'cancelled')),
    initiative_iri text,
    image_url text,
    image_alt text,
    website text,
    contact text,
    stage text CHECK (stage IN ('idea', 'running', 'finished')),
    -- what an editor entered (local objects), and the AS2 document (both kinds)
    input jsonb,
    document jsonb NOT NULL,
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('french', title), 'A')
        || setweight(to_tsvector('french', summary), 'B')
        || setweight(to_tsvector('french', coalesce(place_name, '')), 'B')
        || setweight(to_tsvector('french', left(content_html, 20000)), 'C')
    ) STORED,
    published timestamptz NOT NULL DEFAULT now(),
    updated timestamptz,
    deleted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX objects_feed ON objects (published DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX objects_actor ON objects (actor_iri, published DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX objects_themes ON objects USING gin (themes) WHERE deleted_at IS NULL;
CREATE INDEX objects_upcoming ON objects (start_time, id)
    WHERE kind = 'event' AND deleted_at IS NULL;
-- INCLUDE lets a map query find and order its matches from the index alone.
CREATE INDEX objects_geo ON objects USING gist (geo) INCLUDE (published, id)
    WHERE deleted_at IS NULL;
CREATE INDEX objects_search ON objects USING gin (search) WHERE deleted_at IS NULL;

-- Tokens for scripts using the JSON API; only a hash is kept.
CREATE TABLE api_tokens (
    token_hash text PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);

-- Invitation links an administrator creates for a new editor or administrator.
CREATE TABLE invitations (
    token_hash text PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('admin', 'editor')),
    created_by bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
