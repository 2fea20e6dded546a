"""`linli migrate`, `linli backup` and `linli --help`, as an operator runs them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from storage.migrate import latest_version


def linli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = folder / "config.toml"
    if not config.exists():
        config.write_text(f'[database]\npath = "{folder / "linli.db"}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=60, env=env)


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = linli(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("run", "check-config", "migrate", "backup"):
        assert command in result.stdout


def test_migrate_creates_the_database_without_a_token(tmp_path: Path) -> None:
    result = linli(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert f"version {latest_version()}" in result.stdout
    again = linli(tmp_path, "migrate")
    assert "Applied 0 migration(s)" in again.stdout
    connection = sqlite3.connect(tmp_path / "linli.db")
    assert connection.execute("PRAGMA user_version").fetchone() == (latest_version(),)
    connection.close()


def test_backup_copies_a_database_that_is_open_for_writing(tmp_path: Path) -> None:
    assert linli(tmp_path, "migrate").returncode == 0
    writer = sqlite3.connect(tmp_path / "linli.db")
    writer.execute("INSERT INTO users (id, first_name, created_at, updated_at) "
                   "VALUES (1, 'Wang', 0, 0)")
    writer.commit()
    writer.execute("BEGIN")  # the bot is in the middle of a transaction
    writer.execute("INSERT INTO users (id, first_name, created_at, updated_at) "
                   "VALUES (2, 'uncommitted', 0, 0)")
    result = linli(tmp_path, "backup", str(tmp_path / "copy.db"))
    writer.rollback()
    writer.close()
    assert result.returncode == 0, result.stderr
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT first_name FROM users").fetchall() == [("Wang",)]
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy.close()
    refused = linli(tmp_path, "backup", str(tmp_path / "copy.db"))
    assert refused.returncode == 1 and "exists already" in refused.stderr


def token_config(folder: Path) -> None:
    (folder / "config.toml").write_text(
        f'[telegram]\ntoken = "123456:ABC"\n[database]\npath = "{folder / "linli.db"}"\n',
        encoding="utf-8")


def test_a_file_that_is_not_sqlite_is_refused_and_left_untouched(tmp_path: Path) -> None:
    token_config(tmp_path)
    database = tmp_path / "linli.db"
    database.write_bytes(b"residents.csv: name,room\n" * 20)
    before = database.read_bytes()
    for command in ("run", "migrate", "check-config", "status"):
        result = linli(tmp_path, command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert f"{database} is not a SQLite database" in result.stderr, command
        assert "Traceback" not in result.stderr, command
        assert database.read_bytes() == before, command


def test_a_database_from_a_newer_linli_is_refused_and_left_untouched(tmp_path: Path) -> None:
    token_config(tmp_path)
    assert linli(tmp_path, "migrate").returncode == 0
    database = tmp_path / "linli.db"
    connection = sqlite3.connect(database)  # as a newer Linli would leave it
    connection.execute("PRAGMA journal_mode = DELETE")
    connection.execute(f"PRAGMA user_version = {latest_version() + 1}")
    connection.close()
    before = database.read_bytes()
    for command in ("run", "migrate", "check-config", "status"):
        result = linli(tmp_path, command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert str(database) in result.stderr and "newer than this Linli" in result.stderr
        assert "Traceback" not in result.stderr, command
        assert database.read_bytes() == before, command


def test_status_shows_the_updates_set_aside_until_they_are_acknowledged(tmp_path: Path) -> None:
    assert linli(tmp_path, "migrate").returncode == 0
    quiet = linli(tmp_path, "status")
    assert quiet.returncode == 0, quiet.stderr
    assert "Dead letters: none." in quiet.stdout
    connection = sqlite3.connect(tmp_path / "linli.db")
    connection.executemany(
        "INSERT INTO dead_letters (update_id, source, payload, error, received_at) "
        "VALUES (?, 'getUpdates', '{}', ?, ?)",
        [(41, "UnicodeEncodeError: surrogates not allowed", 1_800_000_000),
         (None, "JSONDecodeError: Expecting value", 1_800_000_060)])
    connection.commit()
    connection.close()

    shown = linli(tmp_path, "status")
    assert shown.returncode == 1  # something to look at
    assert "Dead letters: 2 (2 not yet looked at" in shown.stdout
    newest, older = [line.strip() for line in shown.stdout.splitlines() if "  update " in line]
    assert newest == ("update without an id, 2027-01-15 16:01:00 CST, from getUpdates: "
                      "JSONDecodeError: Expecting value")
    assert older == ("update 41, 2027-01-15 16:00:00 CST, from getUpdates: "
                     "UnicodeEncodeError: surrogates not allowed")

    acknowledged = linli(tmp_path, "status", "--ack")
    assert acknowledged.returncode == 0
    assert "Marked 2 dead letter(s) as looked at." in acknowledged.stdout
    again = linli(tmp_path, "status")
    assert again.returncode == 0 and "Dead letters: 2 (all looked at)" in again.stdout


def test_the_emulator_runs_on_its_own_for_another_bot_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    import json
    import signal
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {key: value for key, value in os.environ.items() if not key.startswith("LINLI_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "emulator", "--port", str(port), "--token", "42:xyz"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        announced = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/bot" in announced, process.stderr
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/bot42:xyz/getMe") as answer:
            me = json.load(answer)
        assert me["ok"] and me["result"]["is_bot"]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "stopped" in out
