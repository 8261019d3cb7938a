"""What a step function gets: the message, the actor, the conversation and the repositories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.errors import UserError
from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UnitKinds
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.messages import Button, Incoming, Reply
from handlers.kernel.ports import FileStore, InviteLinker, InviteLinks
from handlers.kernel.states import IDLE, Entry
from handlers.kernel.texts import Texts
from storage.models import ChatAccount, Person, Role, Unit
from storage.repositories.audit import AuditRepository
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.nominations import NominationRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.submissions import SubmissionRepository
from storage.repositories.units import UnitRepository

__all__ = ["IDLE", "CoreDeps", "Ctx", "EnterFlow", "StateSpec", "StateTable", "Step"]

_D = TypeVar("_D", bound=CallbackData)

#: How the dispatcher lets one flow hand a person over to another (see :class:`Entry`).
EnterFlow = Callable[["Ctx", Entry], Awaitable[list[Reply]]]


@dataclass(frozen=True, slots=True)
class CoreDeps:
    """Everything the core needs, injected by the composition root."""

    session_factory: async_sessionmaker[AsyncSession]
    files: FileStore
    texts: Texts
    clock: Callable[[], dt.datetime]
    invite_ttl: dt.timedelta = dt.timedelta(days=7)
    max_text_chars: int = 4000
    #: Called after a message's transaction committed, once per topic a step raised
    #: (``"broadcast"``: new copies wait to be sent). The composition root wakes the worker.
    wake: Callable[[str], None] | None = None
    #: The deployment's unit kinds (``TDKT_UNIT_KINDS_FILE``; default: the built-in vocabulary).
    unit_kinds: UnitKinds = DEFAULT_UNIT_KINDS
    #: The Telegram/Zalo links of an invite code (bulk invites and secretariat invites in chat).
    invite_links: InviteLinker | None = None

    def links_for(self, code: str) -> InviteLinks:
        """The links of an invite code (none when the composition root gave no linker)."""
        return self.invite_links(code) if self.invite_links is not None else InviteLinks()


@dataclass(eq=False)
class Ctx:
    """One incoming message being handled inside one transaction."""

    session: AsyncSession
    deps: CoreDeps
    msg: Incoming
    now: dt.datetime
    account: ChatAccount | None
    person: Person | None
    unit: Unit | None
    state: str = IDLE
    data: dict[str, Any] = field(default_factory=dict)
    choice: str | None = None
    loaded_state: str = IDLE
    prev_buttons: list[list[str]] = field(default_factory=list)
    wakeups: set[str] = field(default_factory=set)
    enter_flow: EnterFlow | None = None

    def wake_after_commit(self, topic: str) -> None:
        """Ask the composition root to wake a background worker once this message committed."""
        self.wakeups.add(topic)

    @property
    def text(self) -> str:
        """The message text without surrounding whitespace."""
        return self.msg.text.strip()

    def t(self, name: str, /, **params: Any) -> str:
        """Render a text template macro."""
        return self.deps.texts(name, **params)

    def label(self, name: str, /, **params: Any) -> str:
        """A button label from a template macro: plain text, every value shown literally."""
        return self.deps.texts.plain(name, **params)

    def reply(
        self, name: str, /, buttons: tuple[Button, ...] | list[Button] = (), **params: Any
    ) -> Reply:
        """Build a reply from a template macro."""
        return Reply(text=self.t(name, **params), buttons=tuple(buttons))

    def goto(self, state: str, **data: Any) -> None:
        """Move to ``state``, merging ``data`` into the conversation data."""
        self.state = state
        self.data.update(data)

    def end(self) -> None:
        """Leave any conversation and forget its data."""
        self.state = IDLE
        self.data = {}

    async def enter(self, entry: Entry, /, **data: Any) -> list[Reply]:
        """Hand the person over to the flow serving ``entry``, with fresh conversation ``data``."""
        assert self.enter_flow is not None, "entries are served by the dispatcher"
        self.end()
        self.data.update(data)
        return await self.enter_flow(self, entry)

    # -- buttons -------------------------------------------------------------------------
    def pressed(self, kind: type[_D]) -> _D | None:
        """The chosen button as ``kind``; None if nothing of that kind was chosen."""
        return kind.unpack(self.choice)

    def expect(self, kind: type[_D]) -> _D:
        """The chosen button as ``kind``; refuses with "pick one" otherwise."""
        data = kind.unpack(self.choice)
        if data is None:
            raise UserError("pick_one")
        return data

    # -- who is acting -------------------------------------------------------------------
    def require_linked(self) -> Person:
        """Return the acting person or refuse."""
        if self.person is None:
            raise UserError("not_linked")
        return self.person

    def require_secretariat(self) -> Person:
        """Return the acting person if they are the secretariat."""
        person = self.require_linked()
        if person.role is not Role.SECRETARIAT:
            raise UserError("secretariat_only")
        return person

    def require_unit_head(self) -> tuple[Person, Unit]:
        """Return the acting unit head and their unit."""
        person = self.require_linked()
        if person.role is not Role.UNIT_HEAD or self.unit is None:
            raise UserError("unit_head_only")
        return person, self.unit

    # -- repositories --------------------------------------------------------------------
    @cached_property
    def people(self) -> PeopleRepository:
        """People, accounts, invites."""
        return PeopleRepository(self.session)

    @cached_property
    def campaigns(self) -> CampaignRepository:
        """Campaigns, requirements, award forms."""
        return CampaignRepository(self.session)

    @cached_property
    def units(self) -> UnitRepository:
        """Units."""
        return UnitRepository(self.session)

    @cached_property
    def submissions(self) -> SubmissionRepository:
        """Submissions."""
        return SubmissionRepository(self.session)

    @cached_property
    def nominations(self) -> NominationRepository:
        """Nominations."""
        return NominationRepository(self.session)

    @cached_property
    def audit_log(self) -> AuditRepository:
        """The audit log."""
        return AuditRepository(self.session)

    def audit(self, action: str, entity: str, entity_id: int | None, **detail: Any) -> None:
        """Record a change made by the acting person."""
        self.audit_log.record(
            at=self.now,
            person_id=self.person.id if self.person else None,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
        )


#: A conversation step: takes the context, returns the replies.
Step = Callable[[Ctx], Awaitable[list[Reply]]]


@dataclass(frozen=True, slots=True)
class StateSpec:
    """A conversation step: what handles input in it and how to ask its question again."""

    handle: Step
    prompt: Step


#: A flow's states (members of its ``State`` enum) and their steps. Keys are typed ``Any`` because
#: ``Mapping`` is invariant in its key; ``merge_states`` checks they are ``StrEnum`` members.
StateTable = Mapping[Any, StateSpec]
