-- 0004: the coach's conversations. A session holds messages in order; an
-- assistant message keeps its text, the tool calls it made (arguments,
-- results, timings), the cards it showed and the numbers the grounding check
-- could not verify, so that reloading a session restores it exactly.
-- Messages are written while the answer streams (status 'streaming'), and end
-- 'complete', 'interrupted' (partial text kept) or 'cancelled'.
CREATE TABLE chat_sessions (
    id         INTEGER PRIMARY KEY,
    title      TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX chat_sessions_updated ON chat_sessions (updated_ms);

CREATE TABLE chat_messages (
    id         INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('user', 'assistant')),
    content    TEXT    NOT NULL DEFAULT '',
    status     TEXT    NOT NULL CHECK (status IN ('streaming', 'complete', 'interrupted', 'cancelled')),
    tools      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(tools)),
    cards      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(cards)),
    unverified TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(unverified)),
    meta       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    UNIQUE (session_id, seq)
);

-- Full-text search over every message's text (external content: the text is
-- stored once, in chat_messages).
CREATE VIRTUAL TABLE chat_fts USING fts5 (
    content,
    content = 'chat_messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER chat_messages_ai AFTER INSERT ON chat_messages BEGIN
    INSERT INTO chat_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER chat_messages_ad AFTER DELETE ON chat_messages BEGIN
    INSERT INTO chat_fts (chat_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER chat_messages_au AFTER UPDATE OF content ON chat_messages BEGIN
    INSERT INTO chat_fts (chat_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO chat_fts (rowid, content) VALUES (new.id, new.content);
END;
