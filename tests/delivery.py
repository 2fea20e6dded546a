"""Playing the outbox sender in service tests: pending rows arrive, and the hooks the app
wired for their kind hear of it in the transaction that marks them, as in the real sender."""

from __future__ import annotations

from collections.abc import Callable

from bot.context import Services
from bot.domain.core import OutboxMessage
from bot.outbox import Delivery


async def deliver(
    services: Services, kind: str, message_id_of: Callable[[OutboxMessage], int]
) -> None:
    """Every pending row of ``kind`` arrives as the message ``message_id_of(row)``."""
    hook = services.cards.settled_hooks()[kind]
    for found in await services.db.fetch_all(
        "SELECT * FROM outbox WHERE kind = ? AND status = 'pending' ORDER BY id", (kind,)
    ):
        row = OutboxMessage.from_row(found)
        message_id = message_id_of(row)
        async with services.db.transaction() as tx:
            await services.sender.repo.mark_sent(message_id, row.id, 0.0, tx=tx)
            await hook(tx, Delivery(row, ok=True, message_id=message_id))
