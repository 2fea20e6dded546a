"""The config: every error is caught with its key, and `linli run` refuses to start on it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

GOOD = """
[telegram]
token = "123456:ABCdef"
[database]
path = "{db}"
[community]
admins = [42]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text.format(db=tmp_path / "linli.db"), encoding="utf-8")
    return path


def problems(path: Path) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return dict(caught.value.problems)


def test_a_good_config_loads_with_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD))
    assert settings.telegram.token.get_secret_value() == "123456:ABCdef"
    assert settings.community.timezone == "Asia/Shanghai"
    assert settings.community.language == "zh"
    assert settings.community.admins == [42]
    assert settings.telegram.mode == "polling"
    assert "ABCdef" not in repr(settings)


def test_missing_token_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINLI_TELEGRAM__TOKEN", raising=False)
    found = problems(write(tmp_path, GOOD.replace('token = "123456:ABCdef"', "")))
    assert "token is required" in found["telegram.token"]


def test_token_from_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_TELEGRAM__TOKEN", "999:fromenv")
    monkeypatch.setenv("LINLI_COMMUNITY__LANGUAGE", "en")
    settings = load_settings(write(tmp_path, GOOD))
    assert settings.telegram.token.get_secret_value() == "999:fromenv"
    assert settings.community.language == "en"


def test_bad_time_zone_is_named(tmp_path: Path) -> None:
    found = problems(write(tmp_path, GOOD + 'timezone = "Asia/Shangai"\n'))
    assert "unknown time zone 'Asia/Shangai'" in found["community.timezone"]


def test_unknown_language_is_named(tmp_path: Path) -> None:
    found = problems(write(tmp_path, GOOD + 'language = "fr"\n'))
    assert "unknown language 'fr'" in found["community.language"]


def test_database_in_a_missing_folder_is_named(tmp_path: Path) -> None:
    text = GOOD.replace('path = "{db}"', f'path = "{tmp_path}/nope/linli.db"')
    found = problems(write(tmp_path, text))
    assert "does not exist" in found["database.path"]


def test_unwritable_database_folder_is_named(tmp_path: Path) -> None:
    # /proc/self exists but no file can be created there, not even by root.
    found = problems(write(tmp_path, GOOD.replace('path = "{db}"', 'path = "/proc/self/linli.db"')))
    assert "cannot write the database" in found["database.path"]


def test_every_problem_is_reported_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINLI_TELEGRAM__TOKEN", raising=False)
    text = '[community]\ntimezone = "Mars/Base"\nlanguage = "xx"\n[telegram]\nmode = "carrier"\n'
    found = problems(write(tmp_path, text))
    assert {"telegram.token", "telegram.mode", "community.timezone", "community.language"} <= set(
        found
    )


def test_an_unknown_key_is_named(tmp_path: Path) -> None:
    found = problems(write(tmp_path, GOOD + "timezonee = 'UTC'\n"))
    assert "unknown key" in found["community.timezonee"]


def test_migrate_needs_no_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINLI_TELEGRAM__TOKEN", raising=False)
    path = write(tmp_path, GOOD.replace('token = "123456:ABCdef"', ""))
    assert load_settings(path, require_token=False).database.path == tmp_path / "linli.db"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=60, env=env
    )


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if not key.startswith("LINLI_")}


