"""Read-model SQL: status figures, progress, export data. The only SQL outside ``storage/``."""

__all__: list[str] = []
