"""The ``tdkt`` command line: database set-up, data loading, invites, status and the channels.

One module per command group; :mod:`bot.cli.common` holds the root app and the shared helpers.
Importing a module registers its commands: ``core`` (init, chat, run, status) and ``export``
on the root app, in that order; each group on its own sub-app, added below in the order
``tdkt --help`` lists them.

The modules are written without ``from __future__ import annotations``: typer reads every
command's signature each time it builds the command tree, and string annotations would be
compiled and evaluated again at every start (two thirds of building the tree). A name imported
only for type checking is quoted where it is used (``"App"``).
"""

import logging
import os
import sys

from bot.cli import campaign, core, export, invites, people, plan, reminders, stats, units
from bot.cli.common import app
from bot.runtime import TokenRedactor, pause_gc

__all__ = ["app", "main", "skip_unused_imports"]

_ROOT_COMMANDS = (core, export)  # imported for their commands on the root app

app.add_typer(invites.invite_app, name="invite")
app.add_typer(campaign.campaign_app, name="campaign")
app.add_typer(units.units_app, name="units")
app.add_typer(people.people_app, name="people")
app.add_typer(reminders.reminders_app, name="reminders")
app.add_typer(plan.plan_app, name="plan")
app.add_typer(stats.stats_app, name="stats")


@app.callback()
def _logging() -> None:
    # Runs before any command (not for ``tdkt --help``, which reads no settings): the log level,
    # and the tokens kept out of every log line.
    from bot.settings import Settings  # pydantic: not for --help

    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the URL
    for token in (settings.telegram_token, settings.zalo_token):
        if token is not None:
            redactor = TokenRedactor(token.get_secret_value())
            for handler in logging.getLogger().handlers:
                handler.addFilter(redactor)


def main() -> None:
    """Entry point of the ``tdkt`` script."""
    # PTB 22 warns on every 429 unless time periods are opted into as timedelta (its next
    # major version's behaviour); the sender reads both forms.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    # tdkt uses no pydantic plugin: skip the scan of every installed package's entry points
    # for one (about 15 ms of each command's start).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    skip_unused_imports()
    pause_gc()  # until the command starts its work (bot.cli.common.run_app) or the bot answers
    app()


#: Modules the libraries import whenever they are installed although tdkt never uses them.
#: httpx imports its own command line (click, Rich, Pygments, markdown-it: about 8 MB and a
#: tenth of a second; typer brings Rich), and httpcore imports trio (with attrs, outcome and
#: sortedcontainers: about 12 MB and a quarter of a second of the bot's start-up; selenium,
#: a test dependency, installs it) to support running under trio, which tdkt never does.
_UNUSED_IMPORTS = ("httpx._main", "trio")


def skip_unused_imports() -> None:
    """Make :data:`_UNUSED_IMPORTS` fail to import, as if not installed, in this process.

    An entry of None in ``sys.modules`` makes that import raise ImportError: httpx then defines
    a stub command line, httpcore supports asyncio only. A module already imported stays.
    """
    for name in _UNUSED_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
