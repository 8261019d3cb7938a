"""Console adapter: one line in, the bot's replies out; buttons become ``[N] label``.

Besides what the core understands, the console knows two commands of its own:
``/tep PATH`` (or ``/file PATH``) sends a file, ``/as HANDLE`` switches to another account.
"""

from __future__ import annotations

import asyncio
import io
import logging
import mimetypes
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from handlers.kernel.messages import ChatKey, Delivery, Incoming, IncomingFile, Reply
from handlers.kernel.texts import plain_text

__all__ = ["CHANNEL", "ConsoleAdapter", "render_text"]

CHANNEL = "console"

_LOGGER = logging.getLogger(__name__)

Handle = Callable[[Incoming], Awaitable[list[Reply]]]


#: Lone surrogates: what ``surrogateescape`` makes of bytes that are not UTF-8.
_UNDECODABLE = re.compile("[\ud800-\udfff]")
_NOT_UTF8 = (
    "Dòng vừa nhập có ký tự không đọc được (không phải mã UTF-8) nên chưa được gửi. "
    "Hãy gõ lại bằng bàn phím tiếng Việt Unicode.\n"
)


def render_text(reply: Reply) -> str:
    """Render a reply as plain text with numbered buttons."""
    lines = [plain_text(reply.text)]
    lines.extend(f"  [{i}] {b.label}" for i, b in enumerate(reply.buttons, 1))
    if reply.file is not None:
        lines.append(f"  📎 {reply.file.name} ({len(reply.file.data)} byte)")
    return "\n".join(lines)


class ConsoleAdapter:
    """Reads lines from a stream and prints the core's replies.

    Args:
        handle: The core's entry point.
        apology: The reply when ``handle`` fails unexpectedly (the adapter's error boundary).
        handle_name: Whose account the console speaks for (its chat id too).
        stdin: Where lines come from (a pipe works; EOF ends the session).
        stdout: Where replies go.
        echo: Print each input line (useful when stdin is not a terminal).
        outbox: Where files the bot sends are saved (None: only their name is shown).
    """

    def __init__(
        self,
        handle: Handle,
        apology: Reply,
        handle_name: str,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        *,
        echo: bool | None = None,
        outbox: Path | None = None,
    ) -> None:
        self._handle = handle
        self._apology = apology
        self._as = handle_name
        self._in = stdin or sys.stdin
        if isinstance(self._in, io.TextIOWrapper):
            # Bytes that are not UTF-8 arrive as lone surrogates: refused per line, not a crash.
            self._in.reconfigure(errors="surrogateescape")
        self._out = stdout or sys.stdout
        self._echo = (not self._in.isatty()) if echo is None else echo
        self._outbox = outbox

    def _print(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    async def run(self, greeting: str | None = "/trogiup") -> None:
        """Chat until EOF."""
        if greeting:
            await self.send(greeting, echo=False)
        while True:
            line = await asyncio.to_thread(self._readline)
            if line is None:
                return
            if _UNDECODABLE.search(line):
                self._print(_NOT_UTF8)
            elif line.strip():
                await self.send(line.rstrip("\n"))

    async def push(self, key: ChatKey, reply: Reply) -> Delivery:
        """Show a message the bot sends on its own (a reminder, a broadcast) to a console user.

        Every console account shares this terminal, so the addressee is named.
        """
        self._print(f"📣 (gửi tới {key.chat_id})\n{render_text(reply)}\n")
        await self._keep_file(reply)
        return Delivery.SENT

    def _readline(self) -> str | None:
        if self._in.isatty():
            self._out.write(f"{self._as}> ")
            self._out.flush()
        line = self._in.readline()
        return line if line else None

    async def send(self, line: str, *, echo: bool | None = None) -> None:
        """Translate one line into an :class:`Incoming` and print the replies."""
        if echo if echo is not None else self._echo:
            self._print(f"{self._as}> {line}")
        command, _, arg = line.strip().partition(" ")
        if command == "/as" and arg.strip():
            self._as = arg.strip()
            self._print(f"(đã chuyển sang tài khoản {self._as})")
            return
        file = None
        if command in ("/tep", "/file"):
            file = await asyncio.to_thread(_file, arg.strip())
            if file is None:
                self._print(f"Không tìm thấy tệp: {arg.strip()}")
                return
        msg = Incoming(
            key=ChatKey(CHANNEL, self._as),
            user_id=self._as,
            text="" if file else line,
            file=file,
            display_name=self._as,
        )
        try:
            replies = await self._handle(msg)
        except Exception:
            # The one error boundary of this channel: log, apologise, keep chatting.
            _LOGGER.exception("console message from %s failed", self._as)
            replies = [self._apology]
        for reply in replies:
            self._print(render_text(reply))
            await self._keep_file(reply)
        self._print("")

    async def _keep_file(self, reply: Reply) -> None:
        """Save a file the bot sent (an export, a chart) where the user can open it."""
        if reply.file is None or self._outbox is None:
            return
        target = self._outbox / Path(reply.file.name).name
        await asyncio.to_thread(self._outbox.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(target.write_bytes, reply.file.data)
        self._print(f"  (đã lưu tệp: {target})")


def _file(arg: str) -> IncomingFile | None:
    """Describe the file at ``arg`` (read lazily), or None if there is none."""
    path = Path(arg).expanduser()
    if not path.is_file():
        return None
    size = path.stat().st_size

    async def read() -> bytes:
        return await asyncio.to_thread(path.read_bytes)

    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return IncomingFile(name=path.name, mime_type=mime, size=size, read=read)
