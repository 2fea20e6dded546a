"""/help that fits the person: what they may do here, grouped by role, each with one
example; and the answer to a command the bot does not know."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from bot.commands import MenuCommand, SharedMenus
from bot.i18n import N_, Translator
from bot.services.community import Role
from bot.views.common import OutMessage


@dataclass(frozen=True)
class Usage:
    """Who may use a command (this role and above) and an example of its text after it."""

    role: Role
    example: str = ""  # a message id (``N_``) when it has words, else written as is


# One row per command of the menus (a test checks that none is missing).
USAGE: dict[str, Usage] = {
    "start": Usage(Role.STRANGER),
    "help": Usage(Role.STRANGER),
    "menu": Usage(Role.STRANGER),
    "lang": Usage(Role.STRANGER, "zh"),
    "request": Usage(Role.STRANGER, N_("the kitchen tap leaks")),
    "myrequests": Usage(Role.STRANGER),
    "cancel": Usage(Role.RESIDENT, "12"),
    "status": Usage(Role.RESIDENT, "12"),
    "whois": Usage(Role.ADMIN, "12"),
    "duty": Usage(Role.RESIDENT),
    "events": Usage(Role.STRANGER),
    "points": Usage(Role.STRANGER),
    "leaderboard": Usage(Role.STRANGER, N_("hours")),  # the words of handlers.points.HOURS_WORDS
    "rewards": Usage(Role.STRANGER),
    "open": Usage(Role.VOLUNTEER),
    "claim": Usage(Role.VOLUNTEER, "12"),
    "release": Usage(Role.VOLUNTEER, "12"),
    "done": Usage(Role.VOLUNTEER, N_("12 the tap is fixed")),
    "wait": Usage(Role.VOLUNTEER, N_("12 2026-12-05 waiting for the part")),
    "note": Usage(Role.VOLUNTEER, N_("12 call before going up")),
    "tell": Usage(Role.VOLUNTEER, N_("12 I will come at three")),
    "replies": Usage(Role.VOLUNTEER),
    "swap": Usage(Role.VOLUNTEER),
    "handover": Usage(Role.VOLUNTEER, N_("the key is with the guard")),
    "lockup": Usage(Role.VOLUNTEER),
    "lockups": Usage(Role.VOLUNTEER),
    "redeem": Usage(Role.VOLUNTEER, "3"),
    "checkin": Usage(Role.VOLUNTEER, "123456"),
    "checkout": Usage(Role.VOLUNTEER),
    "hours": Usage(Role.VOLUNTEER),
    "certificate": Usage(Role.VOLUNTEER, "2026"),
    "verify": Usage(Role.STRANGER, "LL2026-1A2B3C4D"),
    "mydata": Usage(Role.STRANGER),
    "forgetme": Usage(Role.STRANGER),
    "apply": Usage(Role.RESIDENT, "repair health"),
    "away": Usage(Role.VOLUNTEER, "2026-12-10 2026-12-20"),
    "back": Usage(Role.VOLUNTEER),
    "calendar": Usage(Role.VOLUNTEER),
    "coverage": Usage(Role.OWNER, "2"),
    "setup": Usage(Role.OWNER, N_("Building 3")),
    "volunteer": Usage(Role.OWNER, N_("@zhang repair")),
    "unvolunteer": Usage(Role.OWNER, "@zhang"),
    "notice": Usage(Role.OWNER, N_("tomorrow 9:00-12:00 no water")),
    "notices": Usage(Role.OWNER),
    "emergency": Usage(Role.OWNER, N_("all gas leak in the basement, leave the building now")),
    "quiet": Usage(Role.OWNER, "22:00-07:00"),
    "topic": Usage(Role.OWNER, "notices"),
    "outage": Usage(Role.OWNER, N_("water 3号楼,5号楼 2026-12-03 08:00-12:00 pipe repair")),
    "outages": Usage(Role.STRANGER),
    "roster": Usage(Role.OWNER),
    "facility": Usage(Role.OWNER),
    "book": Usage(Role.RESIDENT, N_("study room 2026-12-05 16:00")),
    "bookings": Usage(Role.RESIDENT),
    "award": Usage(Role.OWNER, N_("@zhang 10 helped to move")),
    "reward": Usage(Role.OWNER, N_("add Car wash | Wang's garage | 10 | 5")),
    "event": Usage(Role.OWNER, N_("2026-12-05 09:00 | Health check | Community hall | 40 | 2")),
    "stats": Usage(Role.OWNER, "2026-10"),
    "export": Usage(Role.OWNER, "2026-10"),
    "welcome": Usage(Role.OWNER, N_("Welcome to {building}, {name}!")),
    "rules": Usage(Role.STRANGER),
}
HEADINGS = {
    Role.STRANGER: N_("<b>For everyone</b>"),
    Role.RESIDENT: N_("<b>For residents</b>"),
    Role.VOLUNTEER: N_("<b>For volunteers</b>"),
    Role.OWNER: N_("<b>For building owners</b>"),
}
SUGGESTIONS = 3


def usage(command: str) -> Usage:
    """A command's row (an unknown one is for owners: shown to fewer, never to more)."""
    return USAGE.get(command, Usage(Role.OWNER))


def allowed(menu: Sequence[MenuCommand], role: Role, private: bool) -> list[MenuCommand]:
    """The commands a person of this role may use in this kind of chat."""
    here = [item for item in menu if (item.private if private else item.group)]
    return [item for item in here if role >= usage(item.command).role]


def shared_menus(menu: Sequence[MenuCommand]) -> SharedMenus:
    """Telegram's menus by the rule of /help: private chats and groups list what a resident
    may use there, the groups' admins what an owner may use in a group. (A volunteer has
    no scope of their own in a group: Telegram's would be one per member and group.)"""
    return SharedMenus(
        private=allowed(menu, Role.RESIDENT, private=True),
        group=allowed(menu, Role.RESIDENT, private=False),
        admins=allowed(menu, Role.OWNER, private=False),
    )


def help_text(
    t: Translator, menu: Sequence[MenuCommand], role: Role, private: bool, *, registered: bool
) -> OutMessage:
    """The commands this person may use here, grouped by the role they need, with examples.

    In a group that is not set up yet, it says how to set it up."""
    lines = [t("<b>What you can do here</b>")]
    for level, heading in HEADINGS.items():
        group = [item for item in allowed(menu, role, private)
                 if min(usage(item.command).role, Role.OWNER) == level]
        if not group:
            continue
        lines += ["", t(heading)]
        for item in group:
            lines.append(f"/{item.command} — {t(item.description)}")
            example = usage(item.command).example
            if example:
                lines.append(
                    "    " + t("e.g. /{command} {example}", command=item.command,
                               example=t.plain(example))
                )
    if not private and not registered:
        lines += ["", t("This group is not a building yet: an admin of the group sends "
                        "/setup and the building's name.")]
    if private:
        lines += ["", t("You can also just tell me in a few words what you need.")]
    return OutMessage("\n".join(lines))


def unknown(
    t: Translator, command: str, menu: Sequence[MenuCommand], role: Role, private: bool
) -> OutMessage:
    """"I don't know /foo", and the three commands the person most likely meant."""
    names = [item.command for item in allowed(menu, role, private)]
    guesses = difflib.get_close_matches(command.lower(), names, n=SUGGESTIONS, cutoff=0.0)
    by_name = {item.command: item for item in menu}
    lines = [t("I don't know /{command}. Did you mean:", command=command)]
    lines += [f"/{name} — {t(by_name[name].description)}" for name in guesses]
    lines.append(t("Send /help to see everything you can do here."))
    return OutMessage("\n".join(lines))
