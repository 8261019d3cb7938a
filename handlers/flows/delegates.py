"""/daibieu: a unit's list of delegates to the upper conference (đại biểu dự Hội nghị cấp trên).

A unit head sees the unit's list with its counts and the plan's remarks
(:mod:`handlers.domain.delegate_rules`), adds a delegate with a short wizard, withdraws one, and
finishes. Adding beyond the quota (or beyond the upper conference's cap) is refused and changes
nothing. The secretariat sees every unit's counts (``/daibieu``) and any unit's list
(``/daibieu MÃ-ĐƠN-VỊ``) but cannot change them; a unit member sees the own unit's list.

Which campaigns have a delegate list
    An active campaign with a ``settings.delegates`` block, or with a ``nomination_list``
    requirement whose title mentions "đại biểu" and that applies to the unit (the Bỉm Sơn plan's
    "Danh sách đề nghị khen thưởng, đại biểu điển hình tiên tiến dự Hội nghị thị xã").

Until when the list can change
    ``settings.delegates.due`` when the campaign names one; otherwise the earliest due date of
    those requirements; with neither, as long as the campaign is active. The last day is
    included (the campaign's timezone); afterwards the list is read-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select

from handlers.domain.delegate_rules import (
    ACTIVE,
    WITHDRAWN,
    DelegateRules,
    DelegateRulesError,
    Finding,
    Level,
    add_refusal,
    check,
    parse_rules,
    summarize,
)
from handlers.domain.progress import applies, local_today
from handlers.kernel import inputs
from handlers.kernel.context import Ctx
from handlers.kernel.errors import UserError
from handlers.kernel.messages import Button, Reply
from handlers.kernel.states import StateSpec, StateTable
from storage.models import (
    Campaign,
    Delegate,
    DelegateCategory,
    Requirement,
    RequirementKind,
    Role,
    Unit,
)
from storage.text import fold_text

__all__ = ["ETHNIC_GROUPS", "FIELDS", "STATES", "begin", "canonical_ethnicity"]


class State(StrEnum):
    """The steps of this flow."""

    PICK = "db.pick"
    MENU = "db.menu"
    FIELD = "db.field"
    CONFIRM = "db.confirm"
    WITHDRAW = "db.withdraw"
    WITHDRAW_CONFIRM = "db.withdraw_confirm"


GENDERS = {"nam": "Nam", "nu": "Nữ"}
CATEGORIES = {
    DelegateCategory.EXEMPLARY.value: "Điển hình",
    DelegateCategory.GUEST.value: "Khách mời",
}

#: The 54 ethnic groups of Việt Nam, as the official list writes them. A typed name that folds
#: to one of them (case, diacritics, spaces and hyphens aside) is stored in this spelling.
ETHNIC_GROUPS: tuple[str, ...] = (
    "Kinh", "Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "Mông", "Dao", "Gia Rai", "Ê Đê",
    "Ba Na", "Sán Chay", "Chăm", "Cơ Ho", "Xơ Đăng", "Sán Dìu", "Hrê", "Ra Glai", "Mnông", "Thổ",
    "Xtiêng", "Khơ Mú", "Bru-Vân Kiều", "Cơ Tu", "Giáy", "Tà Ôi", "Mạ", "Giẻ Triêng", "Co",
    "Chơ Ro", "Xinh Mun", "Hà Nhì", "Chu Ru", "Lào", "La Chí", "Kháng", "Phù Lá", "La Hủ",
    "La Ha", "Pà Thẻn", "Lự", "Ngái", "Chứt", "Lô Lô", "Mảng", "Cơ Lao", "Bố Y", "Cống", "Si La",
    "Pu Péo", "Rơ Măm", "Brâu", "Ơ Đu",
)  # fmt: skip
_ETHNIC_SYNONYMS = {"hmong": "Mông", "meo": "Mông", "khome": "Khmer", "vankieu": "Bru-Vân Kiều"}
_ETHNIC_LOOKUP = {
    **{fold_text(name).replace(" ", ""): name for name in ETHNIC_GROUPS},
    **_ETHNIC_SYNONYMS,
}
_OTHER_WORDS = {"khac", "dan toc khac", "khac go ten"}


def canonical_ethnicity(text: str) -> str | None:
    """Return the ethnic group ``text`` names, in its official spelling when it is known.

    ``"muong"`` → ``"Mường"``, ``"H'Mông"`` → ``"Mông"``; an unknown but plausible name comes
    back as typed with its words capitalised. None when ``text`` is not a plausible name.
    """
    words = " ".join(text.split())
    if not 2 <= len(words) <= 50 or not all(ch.isalpha() or ch in " -'’" for ch in words):
        return None
    known = _ETHNIC_LOOKUP.get(fold_text(words).replace(" ", ""))
    if known is not None:
        return known
    return " ".join(w[:1].upper() + w[1:] for w in words.split())


# --------------------------------------------------------------------------- the round


@dataclass(frozen=True, slots=True)
class _Round:
    """A campaign's delegate list as it concerns one unit (or every unit)."""

    campaign: Campaign
    rules: DelegateRules
    due: dt.date | None

    def editable(self, now: dt.datetime) -> bool:
        """Whether the list can still change at ``now``."""
        return self.due is None or local_today(now, self.campaign.timezone) <= self.due

    def days_left(self, now: dt.datetime) -> int | None:
        """Days from today to the deadline (negative once it passed)."""
        if self.due is None:
            return None
        return (self.due - local_today(now, self.campaign.timezone)).days


