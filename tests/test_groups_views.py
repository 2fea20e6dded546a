"""The views of building groups and of /start and /help, as pure functions."""

from __future__ import annotations

from bot.commands import MenuCommand
from bot.domain.core import Building, User
from bot.i18n import translator
from bot.services.community import Role
from bot.views import groups, help, start

EN, ZH = translator("en"), translator("zh")
BUILDING = Building(id=1, chat_id=-100, name="3<号>楼")


def test_setup_names_the_building_and_says_what_rights_are_missing() -> None:
    advice = groups.rights_advice(EN, admin=True, can_pin=False)
    assert advice == "Please give me the right to pin messages, so that notices stay on top."
    created = groups.set_up(EN, BUILDING, True, advice).text
    assert created.startswith("This group is now the building «3&lt;号&gt;楼».")
    assert created.endswith("\n\n" + advice)
    renamed = groups.set_up(ZH, BUILDING, False, groups.rights_advice(ZH, admin=True, can_pin=True))
    assert "3&lt;号&gt;楼" in renamed.text and "权限都有了" in renamed.text
    assert "admin" in groups.rights_advice(EN, admin=False, can_pin=False)


def test_a_new_volunteer_who_never_pressed_start_is_asked_to() -> None:
    li = User(id=20, first_name="Li", started=False)
    text = groups.volunteer_added(EN, li, BUILDING, ["repair", "health"]).text
    assert text.startswith("Li is now a volunteer of 3&lt;号&gt;楼. Skills: repair, health.")
    assert "press Start" in text
    started = li.model_copy(update={"started": True})
    assert "Start" not in groups.volunteer_added(EN, started, BUILDING, []).text
    assert groups.volunteer_removed(EN, li, BUILDING).text == (
        "Li is no longer a volunteer of 3&lt;号&gt;楼."
    )


def test_help_lists_the_commands_of_the_kind_of_chat_and_the_welcome_escapes_the_name() -> None:
    # Issue 16: /help lists what the person may do here, grouped; the flat list is gone.
    menu = [MenuCommand("start", "Start using Linli", group=False),
            MenuCommand("setup", "Register this group as a building", private=False)]
    private = help.help_text(EN, menu, Role.OWNER, True, registered=True).text
    assert "/start — Start using Linli" in private and "/setup" not in private
    in_group = help.help_text(EN, menu, Role.OWNER, False, registered=True).text
    assert "/setup — Register this group as a building" in in_group
    assert "/setup" not in help.help_text(EN, menu, Role.RESIDENT, False, registered=True).text
    assert start.welcome(EN, "<Mei>").text.startswith("Hello, &lt;Mei&gt;!")
    assert "/help" in start.welcome_group(ZH).text
