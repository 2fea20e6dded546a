"""/welcome and /rules, join requests (asked in private, decided by the owners) and their
buttons; newcomers are welcomed from ``handlers.groups`` (which owns chat_member updates)."""

from __future__ import annotations

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, ChatJoinRequestHandler, CommandHandler

from bot.callbacks import parse_button, pattern
from bot.commands import MenuCommand
from bot.context import LinliContext, Services
from bot.domain.core import Building, Prompt
from bot.domain.welcome import TextKind
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.features import Feature, Wiring
from bot.i18n import N_
from bot.services.community import REFUSALS, Actor, Role
from bot.services.welcome import (
    ALLOWED,
    PROMPT,
    RULES_EDIT_KIND,
    RULES_POST_KIND,
    USAGE,
    WELCOME_KIND,
)
from bot.views import welcome as views
from handlers.access import (
    actor_of,
    bot_can_tag,
    fresh_admins,
    group_building,
    owner_actor,
    place_of,
)
from handlers.common import command_text, show
from handlers.groups import PRESENT
from handlers.notices import bot_can_pin
from handlers.roster import split_building

MENU = [
    MenuCommand("welcome", N_("The welcome newcomers get in the group (owners)")),
    MenuCommand("rules", N_("The building's rules; /rules text sets them (owners)")),
]


async def welcome(update: Update, context: LinliContext) -> None:
    """/welcome [building] text: the newcomers' welcome (owners); bare, it shows the welcome."""
    actor = await owner_actor(update, context)
    building, text = await owned_building(update, context, actor, "welcome")
    service = context.services.welcome
    if not text:
        current = await service.text_of(building, "welcome")
        await show(update, context, views.text_now(context.t, building, current,
                                                   usage(context, "welcome")))
        return
    await _save(update, context, actor, building, "welcome", text)


async def rules(update: Update, context: LinliContext) -> None:
    """/rules: the rules of this group's building (or, in private, of yours), for anyone;
    /rules [building] text: set them (owners), and the pinned post follows."""
    text, actor = command_text(update), await owner_actor(update, context)
    community = context.services.community
    if place_of(update) is not None:
        building = await group_building(update, context)
        if text:
            await _save(update, context, actor, building, "rules", text)
        else:
            await _show_rules(update, context, [building])
        return
    mine = await community.scope(actor, None, Role.RESIDENT)
    named, rest = split_building(text, mine) if text else (None, "")
    if not text or (named is not None and not rest):
        await _show_rules(update, context, [named] if named else mine)
        return
    building, rest = await owned_building(update, context, actor, "rules")
    await _save(update, context, actor, building, "rules", rest)


async def _show_rules(update: Update, context: LinliContext, buildings: list[Building]) -> None:
    if not buildings:
        raise NotFound(N_("You do not belong to any building yet: the rules are those of a "
                          "building's group. Ask in your building's group with /rules."))
    service = context.services.welcome
    found = [(b, await service.text_of(b, "rules")) for b in buildings]
    viewer = await context.services.users.get(actor_of(update).user_id)
    await show(update, context, views.rules_shown(context.t, found, viewer))


async def _save(update: Update, context: LinliContext, actor: Actor, building: Building,
                kind: TextKind, text: str) -> None:
    saved = await context.services.welcome.set_text(actor, building, kind, text)
    sample = await context.services.users.get(actor.user_id)
    assert sample is not None  # tracking recorded them before any handler ran
    can_pin = kind != "rules" or await bot_can_pin(context, building.chat_id)
    await show(update, context, views.text_saved(context.t, building, saved, sample, can_pin))


