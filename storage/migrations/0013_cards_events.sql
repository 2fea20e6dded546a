-- Linli schema, version 10: an event's sign-up list in each group is a live card.
--
-- The messages already delivered (event_posts.message_id) become copies of the card
-- 'event' with the event id as ref, so their lists stay current. ``shown`` is left empty:
-- the next change edits them whatever they show. event_posts.message_id is no longer
-- written after this.
INSERT OR IGNORE INTO cards (kind, ref, chat_id, message_id, shown, created_at)
    SELECT 'event', CAST(p.event_id AS TEXT), b.chat_id, p.message_id, '', e.created_at
    FROM event_posts p
    JOIN buildings b ON b.id = p.building_id
    JOIN events e ON e.id = p.event_id
    WHERE p.message_id IS NOT NULL;

-- A post still in the outbox is a copy on its way: its message id is recorded on delivery.
INSERT OR IGNORE INTO cards (kind, ref, chat_id, outbox_id, shown, created_at)
    SELECT 'event', substr(o.ref, length('event:') + 1), o.chat_id, o.id, '', o.created_at
    FROM outbox o
    WHERE o.kind = 'event_card' AND o.status = 'pending' AND o.ref LIKE 'event:%';

-- A batched edit of a list that was pending becomes the card's refresh.
UPDATE jobs
    SET kind = 'card_refresh',
        payload = json_object('name', 'event',
                              'ref', CAST(json_extract(payload, '$.event') AS TEXT))
    WHERE kind = 'event_list' AND status = 'pending';
