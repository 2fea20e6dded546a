-- Linli schema, version 10: the owners' cards of redemptions become live cards.
--
-- Until now a redemption card was found again through its outbox row (kind 'points_card',
-- ref 'redemption:<id>'). Each one delivered, or still on its way, is recorded as a copy
-- of the live card 'redemption' so that deciding it edits it as before. ``shown`` is left
-- empty: the next change always edits. A card still on its way whose redemption was
-- decided meanwhile is marked dirty, so it is edited as soon as it arrives.
INSERT OR IGNORE INTO cards (kind, ref, chat_id, outbox_id, message_id, shown, dirty, created_at)
    SELECT 'redemption', CAST(r.id AS TEXT), o.chat_id,
           CASE WHEN o.message_id IS NULL THEN o.id END,
           o.message_id,
           '',
           CASE WHEN o.message_id IS NULL AND r.status <> 'pending' THEN 1 ELSE 0 END,
           o.created_at
    FROM outbox o
    JOIN redemptions r ON o.ref = 'redemption:' || r.id
    WHERE o.kind = 'points_card' AND o.method = 'sendMessage'
      AND (o.message_id IS NOT NULL OR o.status = 'pending');