def test_check_config_lists_errors_and_run_refuses_with_the_same(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    path = write(tmp_path, GOOD.replace('token = "123456:ABCdef"', "") + 'timezone = "Nowhere"\n')
    checked = run_cli("--config", str(path), "check-config", env=clean_env)
    ran = run_cli("--config", str(path), "run", env=clean_env)
    assert checked.returncode == 2 and ran.returncode == 2
    assert "telegram.token: a bot token is required" in checked.stderr
    assert "community.timezone: unknown time zone 'Nowhere'" in checked.stderr
    assert ran.stderr == checked.stderr


def test_check_config_accepts_a_good_file(tmp_path: Path, clean_env: dict[str, str]) -> None:
    checked = run_cli("--config", str(write(tmp_path, GOOD)), "check-config", env=clean_env)
    assert checked.returncode == 0, checked.stderr
    assert "The configuration is valid" in checked.stdout
    assert "ABCdef" not in checked.stdout


def test_the_example_config_documents_every_key() -> None:
    from bot.config import Settings

    example = (Path(__file__).parent.parent / "config.example.toml").read_text("utf-8")
    for section, field in Settings.model_fields.items():
        assert f"[{section}]" in example
        model = field.annotation
        for key in getattr(model, "model_fields", {}):
            assert f"{key} =" in example or f"[{section}.{key}]" in example, f"{section}.{key}"


def test_a_self_hosted_server_root_gets_bot_added(tmp_path: Path) -> None:
    """People write the root of a self-hosted telegram-bot-api; PTB appends the token to
    the URL, so without '/bot' every call would go to '…:8081<token>/getMe'."""
    for written in ("http://127.0.0.1:8081", "http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot"):
        text = GOOD.replace("[database]", f'api_url = "{written}"\n[database]')
        assert load_settings(write(tmp_path, text)).telegram.api_url == "http://127.0.0.1:8081/bot"


def test_an_api_url_that_is_not_http_is_refused_saying_why(tmp_path: Path) -> None:
    no_scheme = GOOD.replace("[database]", 'api_url = "127.0.0.1:8081/bot"\n[database]')
    assert "no http:// or https://" in problems(write(tmp_path, no_scheme))["telegram.api_url"]
    ftp = GOOD.replace("[database]", 'api_url = "ftp://127.0.0.1/bot"\n[database]')
    assert "not an http(s) URL" in problems(write(tmp_path, ftp))["telegram.api_url"]


def test_a_database_folder_that_is_a_file_is_named_as_a_file(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file, not a folder", encoding="utf-8")
    text = GOOD.replace('path = "{db}"', f'path = "{tmp_path}/data/linli.db"')
    found = problems(write(tmp_path, text))["database.path"]
    assert f"{tmp_path}/data is a file, not a folder" in found


WEBHOOK = GOOD.replace("[database]", 'mode = "webhook"\n[telegram.webhook]\n{url}\n[database]')


def test_a_webhook_without_an_https_url_is_refused_by_check_config_and_run(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    for url, reason in (("", "needs the public URL"),
                        ('url = "http://example.org/telegram"', "is not HTTPS")):
        path = tmp_path / "config.toml"
        path.write_text(WEBHOOK.replace("{url}", url).format(db=tmp_path / "linli.db"),
                        encoding="utf-8")
        checked = run_cli("--config", str(path), "check-config", env=clean_env)
        ran = run_cli("--config", str(path), "run", env=clean_env)
        assert checked.returncode == 2 and ran.returncode == 2
        assert "telegram.webhook.url: " in checked.stderr and reason in checked.stderr
        assert ran.stderr == checked.stderr and "Traceback" not in ran.stderr


def test_a_webhook_secret_telegram_would_refuse_is_named(tmp_path: Path) -> None:
    text = WEBHOOK.replace("{url}", 'url = "https://example.org/tg"\nsecret_token = "a b!"')
    assert "letters, digits" in problems(write(tmp_path, text))["telegram.webhook.secret_token"]


def test_a_proxy_url_is_checked_and_its_password_never_shown(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    for bad, why in (
        ("socks6://127.0.0.1:1080", "must start with socks5://"),
        ("socks5://127.0.0.1", "needs a host and a port"),
        ("127.0.0.1:1080", "must start with"),
        ("http://user:hunter2@proxy:port", "not a number"),
    ):
        path = write(tmp_path, GOOD.replace("[database]", f'proxy = "{bad}"\n[database]'))
        checked = run_cli("--config", str(path), "check-config", env=clean_env)
        assert checked.returncode == 2
        assert "telegram.proxy: " in checked.stderr and why in checked.stderr, checked.stderr
        assert "hunter2" not in checked.stderr
    good = 'proxy = "socks5://linli:hunter2@127.0.0.1:1080"\n[database]'
    path = write(tmp_path, GOOD.replace("[database]", good))
    checked = run_cli("--config", str(path), "check-config", env=clean_env)
    assert checked.returncode == 0, checked.stderr
    assert "through the proxy socks5://linli:***@127.0.0.1:1080" in checked.stdout
    assert "hunter2" not in checked.stdout
    assert load_settings(path).telegram.proxy_url == "socks5://linli:hunter2@127.0.0.1:1080"