async def owned_building(
    update: Update, context: LinliContext, actor: Actor, command: str
) -> tuple[Building, str]:
    """The group's building (owners), or in private the owned building named first (needed
    if they own several); and the rest of the text."""
    community, text = context.services.community, command_text(update)
    place = place_of(update)
    if place is not None:
        [building] = await community.scope(actor, place, Role.OWNER)
        return building, text
    owned = await community.scope(actor, None, Role.OWNER)
    if not owned:
        raise NotAllowed(REFUSALS[Role.OWNER])
    chosen, rest = split_building(text, owned)
    if chosen is None:
        raise InvalidInput(
            N_("You own several buildings: put the building's name first, for example "
               "/{command} {name} …"), command=command, name=owned[0].name)
    return chosen, rest


def usage(context: LinliContext, kind: TextKind) -> str:
    """How to write the welcome or the rules, in the chat's language."""
    return context.t(USAGE[kind], allowed=ALLOWED, building="{building}", name="{name}")


# --- join requests ------------------------------------------------------------------------


async def join_request(update: Update, context: LinliContext) -> None:
    """Someone asked to join through an invite link with approval: ask them in private."""
    request = update.chat_join_request
    if request is None:
        return
    chat, user = request.chat, request.from_user
    member = await is_member(context, chat.id, user.id)
    key = f"{chat.id}:{user.id}:{int(request.date.timestamp())}"
    await context.services.welcome.join_requested(
        chat.id, user.id, request.user_chat_id, member=member, key=key
    )


async def is_member(context: LinliContext, chat_id: int, user_id: int) -> bool:
    """Whether Telegram says the person is in the group now."""
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in PRESENT and bool(getattr(member, "is_member", True))


async def join_answer(update: Update, context: LinliContext, prompt: Prompt) -> None:
    """The applicant's answer in private: first the flat, then the name."""
    message = update.effective_message
    if message is None:
        return
    service, t = context.services.welcome, context.t
    actor, request_id = Actor(prompt.user_id), int(prompt.payload["request"])
    if prompt.step == "flat":
        await service.answer_flat(actor, request_id, message.text or "", message.message_id)
        await show(update, context, views.ask_name(t))
        return
    request = await service.answer_name(actor, request_id, message.text or "")
    _request, building = await service.request(request.id)
    await show(update, context, views.sent_to_owners(t, building))


async def join_button(update: Update, context: LinliContext) -> None:
    """«Approve» / «Decline» on a join request; the owner's right is checked again."""
    query = update.callback_query
    if query is None:
        return
    pressed = parse_button(query.data, views.FEATURE)
    if pressed.action not in views.BUTTONS:
        raise InvalidInput(N_("This button is no longer valid."))
    service = context.services.welcome
    request, building = await service.request(pressed.int_arg())
    await fresh_admins(update, context, [building])
    approve = pressed.action == "approve"
    member = approve and await is_member(context, building.chat_id, request.user_id)
    can_tag = approve and await bot_can_tag(context, building.chat_id)
    decided = await service.decide(actor_of(update), request.id, approve, member=member,
                                   can_tag=can_tag)
    await query.answer(views.decided_alert(context.t, decided), show_alert=member)


def get_handlers() -> list[BaseHandler[Update, LinliContext, None]]:
    """Handlers of this feature."""
    return [
        CommandHandler("welcome", welcome),
        CommandHandler("rules", rules),
        ChatJoinRequestHandler(join_request),
        CallbackQueryHandler(join_button, pattern=pattern(views.FEATURE)),
    ]


def wire(services: Services) -> Wiring:
    """The jobs (deleting welcomes, declining unanswered requests), the hooks that plan a
    welcome's deletion and pin the rules, and the quiet end of an applicant's prompt."""
    welcome = services.welcome
    return Wiring(
        jobs=welcome.jobs(),
        settled={WELCOME_KIND: welcome.welcome_posted, RULES_POST_KIND: welcome.rules_posted,
                 RULES_EDIT_KIND: welcome.rules_edited},
        expiry={PROMPT: welcome.prompt_expired},
    )


DESCRIPTION = Feature("welcome", get_handlers, MENU, prompts={PROMPT: join_answer}, wire=wire)
