"""The core's routes: every flow's commands, states and hand-overs, in one table.

This is the one module that knows the flows; the dispatcher (:mod:`handlers.kernel.dispatcher`)
follows the table it is given. A new flow is registered here.
"""

from __future__ import annotations

from collections.abc import Mapping

from handlers.flows import (
    broadcast,
    delegates,
    export,
    listing,
    nominate,
    onboarding,
    review,
    status,
    submit,
)
from handlers.kernel.context import CoreDeps, Step
from handlers.kernel.dispatcher import Core
from handlers.kernel.routes import CommandSpec, Routes
from handlers.kernel.states import Entry, merge_states

__all__ = ["COMMAND_MENU", "GROUP_COMMAND_MENU", "ROUTES", "make_core"]

#: Canonical command → handler. Vietnamese names first; English aliases below.
_COMMANDS: Mapping[str, CommandSpec] = {
    "start": CommandSpec(onboarding.start, needs_link=False),
    "trogiup": CommandSpec(onboarding.help_, private_only=False, needs_link=False),
    "huy": CommandSpec(onboarding.cancel, private_only=False, needs_link=False),
    "decu": CommandSpec(nominate.begin),
    "nop": CommandSpec(submit.begin),
    "danhsach": CommandSpec(listing.begin),
    "tinhhinh": CommandSpec(status.status, private_only=False),
    "chuanop": CommandSpec(status.late),
    "thongbao": CommandSpec(broadcast.begin),
    "daibieu": CommandSpec(delegates.begin),
    "duyet": CommandSpec(review.begin),
    "xuat": CommandSpec(export.begin),
}
_ALIASES: Mapping[str, str] = {
    "help": "trogiup",
    "cancel": "huy",
    "nominate": "decu",
    "submit": "nop",
    "list": "danhsach",
    "status": "tinhhinh",
    "late": "chuanop",
    "batdau": "start",
    "broadcast": "thongbao",
    "delegates": "daibieu",
    "review": "duyet",
    "export": "xuat",
}

#: The command menu a channel shows (Telegram's setMyCommands): name → what it does.
COMMAND_MENU: tuple[tuple[str, str], ...] = (
    ("nop", "Nộp kế hoạch, báo cáo, hồ sơ"),
    ("decu", "Đề cử cá nhân, tập thể điển hình tiên tiến"),
    ("danhsach", "Xem, sửa, rút những gì đơn vị đã gửi"),
    ("tinhhinh", "Tình hình nộp, việc còn phải làm"),
    ("chuanop", "Ai chưa nộp, còn thiếu gì"),
    ("duyet", "Duyệt, trả lại hồ sơ các đơn vị gửi (Thường trực)"),
    ("thongbao", "Gửi thông báo tới các đơn vị (Thường trực)"),
    ("daibieu", "Danh sách đại biểu dự Hội nghị cấp trên"),
    ("xuat", "Xuất Excel, Word: tình hình, danh sách đề cử, đại biểu, báo cáo"),
    ("huy", "Thoát khỏi thao tác đang làm"),
    ("trogiup", "Hướng dẫn sử dụng"),
    ("start", "Liên kết tài khoản bằng mã mời"),
)
#: What works in a group chat.
GROUP_COMMAND_MENU: tuple[tuple[str, str], ...] = (
    ("tinhhinh", "Tình hình nộp của các đơn vị (Thường trực)"),
    ("trogiup", "Hướng dẫn sử dụng"),
)

_STATES = merge_states(
    [
        nominate.STATES,
        submit.STATES,
        listing.STATES,
        status.STATES,
        broadcast.STATES,
        delegates.STATES,
        review.STATES,
        export.STATES,
    ]
)

#: Which flow serves each way in from another flow.
_ENTRIES: Mapping[Entry, Step] = {
    Entry.RESUBMIT: submit.resume,
}


ROUTES = Routes(
    commands=_COMMANDS,
    aliases=_ALIASES,
    states=_STATES,
    entries=_ENTRIES,
    menu_command=onboarding.menu_command,
)


def make_core(deps: CoreDeps) -> Core:
    """The core over ``deps``, routing to every flow."""
    return Core(deps, ROUTES)
