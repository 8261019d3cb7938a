"""Conversation flows: one module per command, one small function per step; never another flow."""

__all__: list[str] = []
