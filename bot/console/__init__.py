"""The console channel: a scriptable, offline chat on stdin/stdout."""

from bot.console.adapter import CHANNEL, ConsoleAdapter, render_text

__all__ = ["CHANNEL", "ConsoleAdapter", "render_text"]
