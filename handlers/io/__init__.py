"""File formats in and out: campaign and units files, sheets, the chart, exports."""

__all__: list[str] = []
