"""/notice and /notices: notices residents confirm, scheduled notices, notices to many groups."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from itertools import groupby

from telegram import Chat, ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.callbacks import button_data, parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Building
from bot.domain.notices import Notice, NoticeLine
from bot.errors import InvalidInput, NotAllowed
from bot.features import Feature, Wiring
from bot.i18n import N_, Translator, html_escape
from bot.services.community import Role
from bot.services.notices import (
    COUNT_JOB,
    FEATURE,
    NOTICE_KIND,
    PIN_KIND,
    SEND_JOB,
    SETTLE_JOB,
    Draft,
)
from handlers.access import REFUSALS, group_building, require_role, role_of
from handlers.common import MAX_TEXT, command_text, reply

MENU = [
    MenuCommand("notice", N_("Post a notice that residents confirm (owners)")),
    MenuCommand("notices", N_("Recent and scheduled notices, and who confirmed (owners)")),
]

PIN_ADVICE = N_("Make me an admin of this group with the right to pin messages.")
PRIVATE_ONLY = N_("I show who confirmed only in a private chat. Send me /notices {id} there.")
NOT_OWNER = N_(
    "You are not an owner of {names}. Only the group's admins (the building's owners) "
    "and the community admins may post notices there."
)


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
    building = await group_building(update, context)
    await require_role(update, context, building, Role.OWNER)
    service, t = context.services.notices, context.t
    draft = await service.draft(command_text(update), private=False)
    can_pin = not draft.pin or await bot_can_pin(context, building.chat_id)
    if not can_pin and draft.send_at is None:
        draft = replace(draft, pin=False)  # said below, instead of a failed pin later
    posted = await service.create(
        _user_id(update), building.chat_id, [building], draft, _message_id(update)
    )
    if posted.send_at is not None:
        text = t(
            "Notice #{id} will be posted here at {time}. See or cancel it with /notices.",
            id=posted.id,
            time=service.local_time(posted.send_at),
        )
        await reply(update, context, text + ("" if can_pin else "\n" + t(PIN_ADVICE)))
    elif not can_pin:
        await reply(
            update, context, t("The notice is posted, but I cannot pin it.") + " " + t(PIN_ADVICE)
        )


async def _notice_from_private(update: Update, context: LinliContext) -> None:
    """Post to several buildings (or all an owner has) through the outbox, with one summary."""
    owned = await owned_buildings(update, context)
    service, t = context.services.notices, context.t
    draft = await service.draft(command_text(update), private=True)
    targets = owned if draft.to_all else only_owned(draft, owned)
    posted = await service.create(
        _user_id(update), _user_id(update), targets, draft, _message_id(update)
    )
    if posted.send_at is None:
        text = t(
            "Notice #{id} is on its way to {count} groups. I will tell you when it has "
            "been delivered.",
            id=posted.id,
            count=len(targets),
        )
    else:
        text = t(
            "Notice #{id} will be posted at {time} to: {names}. See or cancel it with /notices.",
            id=posted.id,
            time=service.local_time(posted.send_at),
            names=building_names(targets),
        )
    await reply(update, context, text)


def building_names(buildings: list[Building], most: int = 20) -> str:
    """The names of some buildings, for a reply."""
    names = ", ".join(building.name for building in buildings[:most])
    return names + (" …" if len(buildings) > most else "")


def only_owned(draft: Draft, owned: list[Building]) -> list[Building]:
    """The buildings named, refused if the owner does not own every one of them."""
    owned_ids = {building.id for building in owned}
    foreign = [b.name for b in draft.buildings if b.id not in owned_ids]
    if foreign:
        raise NotAllowed(NOT_OWNER, names=", ".join(foreign))
    return list(draft.buildings)


async def owned_buildings(update: Update, context: LinliContext) -> list[Building]:
    """The buildings the user owns now (every one, for a community admin); refuses if none."""
    user_id = _user_id(update)
    community = context.services.community
    if community.is_admin(user_id):
        return await community.buildings.all(active_only=False)
    owned = [
        building
        for building in await community.buildings.owned_by(user_id)
        if await role_of(update, context, building) >= Role.OWNER
    ]
    if not owned:
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
        text, markup = await listing(update, context)
        await reply(update, context, text, reply_markup=markup)
        return
    notice_id = notice_number(argument)
    chat = update.effective_chat
    if chat is None or chat.type != Chat.PRIVATE:
        raise InvalidInput(PRIVATE_ONLY, id=notice_id)
    await require_notice_owner(update, context, notice_id)
    await reply(update, context, await confirmers_text(context, notice_id))


def notice_number(text: str) -> int:
    """The number of a notice as written after /notices (``12`` or ``#12``)."""
    number = text.strip().lstrip("#")
    if not (number.isascii() and number.isdigit()) or len(number) > 18:  # "²" is a digit too
        raise InvalidInput(N_("Write the notice's number: /notices 12"))
    return int(number)


async def listing(update: Update, context: LinliContext) -> tuple[str, InlineKeyboardMarkup]:
    """The owner's notices: in a group, that building's; in private, all their buildings'."""
    chat = update.effective_chat
    private = chat is not None and chat.type == Chat.PRIVATE
    if private:
        buildings, author = await owned_buildings(update, context), _user_id(update)
    else:
        building = await group_building(update, context)
        await require_role(update, context, building, Role.OWNER)
        buildings, author = [building], None
    lines = await context.services.notices.lines(buildings, author)
    return listing_text(context, lines, private), listing_keyboard(context, lines, private)


def listing_text(context: LinliContext, lines: list[NoticeLine], private: bool) -> str:
    """One line for each notice: its number, state, buildings, count and first words."""
    t = context.t
    if not lines:
        return t("No notices yet. Post one with /notice followed by the text.")
    text = [t("<b>Notices</b>")] + [notice_line(context, line) for line in lines]
    text.append(
        t("Press a button to see who confirmed, or send /notices followed by the number.")
        if private
        else t("To see who confirmed, send me /notices followed by the number in a private chat.")
    )
    return "\n\n".join(text)  # at most 15 short lines


def notice_line(context: LinliContext, line: NoticeLine) -> str:
    """A notice in the list."""
    t, service = context.t, context.services.notices
    if line.status == "scheduled" and line.job_status == "missed":
        state = t("missed at {time} (I was offline)", time=service.local_time(line.send_at or 0))
    elif line.status == "scheduled":
        state = t("scheduled for {time}", time=service.local_time(line.send_at or 0))
    elif line.status == "cancelled":
        state = t("cancelled")
    else:
        state = (
            service.local_time(line.send_at or line.created_at)
            + " · "
            + t("✅ {count} confirmed", count=line.confirmed)
        )
    where = html_escape(line.building_name)
    if line.buildings > 1 and line.status == "sent":
        where = t(
            "delivered to {delivered} of {count} buildings",
            delivered=line.delivered,
            count=line.buildings,
        )
    elif line.buildings > 1:
        where = t("{count} buildings", count=line.buildings)
    preview = " ".join(line.text.split())
    preview = preview if len(preview) <= 40 else preview[:40] + "…"
    return f"#{line.id} · {state} · {where}\n{html_escape(preview)}"


def listing_keyboard(
    context: LinliContext, lines: list[NoticeLine], private: bool
) -> InlineKeyboardMarkup:
    """«Cancel» for scheduled notices; «Who confirmed» for sent ones (in private)."""
    t = context.t
    buttons = []
    for line in lines:
        if line.status == "scheduled":
            label, action = t.plain("Cancel #{id}", id=line.id), "cancel"
        elif private and line.status in ("sending", "sent"):
            label, action = t.plain("Who confirmed #{id}", id=line.id), "names"
        else:
            continue
        buttons.append(
            InlineKeyboardButton(label, callback_data=button_data(FEATURE, action, line.id))
        )
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


async def require_notice_owner(update: Update, context: LinliContext, notice_id: int) -> Notice:
    """The notice, if the user owns one of its buildings (or is a community admin)."""
    service, community = context.services.notices, context.services.community
    found = await service.get(notice_id)
    user_id = _user_id(update)
    if community.is_admin(user_id):
        return found
    owned = {building.id for building in await community.buildings.owned_by(user_id)}
    for building in await service.buildings_of(notice_id):
        if building.id in owned and await role_of(update, context, building) >= Role.OWNER:
            return found
    raise NotAllowed(
        N_(
            "Only the owners of the buildings notice #{id} went to, and the community admins, "
            "may see or change it."
        ),
        id=notice_id,
    )


async def confirmers_text(context: LinliContext, notice_id: int) -> str:
    """Who confirmed the notice, building by building, with how many residents are known."""
    t, services = context.t, context.services
    people = await services.notices.confirmers(notice_id)
    if not people:
        return t("Nobody has confirmed notice #{id} yet.", id=notice_id)
    residents = {
        b.name: await services.community.buildings.residents_count(b.id)
        for b in await services.notices.buildings_of(notice_id)
    }
    text = [t("<b>Who confirmed notice #{id}</b>", id=notice_id)]
    for name, group in groupby(people, key=lambda person: person.building_name):
        names = [person.user.display_name for person in group]
        text.append(
            "\n"
            + t(
                "<b>{building}</b>: {count} confirmed, of {residents} residents I know",
                building=name,
                count=len(names),
                residents=residents.get(name, 0),
            )
        )
        text += [f"• {html_escape(person)}" for person in names]
    return fit(t, text)


def fit(t: Translator, lines: list[str]) -> str:
    """Join lines into one message under Telegram's limit, saying how many were left out."""
    kept: list[str] = []
    size = 0
    for number, line in enumerate(lines):
        if size + len(line) > MAX_TEXT - 100:
            kept.append(t.in_context("lines", "… and {count} more", count=len(lines) - number))
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


# --- buttons ------------------------------------------------------------------------------


async def button(update: Update, context: LinliContext) -> None:
    """The notices' buttons: «Got it», «Who confirmed», «Cancel»; rights are checked again."""
    query = update.callback_query
    if query is None:
        return
    pressed = parse_button(query.data, FEATURE)
    action = ACTIONS.get(pressed.action)
    if action is None:
        raise InvalidInput(N_("This button is no longer valid."))
    await action(update, context, pressed.int_arg())


async def confirm_pressed(update: Update, context: LinliContext, post_id: int) -> None:
    """«Got it»: record the resident's confirmation once (a second press is answered kindly)."""
    query = update.callback_query
    assert query is not None
    message, user = query.message, query.from_user
    if message is None:
        raise InvalidInput(N_("This button is no longer valid."))
    services = context.services
    await services.notices.confirm(post_id, user.id, message.chat.id, message.message_id)
    await query.answer(context.t.plain("Thank you! Your confirmation is recorded."))
    await services.community.resident_seen(message.chat.id, user.id)


async def names_pressed(update: Update, context: LinliContext, notice_id: int) -> None:
    """«Who confirmed»: the names, as a new message in the private chat."""
    query = update.callback_query
    assert query is not None
    if query.message is None or query.message.chat.type != Chat.PRIVATE:
        raise InvalidInput(PRIVATE_ONLY, id=notice_id)
    await require_notice_owner(update, context, notice_id)
    text = await confirmers_text(context, notice_id)
    await query.answer()
    await context.bot.send_message(query.message.chat.id, text, parse_mode=ParseMode.HTML)


async def cancel_pressed(update: Update, context: LinliContext, notice_id: int) -> None:
    """«Cancel»: cancel a scheduled notice (its owners), and refresh the list."""
    query = update.callback_query
    assert query is not None
    await require_notice_owner(update, context, notice_id)
    await context.services.notices.cancel(notice_id)
    await query.answer(context.t.plain("Notice #{id} is cancelled.", id=notice_id))
    text, markup = await listing(update, context)
    with contextlib.suppress(TelegramError):  # the list is only a view; the cancel is done
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


ACTIONS = {"ok": confirm_pressed, "names": names_pressed, "cancel": cancel_pressed}


def _user_id(update: Update) -> int:
    user = update.effective_user
    if user is None:
        raise NotAllowed(REFUSALS[Role.OWNER])
    return user.id


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        # Not on edited messages: editing a /notice must not post it a second time.
        CommandHandler("notice", notice, filters=filters.UpdateType.MESSAGE),
        CommandHandler("notices", notices, filters=filters.UpdateType.MESSAGE),
        CallbackQueryHandler(button, pattern=pattern(FEATURE)),
    ]


def wire(services: Services) -> Wiring:
    """The stored jobs of scheduled notices and live counts, and the outbox hooks."""
    notices = services.notices
    return Wiring(
        jobs={
            SEND_JOB: notices.send_scheduled,
            COUNT_JOB: notices.refresh_count,
            SETTLE_JOB: notices.check_settled,
        },
        settled={NOTICE_KIND: notices.on_settled, PIN_KIND: notices.on_settled},
    )


def _message_id(update: Update) -> int | None:
    """The command's message id: the key that makes a replayed /notice post nothing new."""
    return update.effective_message.message_id if update.effective_message else None


DESCRIPTION = Feature("notices", get_handlers, MENU, wire=wire)
