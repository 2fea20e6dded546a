"""A tiny SOCKS5 and HTTP CONNECT proxy on 127.0.0.1, run as its own process by the tests.

``python -m tests.proxy_server [--user U --password P]`` prints ``listening <port>``, then
``tunnel <kind> <host>:<port>`` for each connection it carries, and relays the bytes both
ways. It asks for the user and password when given them (SOCKS5's RFC 1929, HTTP's
Proxy-Authorization), and refuses any other.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import ipaddress
import struct


class Proxy:
    """Accepts SOCKS5 (first byte 5) and HTTP CONNECT on one port."""

    def __init__(self, user: str | None, password: str | None) -> None:
        self.user = user
        self.password = password

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Open the tunnel the client asks for, then relay."""
        try:
            first = await reader.readexactly(1)
            if first == b"\x05":
                target = await self._socks5(reader, writer)
                kind = "socks5"
            else:
                target = await self._http_connect(first, reader, writer)
                kind = "http"
            if target is None:
                return
            host, port = target
            upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
            if kind == "socks5":
                writer.write(b"\x05\x00\x00\x01" + bytes(4) + bytes(2))
            else:
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            print(f"tunnel {kind} {host}:{port}", flush=True)
            await asyncio.gather(
                _relay(reader, upstream_writer), _relay(upstream_reader, writer)
            )
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _socks5(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[str, int] | None:
        count = (await reader.readexactly(1))[0]
        methods = await reader.readexactly(count)
        wanted = 2 if self.user is not None else 0
        if wanted not in methods:
            writer.write(b"\x05\xff")
            return None
        writer.write(bytes([5, wanted]))
        await writer.drain()
        if wanted == 2:
            await reader.readexactly(1)  # the sub-negotiation's version
            user = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            password = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            if (user, password) != (self.user, self.password):
                writer.write(b"\x01\x01")
                print("refused a wrong password", flush=True)
                return None
            writer.write(b"\x01\x00")
            await writer.drain()
        _version, command, _reserved, address_type = await reader.readexactly(4)
        if address_type == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif address_type == 3:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        else:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if command != 1:  # CONNECT only
            writer.write(b"\x05\x07\x00\x01" + bytes(6))
            return None
        return host, port

    async def _http_connect(
        self, first: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[str, int] | None:
        head = first + await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        }
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            return None
        if self.user is not None:
            expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            if headers.get("proxy-authorization") != f"Basic {expected}":
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                print("refused a wrong password", flush=True)
                return None
        host, _, port = target.rpartition(":")
        return host.strip("[]"), int(port)


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    with contextlib.suppress(ConnectionError, OSError):
        writer.close()


async def serve(user: str | None, password: str | None) -> None:
    """Listen on a free port of 127.0.0.1 until killed."""
    proxy = Proxy(user, password)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"listening {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--user")
    parser.add_argument("--password")
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments.user, arguments.password))
