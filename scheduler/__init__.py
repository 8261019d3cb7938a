"""Reminders and broadcasts on APScheduler 3 (a later issue): jobs derived from the database."""

__all__: list[str] = []
