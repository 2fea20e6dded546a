-- Linli schema, version 10: the request cards already sent become live cards.
--
-- Until now a request card's message id was only in its outbox row (kind 'request_card',
-- ref 'request:N'), and the request service edited those rows' messages itself. The live
-- cards (``bot.cards``, kind 'request') keep them current from now on, so every card of a
-- request is recorded as a copy: the delivered ones with their message id, those still
-- pending with their outbox row (the copy learns its message id when it is delivered).
--
-- A copy's ref is the request number; a card of a later routing (sent again after a
-- release, dedupe key 'request:N:R:card:U') is 'N/R', so that a chat can hold both.
-- ``shown`` is left empty: the next change edits every copy, as before. A pending card
-- of a request no longer open is edited as soon as it is delivered (``dirty``), as the old
-- catch-up did.
INSERT OR IGNORE INTO cards (kind, ref, chat_id, outbox_id, message_id, shown, dirty, created_at)
    SELECT 'request',
           CASE WHEN c.routing > 1 THEN c.number || '/' || c.routing ELSE c.number END,
           c.chat_id,
           CASE WHEN c.status = 'pending' THEN c.id END,
           CASE WHEN c.status = 'sent' THEN c.message_id END,
           '',
           CASE WHEN c.status = 'pending' AND r.state <> 'open' THEN 1 ELSE 0 END,
           c.created_at
    FROM (
        SELECT o.id, o.chat_id, o.status, o.message_id, o.created_at,
               CAST(substr(o.ref, length('request:') + 1) AS INTEGER) AS number,
               CASE WHEN o.dedupe_key LIKE o.ref || ':%:card:%'
                    THEN CAST(substr(o.dedupe_key, length(o.ref) + 2) AS INTEGER)
                    ELSE 1 END AS routing
        FROM outbox o
        WHERE o.kind = 'request_card' AND o.ref LIKE 'request:%'
          AND ((o.status = 'sent' AND o.message_id IS NOT NULL) OR o.status = 'pending')
    ) c
    JOIN requests r ON r.id = c.number
    ORDER BY c.id DESC;
