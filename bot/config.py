"""Settings: a TOML file with ``LINLI_``-prefixed environment overrides (``__`` nests)."""

from __future__ import annotations

import os
import re
import tempfile
from contextvars import ContextVar
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from storage.db import database_file_problem
from storage.migrate import latest_version

LANGUAGES = ("zh", "zh-Hant", "en")  # Simplified Chinese, Traditional Chinese, English
OFFICIAL_API_HOST = "api.telegram.org"
PROXY_SCHEMES = ("socks5", "socks5h", "socks4", "http")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts
DEFAULT_CONFIG_PATH = "config.toml"
# Commands that never talk to Telegram (migrate, backup, export) load the config without a token.
_token_required: ContextVar[bool] = ContextVar("token_required", default=True)


def known_language(word: str) -> str | None:
    """The language named by ``word`` in any letter case ("zh-hant" → "zh-Hant"), or None."""
    wanted = word.strip().lower().replace("_", "-")
    return next((language for language in LANGUAGES if language.lower() == wanted), None)


class KeyedProblem(ValueError):
    """A problem found by a section's own check but belonging to one of its keys."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        super().__init__(reason)


class Section(BaseModel):
    """A config section: a misspelt key is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class WebhookSettings(Section):
    """The webhook server (bot/webhook.py), used when ``telegram.mode = "webhook"``."""

    listen: str = "127.0.0.1"
    port: int = Field(8443, ge=1, le=65535)
    url_path: str = "telegram"
    url: str = ""
    secret_token: SecretStr | None = None

    @field_validator("secret_token")
    @classmethod
    def secret_token_is_accepted(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram takes 1-256 letters, digits, '_' and '-'; empty means: generate one."""
        if value is None or not value.get_secret_value():
            return None
        if not _SECRET_TOKEN.match(value.get_secret_value()):
            raise ValueError("use 1-256 characters: letters, digits, '_' and '-'")
        return value


class TelegramSettings(Section):
    """How the bot reaches a Bot API server."""

    token: SecretStr = Field(SecretStr(""), validate_default=True)
    api_url: str = "https://api.telegram.org/bot"
    mode: Literal["polling", "webhook"] = "polling"
    poll_timeout: int = Field(30, ge=0, le=50)
    request_timeout: float = Field(10.0, gt=0, le=120)
    proxy: SecretStr | None = None  # its password must never reach a log
    webhook: WebhookSettings = WebhookSettings()

    @field_validator("proxy")
    @classmethod
    def proxy_is_a_proxy_url(cls, value: SecretStr | None) -> SecretStr | None:
        """socks5://, socks5h://, socks4:// or http:// with a host and a port; empty: none."""
        if value is None or not value.get_secret_value().strip():
            return None
        problem = proxy_url_problem(value.get_secret_value().strip())
        if problem is not None:
            raise ValueError(problem)
        return SecretStr(value.get_secret_value().strip())

    @property
    def proxy_url(self) -> str | None:
        """The proxy every Bot API call goes through, or None."""
        return self.proxy.get_secret_value() if self.proxy is not None else None

    @field_validator("api_url")
    @classmethod
    def api_url_is_a_bot_api(cls, value: str) -> str:
        """An http(s) URL; the server root of a self-hosted telegram-bot-api gets ``/bot``."""
        url = value.strip()
        parts = urlsplit(url)
        if "://" not in url:
            raise ValueError(
                f"{value!r} has no http:// or https:// in front "
                "(examples: 'https://api.telegram.org/bot', 'http://127.0.0.1:8081')"
            )
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{value!r} is not an http(s) URL "
                "(examples: 'https://api.telegram.org/bot', 'http://127.0.0.1:8081')"
            )
        path = parts.path.rstrip("/")
        if not path.endswith("/bot"):  # PTB appends the token right after it
            path += "/bot"
        return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))

    @model_validator(mode="after")
    def webhook_url_is_usable(self) -> TelegramSettings:
        """In webhook mode, Telegram must have a URL it can call."""
        if self.mode == "webhook":
            problem = webhook_url_problem(self.webhook.url, self.api_url)
            if problem is not None:
                raise KeyedProblem("webhook.url", problem)
        return self

    @field_validator("token")
    @classmethod
    def token_is_present(cls, value: SecretStr) -> SecretStr:
        """A bot cannot start without a token; catch it before any network call."""
        token = value.get_secret_value().strip()
        if not token and not _token_required.get():
            return value
        if not token:
            raise ValueError(
                "a bot token is required (from @BotFather); set it here or in LINLI_TELEGRAM__TOKEN"
            )
        if ":" not in token:
            raise ValueError("this does not look like a bot token (expected '<id>:<secret>')")
        return SecretStr(token)


