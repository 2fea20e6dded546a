"""/notice and /notices: notices residents confirm, scheduled notices, notices to many groups."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import replace

from telegram import Chat, ChatMember, ReactionType, ReactionTypeEmoji, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageReactionHandler,
    filters,
)

from bot.callbacks import action_for, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Building
from bot.errors import InvalidInput, NotAllowed
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.services.community import REFUSALS, Role
from bot.services.notices import (
    NOTICE_KIND,
    NUDGE_JOB,
    PIN_KIND,
    RELEASE_JOB,
    SEND_JOB,
    SETTLE_JOB,
    Draft,
)
from bot.services.recurring import OCCURRENCE_JOB
from bot.views import notices as views
from bot.views import nudge as nudge_views
from bot.views import recurring as recurring_views
from bot.views.common import OutMessage
from bot.views.notices import FEATURE
from handlers.access import actor_of, fresh_admins, group_building, owner_actor
from handlers.common import command_text, inline_markup, show

MENU = [
    MenuCommand("notice", N_("Post a notice that residents confirm (owners)")),
    MenuCommand("notices", N_("Recent and scheduled notices, and who confirmed (owners)")),
]


# --- /notice ------------------------------------------------------------------------------


async def notice(update: Update, context: LinliContext) -> None:
    """/notice [pin] [at DATE TIME] text in the group; /notice all|3号楼,5号楼 text in private."""
    chat = update.effective_chat
    if chat is not None and chat.type == Chat.PRIVATE:
        await _notice_from_private(update, context)
    else:
        await _notice_in_group(update, context)


async def _notice_in_group(update: Update, context: LinliContext) -> None:
    """Post to this group's building (owners only), now or at the time given."""
    actor, place = actor_of(update), await group_building(update, context)
    [building] = await context.services.community.scope(actor, place.chat_id, Role.OWNER)
    service, t = context.services.notices, context.t
    draft = await service.draft(command_text(update), private=False)
    if draft.every is not None:
        await _recurring(update, context, [building], draft)
        if draft.pin and not await bot_can_pin(context, building.chat_id):
            await show(update, context, views.pin_advice(t))
        return
    can_pin = not draft.pin or await bot_can_pin(context, building.chat_id)
    if not can_pin and draft.send_at is None:
        draft = replace(draft, pin=False)  # said below, instead of a failed pin later
    posted = await service.create(
        actor, building.chat_id, [building], draft, command_message_id(update)
    )
    if posted.send_at is not None:
        await show(update, context, views.scheduled_here(t, posted, service.tz, can_pin))
    elif not can_pin:
        await show(update, context, views.posted_unpinned(t))
    await _tell_held(update, context, [building], posted.send_at)


async def _notice_from_private(update: Update, context: LinliContext) -> None:
    """Post to several buildings (or all an owner has) through the outbox, with one summary."""
    actor = actor_of(update)
    owned = await owned_in_private(update, context)
    service, t = context.services.notices, context.t
    draft = await service.draft(command_text(update), private=True)
    targets = owned if draft.to_all else list(draft.buildings)
    if draft.every is not None:
        await _recurring(update, context, targets, draft)
        return
    posted = await service.create(actor, actor.user_id, targets, draft, command_message_id(update))
    if posted.send_at is None:
        await show(update, context, views.on_its_way(t, posted, len(targets)))
    else:
        await show(update, context, views.scheduled_to(t, posted, service.tz, targets))
    await _tell_held(update, context, targets, posted.send_at)


async def _recurring(
    update: Update, context: LinliContext, buildings: list[Building], draft: Draft
) -> None:
    """/notice every …: store the rule, and say when it first goes out."""
    chat = update.effective_chat
    origin = chat.id if chat is not None else actor_of(update).user_id
    rule = await context.services.recurring.create(
        actor_of(update), origin, buildings, draft, command_message_id(update)
    )
    service = context.services.notices
    holds = await service.holds(buildings, rule.next_at)
    await show(update, context, recurring_views.created(context.t, rule, service.tz, buildings,
                                                        holds))


async def _tell_held(
    update: Update, context: LinliContext, buildings: list[Building], at: float | None
) -> None:
    """Tell the owner when quiet hours hold their notice back, and until when."""
    service = context.services.notices
    holds = await service.holds(buildings, at)
    if holds:
        await show(update, context, recurring_views.held(context.t, holds, service.tz))


async def owned_in_private(update: Update, context: LinliContext) -> list[Building]:
    """The buildings the person owns now (every one, for a community admin); refuses if none."""
    community = context.services.community
    actor = await owner_actor(update, context)
    owned = await community.scope(actor, None, Role.OWNER, with_inactive=True)
    if not owned and not community.is_admin(actor.user_id):
        raise NotAllowed(REFUSALS[Role.OWNER])
    return owned


