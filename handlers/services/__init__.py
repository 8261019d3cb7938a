"""Use cases shared by flows, the scheduler and importers: no ``Ctx``, no replies."""

__all__: list[str] = []
