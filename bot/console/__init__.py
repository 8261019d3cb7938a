"""The console channel: a scriptable, offline chat on stdin/stdout."""

from bot.console.adapter import ConsoleAdapter, render_text

__all__ = ["ConsoleAdapter", "render_text"]
