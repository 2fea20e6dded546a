-- Linli schema, version 10: the posts of notices become live cards.
--
-- A notice's count of confirmations used to be kept current by its own jobs
-- ('notice.count') and columns of notice_posts (shown_count, count_due_at,
-- count_edited_at, no longer read). Every post already in its group is now a copy of the
-- card 'notice_post' (ref: the post's id), and a post still in the outbox learns its
-- message id when it is delivered. What a copy shows is not known here (``shown`` is
-- empty), so its next refresh edits it once.
INSERT OR IGNORE INTO cards (kind, ref, chat_id, outbox_id, message_id, created_at)
    SELECT 'notice_post', CAST(p.id AS TEXT), p.chat_id,
           CASE WHEN coalesce(p.message_id, o.message_id) IS NULL
                     AND o.status = 'pending' THEN p.outbox_id END,
           coalesce(p.message_id, o.message_id), n.created_at
    FROM notice_posts p
    JOIN notices n ON n.id = p.notice_id
    LEFT JOIN outbox o ON o.id = p.outbox_id
    WHERE coalesce(p.message_id, o.message_id) IS NOT NULL
       OR (p.status = 'queued' AND o.status = 'pending');

-- A count edit that was planned still happens: the refresh of the card.
UPDATE jobs SET kind = 'card_refresh',
                payload = json_object('name', 'notice_post',
                                      'ref', CAST(json_extract(payload, '$.post') AS TEXT))
WHERE kind = 'notice.count' AND status = 'pending';
