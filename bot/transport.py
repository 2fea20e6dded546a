"""PTB's HTTP transport on aiohttp (already Linli's HTTP library) instead of httpx.

Every update costs the bot a few Bot API calls, and the HTTP client is most of the CPU
they take; aiohttp's C parsers make each call cheaper (see bench/cost.py). PTB's
request interface (``BaseRequest.do_request``) is the supported way to swap it.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiohttp_socks import ProxyConnector, ProxyType
from python_socks import parse_proxy_url
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.request._baserequest import DefaultValue  # PTB's own marker for "not given"


class AiohttpRequest(BaseRequest):
    """A pooled aiohttp session that speaks PTB's request interface, through a proxy when
    one is given (SOCKS5, SOCKS4 or HTTP CONNECT, by aiohttp-socks)."""

    def __init__(
        self, timeout: float = 10.0, pool_size: int = 64, proxy: str | None = None
    ) -> None:
        self._timeout = timeout
        self._pool_size = pool_size
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default time to wait for an answer."""
        return self._timeout

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=self._connector())

    def _connector(self) -> aiohttp.TCPConnector:
        if self._proxy is None:
            return aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
        return proxy_connector(self._proxy, limit=self._pool_size)

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one Bot API call; PTB turns the status and body into results or errors."""
        if self._session is None or self._session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=self._given(connect_timeout) + self._given(pool_timeout),
            sock_read=self._given(read_timeout),
        )
        data = _body(request_data)
        headers = {"User-Agent": self.USER_AGENT}
        if isinstance(data, bytes):
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(
                method, url, data=data, timeout=timeout, headers=headers
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    def _given(self, value: Any) -> float:
        """A timeout PTB passed, or ours when it passed none."""
        if isinstance(value, DefaultValue) or value is None:
            return self._timeout
        return float(value)


def proxy_connector(url: str, **kwargs: Any) -> ProxyConnector:
    """A connector that reaches every host through the proxy at ``url``.

    With SOCKS5 the proxy resolves the names too (``socks5h`` says it outright): where
    the Bot API is blocked, the local DNS often lies about api.telegram.org.
    """
    scheme = url.split("://", 1)[0].lower()
    proxy_type, host, port, username, password = parse_proxy_url(
        "socks5" + url[len(scheme):] if scheme == "socks5h" else url
    )
    return ProxyConnector(
        proxy_type=proxy_type, host=host, port=port, username=username or None,
        password=password or None, rdns=True if proxy_type == ProxyType.SOCKS5 else None,
        **kwargs,
    )


def _body(request_data: RequestData | None) -> Any:
    """A JSON body, or multipart with the files when there are any (as PTB's httpx does).

    The Bot API takes JSON as well as forms; one ``json.dumps`` costs a fraction of
    url-encoding every field (and aiohttp's form machinery) for each call.
    """
    if request_data is None:
        return None
    if not request_data.contains_files:
        return json.dumps(request_data.parameters, ensure_ascii=False).encode()
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, upload in request_data.multipart_data.items():
        filename, content, mime = upload if len(upload) == 3 else (*upload, None)
        form.add_field(name, content, filename=filename, content_type=mime)
    return form