def _is_delegate_requirement(req: Requirement) -> bool:
    return req.kind is RequirementKind.NOMINATION_LIST and "dai bieu" in fold_text(req.title)


async def _rounds(ctx: Ctx, unit: Unit | None) -> list[_Round]:
    """The active campaigns with a delegate list (for ``unit``, when given)."""
    found: list[_Round] = []
    for campaign in await ctx.campaigns.get_active():
        reqs = [
            r
            for r in await ctx.campaigns.requirements_for(campaign.id)
            if _is_delegate_requirement(r) and (unit is None or applies(r, unit))
        ]
        if not reqs and "delegates" not in (campaign.settings or {}):
            continue
        try:
            rules = parse_rules(campaign.settings)
        except DelegateRulesError as exc:
            detail = str(exc)
            raise UserError(
                "delegate_settings_invalid", code=campaign.code, detail=detail
            ) from None
        due = rules.due or (min(r.due_date for r in reqs) if reqs else None)
        found.append(_Round(campaign, rules, due))
    return found


async def _round(ctx: Ctx, unit: Unit) -> _Round:
    """The round the conversation is about (``ctx.data["campaign"]``)."""
    for found in await _rounds(ctx, unit):
        if found.campaign.id == ctx.data.get("campaign"):
            return found
    raise UserError("no_delegate_round")


async def _delegates(ctx: Ctx, campaign_id: int, unit_id: int) -> list[Delegate]:
    rows = await ctx.session.scalars(
        select(Delegate)
        .where(
            Delegate.campaign_id == campaign_id,
            Delegate.unit_id == unit_id,
            Delegate.status == ACTIVE,
        )
        .order_by(Delegate.id)
    )
    return list(rows)


async def _campaign_total(ctx: Ctx, campaign_id: int) -> int:
    total = await ctx.session.scalar(
        select(func.count())
        .select_from(Delegate)
        .where(Delegate.campaign_id == campaign_id, Delegate.status == ACTIVE)
    )
    return int(total or 0)


async def _lock_campaign(ctx: Ctx, campaign_id: int) -> None:
    """Serialise changes to one campaign's lists, so two adds cannot both take the last seat."""
    await ctx.session.execute(
        select(Campaign.id).where(Campaign.id == campaign_id).with_for_update()
    )


# --------------------------------------------------------------------------- who and where


def _own_unit(ctx: Ctx) -> Unit:
    ctx.require_linked()
    if ctx.unit is None:
        raise UserError("no_unit")
    return ctx.unit


def _can_edit(ctx: Ctx) -> bool:
    return ctx.person is not None and ctx.person.role is Role.UNIT_HEAD


