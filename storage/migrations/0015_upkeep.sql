-- What `linli status` reads about the bot itself, from the database alone: the bot's own
-- rights in each group, as Telegram last told it (my_chat_member). The heartbeat of the
-- running bot and the last scheduled backup are rows of `meta`.

ALTER TABLE chats ADD COLUMN bot_rights TEXT;  -- admin | admin_cannot_pin | member; NULL: not known
ALTER TABLE chats ADD COLUMN bot_rights_at REAL;
