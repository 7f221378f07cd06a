-- The outbox: messages (deadline reminders) to deliver, written in the same
-- transaction as the event that decided to send them, and drained by a task
-- of its own that retries with backoff. Instants are milliseconds since the
-- Unix epoch, so every backend compares them as numbers.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    negotiation TEXT NOT NULL REFERENCES negotiations (id),
    -- What to send, as the server encoded it (a notification as JSON).
    body TEXT NOT NULL,
    -- Failed deliveries so far.
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Not handed out before this instant: the next retry, or the end of a claim.
    next_attempt_ms INTEGER NOT NULL,
    last_error TEXT,
    -- Given up after too many failures; kept for an operator.
    given_up INTEGER NOT NULL DEFAULT 0 CHECK (given_up IN (0, 1))
);

CREATE INDEX outbox_due ON outbox (given_up, next_attempt_ms);
