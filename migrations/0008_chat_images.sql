-- 0008: images attached to a chat message (a broker screenshot, say). The
-- bytes live in <data dir>/images/<sha256>.<ext>, stored once per content;
-- the message keeps the list of what it attached: [{sha256, kind, bytes,
-- width, height}].
ALTER TABLE chat_messages ADD COLUMN images TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(images));