class DatabaseSettings(Section):
    """The SQLite file."""

    path: Path = Path("linli.db")

    @field_validator("path")
    @classmethod
    def path_is_writable(cls, value: Path) -> Path:
        """The folder must exist and take a new file; an existing file must open for writing.

        The check writes for real (a temporary file) because ``os.access`` says yes to
        root on a read-only file system.
        """
        if str(value) == ":memory:":
            return value
        folder = value.parent
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"{folder} is a file, not a folder")
        if not folder.is_dir():
            raise ValueError(f"the folder {folder} does not exist")
        problem = database_file_problem(value, latest_version())
        if problem is not None:
            raise ValueError(f"{value} {problem}")
        try:
            if value.exists():
                with value.open("ab"):
                    pass
            else:
                with tempfile.TemporaryFile(dir=folder):
                    pass
        except OSError as error:
            raise ValueError(f"cannot write the database at {value}: {error.strerror}") from None
        return value


class CommunitySettings(Section):
    """The community this process serves."""

    name: str = "邻里社区"
    timezone: str = "Asia/Shanghai"
    language: str = "zh"
    admins: list[int] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def timezone_exists(cls, value: str) -> str:
        """Reject names the tz database does not know, such as 'Asia/Shangai'."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r} (example: 'Asia/Shanghai')") from error
        return value

    @field_validator("language")
    @classmethod
    def language_is_known(cls, value: str) -> str:
        """Only the languages that have catalogs ("zh-hant" is read as "zh-Hant")."""
        language = known_language(value)
        if language is None:
            raise ValueError(f"unknown language {value!r}; use one of: {', '.join(LANGUAGES)}")
        return language

    @property
    def tz(self) -> ZoneInfo:
        """The community's time zone."""
        return ZoneInfo(self.timezone)


class NoticesSettings(Section):
    """What counts as a resident's confirmation of a notice besides the button."""

    # A reply to the notice that says only this (any case, with punctuation after it).
    confirm_words: list[str] = Field(
        default_factory=lambda: [
            "收到", "收到了", "已收到", "好的", "好", "知道了", "明白", "了解", "ok", "okay",
            "got it", "noted", "received", "thanks", "thank you", "谢谢",
        ]
    )  # fmt: skip
    confirm_reactions: list[str] = Field(default_factory=lambda: ["👍", "👌", "❤", "🙏"])


class OutagesSettings(Section):
    """Water, power and lift outages: how long before the start the groups are reminded."""

    remind_before_minutes: int = Field(default=60, ge=1, le=1440)


class GroupsSettings(Section):
    """Building groups: how long a newcomer's welcome stays, how long an applicant has, and
    the muting of floods and links from new members (off by default)."""

    welcome_delete_minutes: int = Field(10, ge=0, le=2880)  # 0 keeps the welcome
    join_answer_hours: float = Field(24, gt=0, le=24 * 7)  # then the join request is declined
    antiflood: bool = False
    new_member_hours: float = Field(24, gt=0)
    burst_messages: int = Field(5, ge=1)  # more than this within burst_seconds: muted
    burst_seconds: float = Field(10, gt=0)
    mute_links: bool = True


class SchedulingSettings(Section):
    """Stored scheduled work: how late a job may still run after downtime."""

    grace_seconds: int = Field(600, ge=0)
    tick_seconds: float = Field(1.0, gt=0, le=60)

    @property
    def grace(self) -> timedelta:
        """The grace time as a timedelta."""
        return timedelta(seconds=self.grace_seconds)


class OutboxSettings(Section):
    """Telegram's sending limits, as the outbox paces itself."""

    global_per_second: float = Field(30, gt=0)
    per_chat_per_second: float = Field(1, gt=0)
    per_group_per_minute: int = Field(20, gt=0)
    max_attempts: int = Field(12, ge=1)


class PointsSettings(Section):
    """Volunteer points: what each kind of work earns, and the limits of redemptions."""

    request_done: int = Field(10, ge=0)
    shift_served: int = Field(5, ge=0)
    lockup_on_time: int = Field(3, ge=0)
    event_helped: int = Field(5, ge=0)
    hazard_report_points: int = Field(5, ge=0)  # a resident's safety report, once done; 0: off
    max_award: int = Field(1000, gt=0)
    redemption_expire_hours: float = Field(72, gt=0)


