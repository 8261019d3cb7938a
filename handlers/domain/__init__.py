"""Rules without I/O: progress marks, reminders, delegates, vocabularies, dates, fields."""

__all__: list[str] = []
