"""Telegram's HTML parse mode: validation and conversion to plain text plus entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NoReturn

JSON = dict[str, Any]

SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
ALLOWED_TAGS = {*SIMPLE_TAGS, "a", "span", "blockquote", "tg-emoji"}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_TAG_NAME = re.compile(r"([a-zA-Z][a-zA-Z0-9-]*)")
_ATTRIBUTE = re.compile(r"\s+([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);")


class EntityParseError(ValueError):
    """The text is not well-formed Telegram HTML."""


@dataclass
class _OpenTag:
    name: str
    offset: int
    attributes: dict[str, str] = field(default_factory=dict)
    language: str | None = None


def utf16_length(text: str) -> int:
    """Length of text in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Parse Telegram HTML into (plain text, entities); raise EntityParseError if malformed."""
    parser = _HtmlParser(source)
    return parser.run()


class _HtmlParser:
    """A single pass over the source that tracks open tags and UTF-16 offsets."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.out: list[str] = []
        self.offset = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[JSON] = []

    def run(self) -> tuple[str, list[JSON]]:
        """Consume the whole source."""
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == "<":
                self._tag()
            elif char == "&":
                self._entity()
            elif char == ">":
                self._fail("character '>' must be escaped as &gt;")
            else:
                self._emit(char)
                self.pos += 1
        if self.stack:
            name = self.stack[-1].name
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.out), self.entities

    def _byte_offset(self) -> int:
        return len(self.source[: self.pos].encode("utf-8"))

    def _fail(self, what: str) -> NoReturn:
        raise EntityParseError(f"{what} at byte offset {self._byte_offset()}")

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.offset += utf16_length(text)

    def _entity(self) -> None:
        match = _ENTITY.match(self.source, self.pos)
        if match is None:
            self._fail("character '&' must be escaped as &amp;")
        name = match.group(1)
        if name.startswith("#x"):
            self._emit(chr(int(name[2:], 16)))
        elif name.startswith("#"):
            self._emit(chr(int(name[1:])))
        elif name in NAMED_ENTITIES:
            self._emit(NAMED_ENTITIES[name])
        else:
            self._fail(f'unsupported HTML entity "&{name};"')
        self.pos = match.end()

    def _tag(self) -> None:
        end = self.source.find(">", self.pos)
        if end == -1:
            self._fail("Unclosed start tag")
        inner = self.source[self.pos + 1 : end]
        if inner.startswith("/"):
            self._close_tag(inner[1:].strip().lower())
        else:
            self._open_tag(inner)
        self.pos = end + 1

    def _open_tag(self, inner: str) -> None:
        match = _TAG_NAME.match(inner)
        if match is None:
            self._fail(f'Unsupported start tag "{inner}"')
        name = match.group(1).lower()
        if name not in ALLOWED_TAGS:
            self._fail(f'Unsupported start tag "{name}"')
        attributes = self._attributes(name, inner[match.end() :])
        if name == "span" and attributes.get("class") != "tg-spoiler":
            self._fail('Tag "span" must have class "tg-spoiler"')
        if name == "tg-emoji" and "emoji-id" not in attributes:
            self._fail('Tag "tg-emoji" must have attribute "emoji-id"')
        self.stack.append(_OpenTag(name, self.offset, attributes))

    def _attributes(self, name: str, rest: str) -> dict[str, str]:
        attributes: dict[str, str] = {}
        position = 0
        rest = rest.rstrip().removesuffix("/").rstrip()
        while position < len(rest):
            match = _ATTRIBUTE.match(rest, position)
            if match is None:
                self._fail(f'Invalid attributes in the tag "{name}"')
            value = match.group(2) or match.group(3) or match.group(4) or ""
            attributes[match.group(1).lower()] = value
            position = match.end()
        return attributes

    def _close_tag(self, name: str) -> None:
        if not self.stack:
            self._fail(f'Unexpected end tag "{name}"')
        top = self.stack[-1]
        if name and name != top.name:
            self._fail(f'Unmatched end tag "{name}", expected "</{top.name}>"')
        self.stack.pop()
        self._finish(top)

    def _finish(self, tag: _OpenTag) -> None:
        length = self.offset - tag.offset
        parent = self.stack[-1] if self.stack else None
        language = tag.attributes.get("class", "")
        in_pre = parent is not None and parent.name == "pre"
        if tag.name == "code" and in_pre and language.startswith("language-"):
            assert parent is not None
            parent.language = language.removeprefix("language-")
            return
        if length <= 0:
            return
        entity = self._entity_for(tag)
        if entity is not None:
            entity.update(offset=tag.offset, length=length)
            self.entities.append(entity)

    @staticmethod
    def _entity_for(tag: _OpenTag) -> JSON | None:
        if tag.name in SIMPLE_TAGS:
            entity: JSON = {"type": SIMPLE_TAGS[tag.name]}
            if tag.name == "pre" and tag.language:
                entity["language"] = tag.language
            return entity
        if tag.name == "span":
            return {"type": "spoiler"}
        if tag.name == "a":
            href = tag.attributes.get("href")
            return {"type": "text_link", "url": href} if href else None
        if tag.name == "blockquote":
            expandable = "expandable" in tag.attributes
            return {"type": "expandable_blockquote" if expandable else "blockquote"}
        return {"type": "custom_emoji", "custom_emoji_id": tag.attributes["emoji-id"]}