class RequestsSettings(Section):
    """Help requests: when an unclaimed request escalates, when a claimed one is stale."""

    escalate_after_minutes: float = Field(15, gt=0)
    stale_after_hours: float = Field(24, gt=0)
    question_timeout_minutes: float = Field(10, gt=0)
    max_per_hour: int = Field(5, ge=0)  # requests one resident may open in an hour; 0: no limit
    reopen_days: float = Field(7, ge=0)  # how long after done the resident may reopen

    @property
    def escalate_after(self) -> timedelta:
        """How long a request may stay unclaimed before every volunteer hears of it."""
        return timedelta(minutes=self.escalate_after_minutes)

    @property
    def stale_after(self) -> timedelta:
        """How long a claimed request may stay unfinished before the claimer is reminded."""
        return timedelta(hours=self.stale_after_hours)

    @property
    def question_timeout(self) -> timedelta:
        """How long the bot waits for the text after a bare /request."""
        return timedelta(minutes=self.question_timeout_minutes)


class EventsSettings(Section):
    """Events: when the reminder goes out, how sign-up list edits are batched, form timeout."""

    remind_before_minutes: int = Field(120, ge=0, le=10080)
    list_edit_seconds: float = Field(3.0, ge=1, le=60)
    form_timeout_minutes: int = Field(30, ge=1, le=1440)

    @property
    def remind_before(self) -> timedelta:
        """How long before an event everyone signed up is reminded (0: no reminder)."""
        return timedelta(minutes=self.remind_before_minutes)

    @property
    def form_timeout(self) -> timedelta:
        """How long the step-by-step /event form waits for an answer."""
        return timedelta(minutes=self.form_timeout_minutes)


class DutySettings(Section):
    """The duty roster: when volunteers are reminded of their shift."""

    remind_before_minutes: int = Field(30, ge=0, le=24 * 60)
    # An open shift is offered to the other volunteers this many hours before it starts
    # (each a round), and the owners hear of it if it is still open this close to it.
    offer_hours: list[int] = Field(default_factory=lambda: [48, 12])
    open_alert_hours: int = Field(2, ge=0, le=7 * 24)


class LockupSettings(Section):
    """Lock-up reports: how long after closing time before the bot chases them."""

    grace_minutes: int = Field(20, ge=1, le=12 * 60)


class BookingSettings(Section):
    """Booking the study room and the hall: how far ahead, and how many a week."""

    days_ahead: int = Field(14, ge=1, le=90)  # the grid shows this many days
    per_week: int = Field(3, ge=1, le=50)  # places one person may hold in one week (Mon–Sun)
    remind_minutes: int = Field(60, ge=0, le=24 * 60)  # 0: no reminder before a booking
    # With check-in on, the reminder has an "I'm here" button (from check_in_minutes before
    # the start to the end); an approved booking nobody checked in to counts as a no-show.
    check_in: bool = False
    check_in_minutes: int = Field(15, ge=0, le=120)


class BackupSettings(Section):
    """Scheduled online backups of the database (none while ``folder`` is unset)."""

    folder: Path | None = None
    every_hours: float = Field(24, gt=0, le=24 * 31)
    keep: int = Field(7, ge=1, le=10_000)

    @field_validator("folder")
    @classmethod
    def folder_is_writable(cls, value: Path | None) -> Path | None:
        """The folder must exist and take a new file (written for real, as for the database)."""
        if value is None or not str(value).strip():
            return None
        if not value.is_dir():
            raise ValueError(f"the backup folder {value} does not exist (create it first)")
        try:
            with tempfile.TemporaryFile(dir=value):
                pass
        except OSError as error:
            raise ValueError(f"cannot write backups to {value}: {error.strerror}") from None
        return value

    @property
    def every(self) -> timedelta:
        """The time between two backups."""
        return timedelta(hours=self.every_hours)


