-- Accord's store, PostgreSQL dialect: the SQLite schema transliterated
-- (BLOB -> BYTEA, INTEGER -> BIGINT, TEXT timestamps -> TIMESTAMPTZ, 0/1 -> BOOLEAN).
--
-- Identifiers and email keys compare byte-wise (COLLATE "C"), as in SQLite,
-- so "oldest first, then by id" orders the same on both backends whatever
-- locale the cluster was made with.

-- One row per negotiation, written with its first event. Appends lock the
-- negotiation (an advisory lock on its id) before reading the log size.
CREATE TABLE negotiations (
    id TEXT COLLATE "C" PRIMARY KEY,
    -- The `at` of event 0 (microsecond precision; the exact value is in the event's bytes).
    created_at TIMESTAMPTZ NOT NULL
);

-- The append-only log. The primary key is the concurrency control of last
-- resort: of two appends at the same position, exactly one can commit, even
-- from two servers that both skipped the lock.
CREATE TABLE events (
    negotiation TEXT COLLATE "C" NOT NULL REFERENCES negotiations (id),
    position BIGINT NOT NULL CHECK (position >= 0),
    at TIMESTAMPTZ NOT NULL,
    -- The event's actor as JSON, for queries; the authoritative copy is in `bytes`.
    actor TEXT NOT NULL,
    -- The event exactly as hashed (serde_json of accord_core::event::Event).
    bytes BYTEA NOT NULL,
    -- RFC 6962 leaf hash of `bytes`: SHA-256(0x00 || bytes).
    leaf_hash BYTEA NOT NULL CHECK (octet_length(leaf_hash) = 32),
    CONSTRAINT events_pkey PRIMARY KEY (negotiation, position)
);

CREATE TABLE accounts (
    id TEXT COLLATE "C" CONSTRAINT accounts_pkey PRIMARY KEY,
    -- As the person typed it; shown back to them.
    email TEXT NOT NULL,
    -- The email trimmed and lower-cased: one account per address however it is spelt.
    email_key TEXT COLLATE "C" NOT NULL CONSTRAINT accounts_email_key_unique UNIQUE,
    display_name TEXT NOT NULL,
    -- argon2id PHC string.
    password_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Session and API tokens, by hash only: a stolen database yields no usable token.
CREATE TABLE tokens (
    token_hash TEXT COLLATE "C" CONSTRAINT tokens_pkey PRIMARY KEY,
    account TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
    expires_at TIMESTAMPTZ NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX tokens_by_account ON tokens (account);
