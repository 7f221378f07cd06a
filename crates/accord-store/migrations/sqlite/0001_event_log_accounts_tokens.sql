-- Accord's store, SQLite dialect. Kept to portable SQL (TEXT, INTEGER, BLOB,
-- primary and foreign keys, CHECK) so the PostgreSQL migration is a
-- transliteration: BLOB -> BYTEA, INTEGER -> BIGINT, TEXT timestamps -> TIMESTAMPTZ.

-- One row per negotiation, written with its first event.
CREATE TABLE negotiations (
    id TEXT PRIMARY KEY NOT NULL,
    -- The `at` of event 0.
    created_at TEXT NOT NULL
);

-- The append-only log. The primary key is the concurrency control: of two
-- appends at the same position, exactly one can commit.
CREATE TABLE events (
    negotiation TEXT NOT NULL REFERENCES negotiations (id),
    position INTEGER NOT NULL CHECK (position >= 0),
    at TEXT NOT NULL,
    -- The event's actor as JSON, for queries; the authoritative copy is in `bytes`.
    actor TEXT NOT NULL,
    -- The event exactly as hashed (serde_json of accord_core::event::Event).
    bytes BLOB NOT NULL,
    -- RFC 6962 leaf hash of `bytes`: SHA-256(0x00 || bytes).
    leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
    PRIMARY KEY (negotiation, position)
);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    -- As the person typed it; shown back to them.
    email TEXT NOT NULL,
    -- The email trimmed and lower-cased: one account per address however it is spelt.
    email_key TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    -- argon2id PHC string.
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Session and API tokens, by hash only: a stolen database yields no usable token.
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account TEXT NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
    expires_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
);

CREATE INDEX tokens_by_account ON tokens (account);