class HoursSettings(Section):
    """Service hours: the check-in window, the rounding rule, make-up limits, star levels."""

    checkin_before_minutes: int = Field(30, ge=0, le=24 * 60)
    event_length_minutes: int = Field(120, ge=15, le=24 * 60)  # events have a start only
    location_radius_m: int = Field(0, ge=0, le=50_000)  # check-in near the event; 0: off
    step_minutes: int = Field(30, ge=1, le=60)  # hours count in whole steps (half-hours)
    minimum_minutes: int = Field(15, ge=0, le=120)  # under this an attendance counts 0
    makeup_max_hours: float = Field(12, gt=0, le=24)  # one make-up entry at most
    makeup_monthly_hours: float = Field(20, ge=0, le=744)  # per volunteer and month
    star_levels: list[int] = Field(default_factory=lambda: [100, 300, 600, 1000, 1500])
    count_shifts: bool = True  # a roster shift served counts its length
    count_requests: bool = False  # a request done counts request_minutes
    request_minutes: int = Field(60, ge=0, le=24 * 60)

    @field_validator("star_levels")
    @classmethod
    def _rising(cls, levels: list[int]) -> list[int]:
        if not levels or len(levels) > 20 or any(b <= a for a, b in pairwise([0, *levels])):
            raise ValueError("star_levels must be 1 to 20 rising numbers of hours above 0")
        return levels


class Settings(BaseSettings):
    """All of Linli's settings."""

    model_config = SettingsConfigDict(
        env_prefix="LINLI_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    telegram: TelegramSettings = Field(default_factory=dict, validate_default=True)
    database: DatabaseSettings = DatabaseSettings()
    community: CommunitySettings = CommunitySettings()
    scheduling: SchedulingSettings = SchedulingSettings()
    groups: GroupsSettings = GroupsSettings()
    notices: NoticesSettings = NoticesSettings()
    outages: OutagesSettings = OutagesSettings()
    outbox: OutboxSettings = OutboxSettings()
    duty: DutySettings = DutySettings()
    lockup: LockupSettings = LockupSettings()
    booking: BookingSettings = BookingSettings()
    events: EventsSettings = EventsSettings()
    requests: RequestsSettings = RequestsSettings()
    points: PointsSettings = PointsSettings()
    backup: BackupSettings = BackupSettings()
    hours: HoursSettings = HoursSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Init values first, then the environment, then the TOML file."""
        toml_path = os.environ.get("LINLI_CONFIG", DEFAULT_CONFIG_PATH)
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
        )


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists (key, reason) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line for each problem, with its key."""
        return "\n".join(f"{key}: {reason}" for key, reason in self.problems)


def proxy_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the proxy, or None."""
    example = "(examples: 'socks5://127.0.0.1:1080', 'http://user:password@proxy.example:3128')"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"{redact_url(url)!r} has a port that is not a number {example}"
    if parts.scheme not in PROXY_SCHEMES:
        return (
            f"{redact_url(url)!r} is not a proxy URL: it must start with "
            f"{', '.join(s + '://' for s in PROXY_SCHEMES)} {example}"
        )
    if not parts.hostname or port is None:
        return f"{redact_url(url)!r} needs a host and a port {example}"
    return None


def redact_url(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" if parts.username else f"***@{host}"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def webhook_url_problem(url: str, api_url: str) -> str | None:
    """Why Telegram could not call this webhook URL, or None."""
    if not url.strip():
        return "webhook mode needs the public URL Telegram calls (https://example.org/telegram)"
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not a URL (example: 'https://example.org/telegram')"
    if parts.scheme != "https" and urlsplit(api_url).hostname == OFFICIAL_API_HOST:
        return f"{url!r} is not HTTPS: Telegram calls webhooks over HTTPS only"
    return None


def load_settings(
    path: str | Path | None = None, *, require_token: bool = True, **overrides: Any
) -> Settings:
    """Read the settings from ``path`` (or ``$LINLI_CONFIG``, or ./config.toml).

    Raises ConfigError with every problem found, never a bare ValidationError.
    """
    previous = os.environ.get("LINLI_CONFIG")
    token_rule = _token_required.set(require_token)
    if path is not None:
        os.environ["LINLI_CONFIG"] = str(path)
    try:
        config_path = Path(os.environ.get("LINLI_CONFIG", DEFAULT_CONFIG_PATH))
        if path is not None and not config_path.is_file():
            raise ConfigError([("config", f"the file {config_path} does not exist")])
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(_problems(error)) from None
    except ValueError as error:  # a TOML syntax error
        raise ConfigError([("config", str(error))]) from None
    finally:
        _token_required.reset(token_rule)
        if path is not None:
            _restore_env("LINLI_CONFIG", previous)


def _problems(error: ValidationError) -> list[tuple[str, str]]:
    """Turn pydantic's errors into (dotted key, plain reason) pairs."""
    problems = []
    for item in error.errors():
        loc = [str(part) for part in item["loc"]]
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, KeyedProblem):
            loc.append(cause.key)
        key = ".".join(loc) or "config"
        reason = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            reason = "unknown key (check the spelling against config.example.toml)"
        problems.append((key, reason))
    return problems


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