async def _editing(ctx: Ctx) -> tuple[Unit, _Round]:
    """The acting unit head's unit and round, refusing once the deadline passed."""
    _, unit = ctx.require_unit_head()
    found = await _round(ctx, unit)
    if not found.editable(ctx.now):
        raise UserError("delegate_deadline", due=found.due)
    return unit, found


async def begin(ctx: Ctx) -> list[Reply]:
    """Shows a delegate list: the own unit's (editable for a unit head), or any for the office."""
    person = ctx.require_linked()
    ref = ctx.data.get("args", "")
    ctx.end()
    if person.role is Role.SECRETARIAT:
        if not ref:
            return await _overview(ctx)
        unit = await ctx.units.find(ref)
        if unit is None:
            raise UserError("unit_not_found", ref=ref)
        rounds = await _rounds(ctx, unit)
        if not rounds:
            raise UserError("no_delegate_round")
        return [await _view(ctx, found, unit, editable=False, office=True) for found in rounds]
    unit = _own_unit(ctx)
    if ref:
        other = await ctx.units.find(ref)
        if other is None or other.id != unit.id:
            raise UserError("not_your_unit")
    rounds = await _rounds(ctx, unit)
    if not rounds:
        raise UserError("no_delegate_round")
    if not _can_edit(ctx):
        return [await _view(ctx, found, unit, editable=False) for found in rounds]
    if len(rounds) == 1:
        return await _open(ctx, rounds[0], unit)
    ctx.goto(State.PICK)
    return await _ask_pick(ctx)


async def _ask_pick(ctx: Ctx) -> list[Reply]:
    rounds = await _rounds(ctx, _own_unit(ctx))
    buttons = [Button(f"{r.campaign.code}", f"c:{r.campaign.id}") for r in rounds]
    return [ctx.reply("daibieu.ask_pick", buttons=buttons, rounds=rounds)]


async def _pick(ctx: Ctx) -> list[Reply]:
    """Opens the chosen campaign's list."""
    unit = _own_unit(ctx)
    for found in await _rounds(ctx, unit):
        if ctx.choice == f"c:{found.campaign.id}":
            return await _open(ctx, found, unit)
    raise UserError("pick_one")


async def _open(ctx: Ctx, found: _Round, unit: Unit, first: Reply | None = None) -> list[Reply]:
    """Shows the list (after ``first``, if any).

    While the list can change it comes with the menu; after the deadline it is read-only and
    the conversation ends.
    """
    replies = [first] if first is not None else []
    if found.editable(ctx.now):
        ctx.goto(State.MENU, campaign=found.campaign.id)
        replies.append(await _view(ctx, found, unit, editable=True))
    else:
        ctx.end()
        replies.append(await _view(ctx, found, unit, editable=False))
    return replies


async def _view(
    ctx: Ctx, found: _Round, unit: Unit, *, editable: bool, office: bool = False
) -> Reply:
    """The list of one unit with its counts and remarks (and the menu when ``editable``).

    ``office``: shown to the secretariat (who cannot change it, whatever the date).
    """
    delegates = await _delegates(ctx, found.campaign.id, unit.id)
    total = await _campaign_total(ctx, found.campaign.id)
    findings = check(found.rules, unit, delegates, campaign_total=total)
    buttons: list[Button] = []
    if editable:
        buttons.append(Button("➕ Thêm đại biểu", "add"))
        if delegates:
            buttons.append(Button("🗑 Rút một đại biểu", "withdraw"))
        buttons.append(Button("✅ Xong", "done"))
    return ctx.reply(
        "daibieu.list",
        buttons=buttons,
        unit=unit,
        campaign=found.campaign,
        due=found.due,
        days_left=found.days_left(ctx.now),
        open=found.editable(ctx.now),
        editable=editable,
        office=office,
        delegates=delegates,
        s=summarize(found.rules, unit, delegates),
        findings=findings,
        genders=GENDERS,
    )


