"""Text as Telegram shows it: the HTML parse mode, entities, keyboards and length limits.

The HTML parser follows tdlib's ``parse_html`` (the error texts are Telegram's). Only
``parse_mode="HTML"`` is parsed into entities; text sent with ``Markdown``/``MarkdownV2`` is kept
as is, without entities and without validation.
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import dataclass
from typing import Final

from tests.fakes.telegram.wire import ApiError, JSONDict, bad_request, utf16_len

MAX_TEXT: Final = 4096


MAX_CAPTION: Final = 1024


_HTML_ENTITY_TYPES: Final[dict[str, str]] = {
    "a": "text_link",
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
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}


_NAMED_HTML_ENTITIES: Final[dict[str, str]] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


_HTML_ENTITY_RE: Final = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")


@dataclass
class _OpenTag:
    name: str
    offset: int  # UTF-16 offset in the output text
    attributes: dict[str, str]


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    match = _HTML_ENTITY_RE.match(text, pos)
    if match is None:
        return None
    decimal, hexadecimal, named = match.groups()
    if named is not None:
        char = _NAMED_HTML_ENTITIES.get(named)
        return (char, match.end()) if char is not None else None
    code = int(decimal, 10) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Renders Telegram HTML into plain text and entities, raising Telegram's parse errors."""

    def fail(detail: str) -> ApiError:
        return bad_request(f"can't parse entities: {detail}")

    def byte_offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    out: list[str] = []
    out_len = 0  # UTF-16 length of the output so far
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    n = len(text)
    i = 0

    def emit(chunk: str) -> None:
        nonlocal out_len
        out.append(chunk)
        out_len += utf16_len(chunk)

    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is None:
                emit("&")
                i += 1
            else:
                emit(decoded[0])
                i = decoded[1]
            continue
        if char != "<":
            emit(char)
            i += 1
            continue
        begin = i
        i += 1
        if i >= n or text[i] != "/":
            # A start tag.
            j = i
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            tag = text[i:j].lower()
            if tag not in _HTML_ENTITY_TYPES:
                raise fail(f'Unsupported start tag "{tag}" at byte offset {byte_offset(begin)}')
            attributes: dict[str, str] = {}
            i = j
            while True:
                while i < n and text[i].isspace():
                    i += 1
                if i >= n:
                    raise fail(f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}')
                if text[i] == ">":
                    i += 1
                    break
                name_start = i
                while i < n and not text[i].isspace() and text[i] not in "=>":
                    i += 1
                attribute = text[name_start:i].lower()
                if not attribute:
                    raise fail(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{byte_offset(begin)}"
                    )
                while i < n and text[i].isspace():
                    i += 1
                if i >= n or text[i] != "=":
                    attributes[attribute] = ""  # e.g. <blockquote expandable>
                    continue
                i += 1
                while i < n and text[i].isspace():
                    i += 1
                if i >= n:
                    raise fail(f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}')
                if text[i] in "'\"":
                    quote = text[i]
                    end = text.find(quote, i + 1)
                    if end < 0:
                        raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                    attributes[attribute] = html.unescape(text[i + 1 : end])
                    i = end + 1
                else:
                    value_start = i
                    while i < n and (text[i].isalnum() or text[i] in ".-"):
                        i += 1
                    attributes[attribute] = text[value_start:i]
            if tag == "span" and attributes.get("class") != "tg-spoiler":
                raise fail(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
                )
            stack.append(_OpenTag(tag, out_len, attributes))
            continue
        # An end tag.
        if not stack:
            raise fail(f"Unexpected end tag at byte offset {byte_offset(begin)}")
        i += 1
        j = i
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        end_tag = text[i:j].lower()
        while j < n and text[j].isspace():
            j += 1
        if j >= n or text[j] != ">":
            raise fail(f"Unclosed end tag at byte offset {byte_offset(begin)}")
        open_tag = stack.pop()
        if end_tag and end_tag != open_tag.name:
            raise fail(
                f"Unmatched end tag at byte offset {byte_offset(begin)}, expected "
                f'"</{open_tag.name}>", found "</{end_tag}>"'
            )
        i = j + 1
        length = out_len - open_tag.offset
        language = open_tag.attributes.get("class", "")
        if open_tag.name == "code" and stack and stack[-1].name == "pre":
            if language.startswith("language-"):
                stack[-1].attributes["language"] = language.removeprefix("language-")
            continue  # <pre><code> is one pre entity
        if length <= 0:
            continue
        entity: JSONDict = {
            "type": _HTML_ENTITY_TYPES[open_tag.name],
            "offset": open_tag.offset,
            "length": length,
        }
        if open_tag.name == "a":
            entity["url"] = open_tag.attributes.get("href", "")
        elif open_tag.name == "pre" and open_tag.attributes.get("language"):
            entity["language"] = open_tag.attributes["language"]
        elif open_tag.name == "blockquote" and "expandable" in open_tag.attributes:
            entity["type"] = "expandable_blockquote"
        elif open_tag.name == "tg-emoji":
            entity["custom_emoji_id"] = open_tag.attributes.get("emoji-id", "")
        entities.append(entity)
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strips surrounding whitespace like Telegram does, shifting the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def render(
    text: str, parse_mode: object, entities: object, what: str
) -> tuple[str, list[JSONDict]]:
    """Applies the parse mode; returns the text as shown and its entities."""
    if parse_mode in (None, ""):
        rendered = text
        parsed = [dict(e) for e in entities] if isinstance(entities, list) else []
    elif isinstance(parse_mode, str) and parse_mode.lower() == "html":
        rendered, parsed = _parse_html(text)
    elif isinstance(parse_mode, str) and parse_mode.lower() in {"markdown", "markdownv2"}:
        rendered, parsed = text, []  # not parsed by the fake
    else:
        raise bad_request("unsupported parse_mode")
    rendered, parsed = _trim(rendered, parsed)
    if not rendered and what == "text":
        raise bad_request("message text is empty")
    return rendered, parsed


def check_markup(markup: object) -> JSONDict | None:
    """Validates reply_markup; returns it when it is an inline keyboard (echoed back)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
            return None
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton expected")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text is missing")
            if not button["text"]:
                raise bad_request("BUTTON_TEXT_INVALID")
            actions = set(button) - {"text"}
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not url.startswith(
                    ("http://", "https://", "tg://")
                ):
                    raise bad_request(f"inline keyboard button URL '{url}' is invalid")
    return copy.deepcopy(markup)
