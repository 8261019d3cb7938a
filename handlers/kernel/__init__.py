"""The kernel: dispatcher, step context, neutral messages, errors, texts, states, buttons."""

__all__: list[str] = []