async def bot_can_pin(context: LinliContext, chat_id: int) -> bool:
    """Whether the bot may pin messages in the group (an admin with that right)."""
    try:
        me = await context.bot.get_chat_member(chat_id, context.bot.id)
    except TelegramError:
        return False
    if me.status == ChatMember.OWNER:
        return True
    return me.status == ChatMember.ADMINISTRATOR and bool(getattr(me, "can_pin_messages", False))


# --- /notices -----------------------------------------------------------------------------


async def notices(update: Update, context: LinliContext) -> None:
    """/notices: recent and scheduled notices; /notices N: who confirmed notice N (private)."""
    argument = command_text(update)
    if not argument:
        await show(update, context, await listing(update, context))
        return
    notice_id = notice_number(argument)
    chat = update.effective_chat
    if chat is None or chat.type != Chat.PRIVATE:
        raise InvalidInput(views.PRIVATE_ONLY, id=notice_id)
    await show(update, context, await confirmers(update, context, notice_id))


def notice_number(text: str) -> int:
    """The number of a notice as written after /notices (``12`` or ``#12``)."""
    number = text.strip().lstrip("#")
    if not (number.isascii() and number.isdigit()) or len(number) > 18:  # "²" is a digit too
        raise InvalidInput(N_("Write the notice's number: /notices 12"))
    return int(number)


async def listing(update: Update, context: LinliContext) -> OutMessage:
    """The owner's notices: in a group, that building's; in private, all their buildings'."""
    actor, service = actor_of(update), context.services.notices
    chat = update.effective_chat
    private = chat is not None and chat.type == Chat.PRIVATE
    if private:
        buildings, author = await owned_in_private(update, context), actor.user_id
    else:
        place = await group_building(update, context)
        buildings = await context.services.community.scope(actor, place.chat_id, Role.OWNER)
        author = None
    lines = await service.lines(buildings, author)
    rules = await context.services.recurring.active_for(buildings, author)
    return views.listing(context.t, lines, private, service.tz, rules)


async def confirmers(update: Update, context: LinliContext, notice_id: int) -> OutMessage:
    """Who confirmed the notice, if the user owns one of its buildings."""
    service = context.services.notices
    await fresh_admins(update, context, await service.buildings_of(notice_id))
    return views.confirmers(context.t, await service.confirmations(actor_of(update), notice_id))


async def latest(update: Update, context: LinliContext) -> None:
    """A resident's «Notices» button: the latest notices of their buildings."""
    service = context.services.notices
    lines = await service.recent_for(actor_of(update))
    await show(update, context, views.recent(context.t, lines, service.tz))


# --- buttons ------------------------------------------------------------------------------


async def button(update: Update, context: LinliContext) -> None:
    """The notices' buttons: «Got it», «Who confirmed», «Cancel», «Stop», «Remind the rest»
    and a reminder's «Got it»; rights are checked again."""
    query = update.callback_query
    if query is None:
        return
    pressed = parse_button(query.data, FEATURE)
    action = action_for(ACTIONS, pressed)
    await action(update, context, pressed.int_arg())


async def confirm_pressed(update: Update, context: LinliContext, post_id: int) -> None:
    """«Got it»: record the resident's confirmation once (a second press is answered kindly)."""
    query = update.callback_query
    assert query is not None
    message, user = query.message, query.from_user
    if message is None:
        raise InvalidInput(N_("This button is no longer valid."))
    services = context.services
    await services.notices.confirm(actor_of(update), post_id, message.chat.id, message.message_id)
    await query.answer(views.confirmed_alert(context.t))
    await services.community.resident_seen(message.chat.id, user.id)


async def names_pressed(update: Update, context: LinliContext, notice_id: int) -> None:
    """«Who confirmed»: the names, as a new message in the private chat."""
    query = update.callback_query
    assert query is not None
    if query.message is None or query.message.chat.type != Chat.PRIVATE:
        raise InvalidInput(views.PRIVATE_ONLY, id=notice_id)
    shown = await confirmers(update, context, notice_id)
    await query.answer()
    await context.bot.send_message(
        query.message.chat.id, shown.text, parse_mode=ParseMode.HTML,
        reply_markup=inline_markup(shown),
    )


async def remind_pressed(update: Update, context: LinliContext, notice_id: int) -> None:
    """«🔔 Remind the rest»: one round of reminders today (the notice's owners only)."""
    query = update.callback_query
    assert query is not None
    service = context.services.notices
    await fresh_admins(update, context, await service.buildings_of(notice_id))
    nudge = await context.services.nudge.remind(actor_of(update), notice_id, f"press {query.id}")
    await show(update, context, nudge_views.done(context.t, nudge))  # an alert to the presser


async def got_pressed(update: Update, context: LinliContext, post_id: int) -> None:
    """«Got it» under a private reminder: the same confirmation as the group's button."""
    query = update.callback_query
    assert query is not None
    if query.message is None:
        raise InvalidInput(N_("This button is no longer valid."))
    await context.services.nudge.confirm(actor_of(update), post_id, query.message.chat.id)
    await query.answer(views.confirmed_alert(context.t))
    with contextlib.suppress(TelegramError):  # the button is only a view; the change is done
        await query.edit_message_reply_markup(None)