async def _overview(ctx: Ctx) -> list[Reply]:
    """The secretariat's view: every unit's count against its quota, per campaign."""
    rounds = await _rounds(ctx, None)
    if not rounds:
        raise UserError("no_delegate_round")
    units = await ctx.units.list_all()
    replies = []
    for found in rounds:
        rows = await ctx.session.scalars(
            select(Delegate).where(
                Delegate.campaign_id == found.campaign.id, Delegate.status == ACTIVE
            )
        )
        by_unit: dict[int, list[Delegate]] = {}
        for row in rows:
            by_unit.setdefault(row.unit_id, []).append(row)
        lines = []
        for unit in units:
            listed = by_unit.get(unit.id, [])
            levels = {f.level for f in check(found.rules, unit, listed)}
            worst = next((lv for lv in (Level.ERROR, Level.WARNING) if lv in levels), Level.INFO)
            lines.append((unit, summarize(found.rules, unit, listed), worst.value))
        replies.append(
            ctx.reply(
                "daibieu.overview",
                campaign=found.campaign,
                rules=found.rules,
                due=found.due,
                total=sum(len(v) for v in by_unit.values()),
                lines=lines,
            )
        )
    return replies


# --------------------------------------------------------------------------- the menu


async def _prompt_menu(ctx: Ctx) -> list[Reply]:
    unit = _own_unit(ctx)
    return await _open(ctx, await _round(ctx, unit), unit)


async def _menu(ctx: Ctx) -> list[Reply]:
    """Add, withdraw or finish."""
    if ctx.choice == "done":
        unit = _own_unit(ctx)
        found = await _round(ctx, unit)
        delegates = await _delegates(ctx, found.campaign.id, unit.id)
        ctx.end()
        s = summarize(found.rules, unit, delegates)
        return [ctx.reply("daibieu.done", unit=unit, s=s, due=found.due)]
    if ctx.choice == "add":
        unit, found = await _editing(ctx)
        delegates = await _delegates(ctx, found.campaign.id, unit.id)
        total = await _campaign_total(ctx, found.campaign.id)
        _refuse_if_full(found.rules, unit, delegates, total)
        ctx.goto(State.FIELD, field=FIELDS[0].key, values={})
        return await _ask_field(ctx)
    if ctx.choice == "withdraw":
        unit, found = await _editing(ctx)
        if not await _delegates(ctx, found.campaign.id, unit.id):
            raise UserError("pick_one")
        ctx.goto(State.WITHDRAW)
        return await _ask_withdraw(ctx)
    raise UserError("pick_one")


def _refuse_if_full(
    rules: DelegateRules, unit: Unit, delegates: Sequence[Delegate], total: int
) -> None:
    refusal: Finding | None = add_refusal(rules, unit, delegates, campaign_total=total)
    if refusal is not None:
        raise UserError("delegate_refused", reason=refusal.message)


# --------------------------------------------------------------------------- adding


@dataclass(frozen=True, slots=True)
class Field:
    """One answer of the add wizard: how to read it and which buttons it offers."""

    key: str
    label: str
    parse: Callable[[Ctx], Awaitable[Any]]
    buttons: tuple[Button, ...] = ()


async def _parse_name(ctx: Ctx) -> str:
    return inputs.name(ctx)


async def _parse_birth_year(ctx: Ctx) -> int | None:
    if ctx.choice == "skip":
        return None
    if ctx.choice is not None:
        raise UserError("pick_one")
    campaign = await ctx.session.get_one(Campaign, ctx.data["campaign"])
    return inputs.birth_year(ctx, local_today(ctx.now, campaign.timezone))


async def _parse_gender(ctx: Ctx) -> str:
    if ctx.choice and ctx.choice.startswith("g:") and ctx.choice[2:] in GENDERS:
        return ctx.choice[2:]
    raise UserError("pick_one")


def _wants_other_ethnicity(ctx: Ctx) -> bool:
    """Whether the answer is "Khác" (pressed or typed): then the name is asked for."""
    if ctx.choice is not None:
        return ctx.choice == "e:other"
    return ctx.msg.file is None and fold_text(ctx.text) in _OTHER_WORDS


async def _parse_ethnicity(ctx: Ctx) -> str:
    if ctx.choice == "e:Kinh":
        return "Kinh"
    if ctx.choice is not None:
        raise UserError("pick_one")
    text = inputs.free_text(ctx, limit=50)
    name = canonical_ethnicity(text)
    if name is None:
        raise UserError("ethnicity_invalid")
    return name


