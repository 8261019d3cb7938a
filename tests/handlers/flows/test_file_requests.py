"""Every step that waits for a file says so (``Reply.file_request``): what, for which unit.

A channel that cannot carry the file (Zalo; Telegram over 20 MB) turns it into an upload link.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handlers.kernel.messages import FileRequest, Reply
from tests.harness import ChatHarness
from tests.samples import pdf_bytes

pytestmark = pytest.mark.usefixtures("demo")

Chat = Callable[..., ChatHarness]


def _request(replies: list[Reply]) -> FileRequest | None:
    return replies[-1].file_request if replies else None


async def test_submission_content_asks_for_the_plan_of_the_unit(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/nop")
    assert _request(badinh.replies) is None  # choosing a requirement takes no file
    await badinh.press("Kế hoạch tổ chức")
    assert _request(badinh.replies) == FileRequest(
        what="Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị",
        unit="Phường Ba Đình",
        accepts=("pdf", "doc", "docx", "odt"),
    )
    await badinh.upload("virus.exe", b"MZ\x90\x00")
    assert "thực thi" in badinh.text
    assert _request(badinh.replies) is not None  # refused: the question (and the link) again
    await badinh.upload("ke-hoach.pdf", pdf_bytes())
    assert "Xác nhận gửi" in badinh.text
    assert _request(badinh.replies) is None


async def test_dossier_part_names_the_part(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/nop")
    await badinh.press("Hồ sơ sau Hội nghị")
    assert _request(badinh.replies) is None
    await badinh.press("Tờ trình")
    request = _request(badinh.replies)
    assert request is not None
    assert request.what == "Hồ sơ sau Hội nghị điển hình tiên tiến — Tờ trình"
    assert request.unit == "Phường Ba Đình" and request.accepts == ()


async def test_nomination_file_step_names_the_nominee(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/decu")
    await badinh.send("1")
    await badinh.send("Nguyễn Thị Hoa")
    await badinh.send("nữ")
    await badinh.send("1985")
    assert _request(badinh.replies) is None  # a field step takes no file
    await badinh.send("Chủ tịch Hội LHPN phường Ba Đình")
    await badinh.press("Lao động tiên tiến")
    await badinh.send("Hoàn thành xuất sắc nhiệm vụ 5 năm liền.")
    request = _request(badinh.replies)
    assert request == FileRequest(
        what="Báo cáo thành tích — Nguyễn Thị Hoa", unit="Phường Ba Đình"
    )
    assert any("Bỏ qua" in label for label in badinh.buttons)
    await badinh.press("Bỏ qua")
    assert _request(badinh.replies) is None


async def test_broadcast_attachment_has_no_unit(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/thongbao")
    assert _request(noivu.replies) == FileRequest(what="Tệp đính kèm thông báo", unit=None)
    await noivu.upload("cong-van.pdf", pdf_bytes())  # no caption: the text is asked next
    assert "Đã nhận tệp" in noivu.text
    assert _request(noivu.replies) is None
