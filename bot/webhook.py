"""Webhook intake: Telegram posts each update to the bot's own small aiohttp server.

PTB's webhook server parses every body before the bot sees it: a body it refuses is
answered 400, and Telegram sends the same update again and again. Here every body that
carries the secret goes through the same intake as getUpdates (``bot.inbox.Intake``):
stored, or set aside as a dead letter, and answered 200 either way.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Bot

from bot.config import WebhookSettings
from bot.inbox import ALLOWED_UPDATES, Intake, reason
from storage.meta import MetaRepository

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
GENERATED_SECRET_KEY = "webhook_secret"
MAX_BODY = 8 * 1024 * 1024  # far above any update; a larger body is answered 413


async def webhook_secret(settings: WebhookSettings, meta: MetaRepository) -> str:
    """The configured secret, or one generated once and kept in the database."""
    if settings.secret_token is not None:
        return settings.secret_token.get_secret_value()
    secret, new = await meta.get_or_create(GENERATED_SECRET_KEY, lambda: secrets.token_urlsafe(32))
    log.warning(
        "telegram.webhook.secret_token is not set: using a %s random secret kept in the "
        "database; requests without it are refused", "new" if new else "stored"
    )
    return secret


class WebhookServer:
    """Listens for Telegram's calls and hands each body to the intake."""

    def __init__(
        self,
        intake: Intake,
        settings: WebhookSettings,
        secret: str,
        health: Callable[[], Awaitable[dict[str, object]]] | None = None,
    ) -> None:
        self.intake = intake
        self.settings = settings
        self.secret = secret.encode()
        self.health = health
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on ``listen:port/url_path``."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/" + self.settings.url_path.strip("/"), self.receive)
        if self.health is not None:
            app.router.add_get("/healthz", self.healthz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.listen, self.settings.port)
        await site.start()
        log.info("webhook server listening on %s:%d", self.settings.listen, self.settings.port)

    async def register(self, bot: Bot) -> None:
        """Tell Telegram where to post the updates, and the secret to send with them."""
        await bot.set_webhook(
            url=self.settings.url,
            secret_token=self.secret.decode(),
            allowed_updates=ALLOWED_UPDATES,
        )

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def receive(self, request: web.Request) -> web.Response:
        """One update from Telegram: 403 without the secret, otherwise taken and 200."""
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self.secret):
            return web.Response(status=403, text="wrong or missing secret token")
        body = await request.read()
        try:
            item = json.loads(body)
        except (ValueError, RecursionError) as error:  # not JSON, not UTF-8, too deep
            await self.intake.set_aside(None, "webhook", body, reason(error))
        else:
            await self.intake.take([item], "webhook")
        return web.Response(status=200)

    async def healthz(self, _request: web.Request) -> web.Response:
        """`linli status` as JSON: 200 when all is well, 503 when a person is needed."""
        assert self.health is not None
        report = await self.health()
        return web.json_response(report, status=200 if report["ok"] else 503,
                                 dumps=lambda value: json.dumps(value, ensure_ascii=False))