async def _parse_position(ctx: Ctx) -> str:
    return inputs.free_text(ctx, limit=255)


async def _parse_category(ctx: Ctx) -> str:
    if ctx.choice and ctx.choice.startswith("c:") and ctx.choice[2:] in CATEGORIES:
        return ctx.choice[2:]
    raise UserError("pick_one")


async def _parse_presidium(ctx: Ctx) -> bool:
    if ctx.choice in ("p:yes", "p:no"):
        return ctx.choice == "p:yes"
    raise UserError("pick_one")


FIELDS: Sequence[Field] = (
    Field("name", "Họ và tên", _parse_name),
    Field("birth_year", "Năm sinh", _parse_birth_year, (Button("⏭ Bỏ qua", "skip"),)),
    Field(
        "gender",
        "Giới tính",
        _parse_gender,
        tuple(Button(label, f"g:{code}") for code, label in GENDERS.items()),
    ),
    Field(
        "ethnicity",
        "Dân tộc",
        _parse_ethnicity,
        (Button("Kinh", "e:Kinh"), Button("Khác: gõ tên", "e:other")),
    ),
    Field("position", "Chức vụ, nơi công tác", _parse_position),
    Field(
        "category",
        "Thành phần",
        _parse_category,
        (Button("🏅 Điển hình", "c:dien_hinh"), Button("🤝 Khách mời", "c:khach_moi")),
    ),
    Field(
        "presidium",
        "Thuộc đoàn chủ tịch",
        _parse_presidium,
        (Button("Có", "p:yes"), Button("Không", "p:no")),
    ),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}


async def _ask_field(ctx: Ctx) -> list[Reply]:
    field = FIELD_BY_KEY[ctx.data["field"]]
    return [ctx.reply(f"daibieu.ask_{field.key}", buttons=field.buttons)]


async def _field(ctx: Ctx) -> list[Reply]:
    """Stores one answer and asks for the next one (then for confirmation)."""
    key = ctx.data["field"]
    if key == "ethnicity" and _wants_other_ethnicity(ctx):
        return [ctx.reply("daibieu.ask_ethnicity_other")]
    value = await FIELD_BY_KEY[key].parse(ctx)
    ctx.data["values"] = {**ctx.data["values"], key: value}
    keys = [f.key for f in FIELDS]
    index = keys.index(key) + 1
    if index < len(keys):
        ctx.goto(State.FIELD, field=keys[index])
        return await _ask_field(ctx)
    ctx.goto(State.CONFIRM)
    return await _ask_confirm(ctx)


async def _ask_confirm(ctx: Ctx) -> list[Reply]:
    buttons = (Button("✅ Lưu đại biểu", "ok"), Button("❌ Hủy", "cancel"))
    return [
        ctx.reply(
            "daibieu.ask_confirm",
            buttons=buttons,
            v=ctx.data["values"],
            gender=GENDERS[ctx.data["values"]["gender"]],
            category=CATEGORIES[ctx.data["values"]["category"]],
        )
    ]


