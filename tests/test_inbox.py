"""The durable inbox across a restart: what counts as an attempt at an update."""

from __future__ import annotations

from tests.harness import Harness

ZHANG, LI = 101, 102


async def test_a_restart_counts_an_attempt_only_for_the_update_each_chat_was_on(
    harness: Harness,
) -> None:
    """A chat's updates are handled in order: only its oldest pending one can have been
    in hand when the process died. The ones behind it were waiting, and a waiting update
    must not be set aside however often the process dies."""
    harness.emu.add_user(ZHANG, "Zhang")
    harness.emu.add_user(LI, "Li")
    for user in (ZHANG, ZHANG, LI):
        await harness.say(user, user, "/help")
    await harness.settle()
    first, second, other = [row[0] for row in await harness.db.fetch_all(
        "SELECT update_id FROM inbox ORDER BY update_id")]
    async with harness.db.transaction() as tx:  # as if the process had died twice already
        await tx.execute("UPDATE inbox SET status = 'pending', attempts = 2")
    answered = len(harness.texts(ZHANG))

    await harness.restart()
    await harness.settle()

    rows = await harness.db.fetch_all("SELECT update_id, status, attempts FROM inbox")
    assert {row[0]: (row[1], row[2]) for row in rows} == {
        first: ("failed", 3),  # in hand at each of three deaths: set aside
        second: ("handled", 2),  # waiting behind it: not counted, handled now
        other: ("failed", 3),
    }
    assert len(harness.texts(ZHANG)) == answered + 1
