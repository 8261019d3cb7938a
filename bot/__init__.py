"""Transport: channel adapters, the composition root and the ``tdkt`` command line.

The only layer that reads settings (in :mod:`bot.app` and :mod:`bot.cli`, never at import time).
"""

__all__: list[str] = []