async def _confirm(ctx: Ctx) -> list[Reply]:
    """Saves the delegate unless the list is full or the deadline passed."""
    if ctx.choice == "cancel":
        unit = _own_unit(ctx)
        found = await _round(ctx, unit)
        ctx.data.pop("values", None)
        ctx.data.pop("field", None)
        return await _open(ctx, found, unit, ctx.reply("daibieu.not_saved"))
    if ctx.choice != "ok":
        raise UserError("pick_one")
    person, _ = ctx.require_unit_head()
    unit, found = await _editing(ctx)
    await _lock_campaign(ctx, found.campaign.id)
    delegates = await _delegates(ctx, found.campaign.id, unit.id)
    _refuse_if_full(found.rules, unit, delegates, await _campaign_total(ctx, found.campaign.id))
    values = ctx.data["values"]
    delegate = Delegate(
        campaign_id=found.campaign.id,
        unit_id=unit.id,
        full_name=values["name"],
        position=values["position"],
        category=DelegateCategory(values["category"]),
        gender=values["gender"],
        ethnicity=values["ethnicity"],
        birth_year=values["birth_year"],
        in_presidium=values["presidium"],
        status=ACTIVE,
        created_by=person.id,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(delegate)
    await ctx.session.flush()
    ctx.audit(
        "delegate.add",
        "delegate",
        delegate.id,
        unit=unit.code,
        campaign=found.campaign.code,
        **values,
    )
    ctx.data.pop("values", None)
    ctx.data.pop("field", None)
    saved = ctx.reply("daibieu.saved", d=delegate, category=CATEGORIES[values["category"]])
    return await _open(ctx, found, unit, saved)


# --------------------------------------------------------------------------- withdrawing


async def _ask_withdraw(ctx: Ctx) -> list[Reply]:
    unit = _own_unit(ctx)
    found = await _round(ctx, unit)
    delegates = await _delegates(ctx, found.campaign.id, unit.id)
    buttons = [Button(f"{i}. {d.full_name}", f"d:{d.id}") for i, d in enumerate(delegates, 1)]
    buttons.append(Button("⬅️ Quay lại", "back"))
    return [ctx.reply("daibieu.ask_withdraw", buttons=buttons)]


async def _load_delegate(ctx: Ctx, unit: Unit, campaign_id: int, raw: Any) -> Delegate:
    delegate = await ctx.session.get(Delegate, raw) if isinstance(raw, int) else None
    if delegate is None or delegate.status != ACTIVE or delegate.campaign_id != campaign_id:
        raise UserError("item_gone")
    if delegate.unit_id != unit.id:
        raise UserError("not_your_unit")
    return delegate


async def _withdraw(ctx: Ctx) -> list[Reply]:
    """Asks to confirm withdrawing the chosen delegate (or goes back to the list)."""
    unit, found = await _editing(ctx)
    if ctx.choice == "back":
        return await _open(ctx, found, unit)
    raw = ctx.choice[2:] if ctx.choice and ctx.choice.startswith("d:") else ""
    if not raw.isdigit():
        raise UserError("pick_one")
    delegate = await _load_delegate(ctx, unit, found.campaign.id, int(raw))
    ctx.goto(State.WITHDRAW_CONFIRM, delegate=delegate.id)
    return await _ask_withdraw_confirm(ctx)


async def _ask_withdraw_confirm(ctx: Ctx) -> list[Reply]:
    delegate = await ctx.session.get(Delegate, ctx.data.get("delegate") or 0)
    buttons = (Button("🗑 Xác nhận rút", "yes"), Button("⬅️ Không rút", "no"))
    return [ctx.reply("daibieu.ask_withdraw_confirm", buttons=buttons, d=delegate)]


async def _withdraw_confirm(ctx: Ctx) -> list[Reply]:
    """Takes the delegate off the list (the row stays, marked withdrawn)."""
    unit, found = await _editing(ctx)
    if ctx.choice == "no":
        return await _open(ctx, found, unit)
    if ctx.choice != "yes":
        raise UserError("pick_one")
    await _lock_campaign(ctx, found.campaign.id)
    delegate = await _load_delegate(ctx, unit, found.campaign.id, ctx.data.get("delegate"))
    delegate.status = WITHDRAWN
    delegate.updated_at = ctx.now
    ctx.audit(
        "delegate.withdraw",
        "delegate",
        delegate.id,
        unit=unit.code,
        campaign=found.campaign.code,
        name=delegate.full_name,
    )
    ctx.data.pop("delegate", None)
    return await _open(ctx, found, unit, ctx.reply("daibieu.withdrawn", d=delegate))


STATES: StateTable = {
    State.PICK: StateSpec(_pick, _ask_pick),
    State.MENU: StateSpec(_menu, _prompt_menu),
    State.FIELD: StateSpec(_field, _ask_field),
    State.CONFIRM: StateSpec(_confirm, _ask_confirm),
    State.WITHDRAW: StateSpec(_withdraw, _ask_withdraw),
    State.WITHDRAW_CONFIRM: StateSpec(_withdraw_confirm, _ask_withdraw_confirm),
}