async def cancel_pressed(update: Update, context: LinliContext, notice_id: int) -> None:
    """«Cancel»: cancel a scheduled notice (its owners), and refresh the list."""
    query = update.callback_query
    assert query is not None
    service = context.services.notices
    await fresh_admins(update, context, await service.buildings_of(notice_id))
    await service.cancel(actor_of(update), notice_id)
    await query.answer(views.cancelled_alert(context.t, notice_id))
    await _refresh_listing(update, context)


async def _refresh_listing(update: Update, context: LinliContext) -> None:
    """Show the list of notices again on the message whose button was pressed."""
    query = update.callback_query
    assert query is not None
    shown = await listing(update, context)
    with contextlib.suppress(TelegramError):  # the list is only a view; the change is done
        await query.edit_message_text(
            shown.text, parse_mode=ParseMode.HTML, reply_markup=inline_markup(shown)
        )


async def stop_pressed(update: Update, context: LinliContext, recurring_id: int) -> None:
    """«Stop 🔁N»: end a recurring notice (an owner of its buildings), and refresh the list."""
    query = update.callback_query
    assert query is not None
    recurring = context.services.recurring
    await fresh_admins(update, context, await recurring.buildings_of(recurring_id))
    stopped = await recurring.stop(actor_of(update), recurring_id)
    await query.answer(recurring_views.stopped_alert(context.t, stopped))
    await _refresh_listing(update, context)


# --- "收到" replies and 👍 reactions: the same confirmation as the button ------------------


async def confirm_by_reply(update: Update, context: LinliContext) -> bool:
    """A reply that says only "收到" to a message of the bot in a group: if it is a notice's
    post, count it once. True when the reply was a confirmation word (nothing else to say:
    the live count is the answer, and a group is not flooded with thanks)."""
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    service = context.services.notices
    if message is None or replied is None or not service.is_confirmation(message.text or ""):
        return False
    if update.effective_user is not None:
        await service.confirm_at(actor_of(update), message.chat.id, replied.message_id, "reply")
    return True


async def reaction(update: Update, context: LinliContext) -> None:
    """A 👍 on a notice's post (Telegram sends reactions only to admins) confirms it; taking
    the 👍 away takes back the confirmation it made (not one made with the button or a reply)."""
    changed = update.message_reaction
    if changed is None or changed.user is None:
        return
    service = context.services.notices
    chat_id, message_id = changed.chat.id, changed.message_id
    if service.is_confirming_reaction(_emoji(changed.new_reaction)):
        await service.confirm_at(actor_of(update), chat_id, message_id, "reaction")
    elif service.is_confirming_reaction(_emoji(changed.old_reaction)):
        await service.withdraw_reaction_at(actor_of(update), chat_id, message_id)


def _emoji(reactions: Sequence[ReactionType]) -> list[str]:
    """The plain emoji among reactions (custom emoji and paid stars never confirm)."""
    return [r.emoji for r in reactions if isinstance(r, ReactionTypeEmoji)]


ACTIONS = {
    "ok": confirm_pressed,
    "names": names_pressed,
    "cancel": cancel_pressed,
    "stop": stop_pressed,
    "remind": remind_pressed,
    "got": got_pressed,
}


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        # Not on edited messages: editing a /notice must not post it a second time.
        CommandHandler("notice", notice, filters=filters.UpdateType.MESSAGE),
        CommandHandler("notices", notices, filters=filters.UpdateType.MESSAGE),
        CallbackQueryHandler(button, pattern=pattern(FEATURE)),
        MessageReactionHandler(
            reaction, message_reaction_types=MessageReactionHandler.MESSAGE_REACTION_UPDATED
        ),
    ]


def wire(services: Services) -> Wiring:
    """The stored jobs of scheduled notices and of settling them, and the outbox hooks (the
    live counts are cards: ``bot.cards`` wires their jobs and hooks)."""
    notices, recurring = services.notices, services.recurring
    return Wiring(
        jobs={
            SEND_JOB: notices.send_scheduled,
            SETTLE_JOB: notices.check_settled,
            RELEASE_JOB: notices.release,
            OCCURRENCE_JOB: recurring.occur,
            NUDGE_JOB: services.nudge.remind_later,
        },
        missed={OCCURRENCE_JOB: recurring.missed},
        settled={NOTICE_KIND: notices.on_settled, PIN_KIND: notices.on_settled},
        on_start=recurring.mend,
    )


def command_message_id(update: Update) -> int | None:
    """The command's message id: the key that makes a replayed /notice post nothing new."""
    return update.effective_message.message_id if update.effective_message else None


DESCRIPTION = Feature("notices", get_handlers, MENU, wire=wire)
