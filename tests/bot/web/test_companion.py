"""The web companion over HTTP (aiohttp's test client): links, the upload page, downloads."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import ClientSession, FormData
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from bot.web import Companion, WebConfig, make_token
from handlers.kernel.dispatcher import Core
from handlers.kernel.messages import ChatKey, Delivery, FileRequest, OutgoingFile, Reply
from storage.files import LocalFileStore
from storage.models import AuditLog, Conversation, Submission, WebLink
from tests.harness import ChatHarness, Clock
from tests.samples import pdf_bytes

pytestmark = pytest.mark.usefixtures("demo")

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]
SECRET = b"s" * 32


class Outbox:
    """A channel's ``Send`` that records what went to each chat."""

    def __init__(self) -> None:
        self.sent: list[tuple[ChatKey, Reply]] = []

    async def __call__(self, key: ChatKey, reply: Reply) -> Delivery:
        self.sent.append((key, reply))
        return Delivery.SENT

    @property
    def text(self) -> str:
        return "\n".join(r.text for _, r in self.sent)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def companion(
    core: Core, session_factory: SF, tmp_path: Path, outbox: Outbox, request: pytest.FixtureRequest
) -> Companion:
    max_bytes = getattr(request, "param", None) or WebConfig("", b"").max_bytes
    config = WebConfig(
        public_url="https://tdkt.example.gov.vn/",
        secret=SECRET,
        upload_ttl=dt.timedelta(hours=1),
        download_ttl=dt.timedelta(minutes=30),
        max_bytes=max_bytes,
    )
    files = LocalFileStore(tmp_path / "files")
    return Companion(config, core, files, session_factory, {"console": outbox})


@pytest.fixture
async def client(companion: Companion) -> AsyncIterator[TestClient[object, object]]:
    async with TestClient(TestServer(companion.app())) as test_client:
        yield test_client


async def _plan_link(chat: Chat, companion: Companion) -> tuple[ChatHarness, str]:
    """badinh at the plan's content step, and the path of its upload link."""
    badinh = chat("badinh")
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    request = badinh.replies[-1].file_request
    assert request is not None
    url = await companion.upload_link(badinh.key, badinh.user, request)
    assert url.startswith("https://tdkt.example.gov.vn/u/")
    return badinh, url.removeprefix("https://tdkt.example.gov.vn")


def _form(name: str, data: bytes, mime: str = "application/pdf") -> FormData:
    form = FormData()
    form.add_field("file", data, filename=name, content_type=mime)
    return form


async def _state(sf: SF, user: str) -> str:
    async with sf() as s:
        row = await s.get(Conversation, ("console", user))
        assert row is not None
        return row.state


async def test_the_page_says_what_and_for_which_unit(
    chat: Chat, companion: Companion, client: TestClient[object, object]
) -> None:
    _, path = await _plan_link(chat, companion)
    response = await client.get(path)
    assert response.status == 200
    page = await response.text()
    assert '<html lang="vi">' in page and 'name="viewport"' in page
    assert "Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị" in page
    assert "Phường Ba Đình" in page and "pdf, doc, docx, odt" in page
    assert "Gửi tệp" in page and "tối đa 50 MB" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


async def test_upload_continues_the_conversation_and_uses_the_link(
    chat: Chat,
    companion: Companion,
    client: TestClient[object, object],
    outbox: Outbox,
    session_factory: SF,
    tmp_path: Path,
) -> None:
    badinh, path = await _plan_link(chat, companion)
    payload = pdf_bytes("ke hoach web")
    response = await client.post(path, data=_form("Kế hoạch số 12.pdf", payload))
    assert response.status == 200
    page = await response.text()
    assert "Đã nhận tệp" in page and "Kế hoạch số 12.pdf" in page
    # The replies went to the chat: the person confirms there.
    assert [key for key, _ in outbox.sent] == [badinh.key]
    assert "Xác nhận gửi" in outbox.text and outbox.sent[-1][1].buttons
    digest = hashlib.sha256(payload).hexdigest()
    assert (tmp_path / "files" / digest[:2] / digest).read_bytes() == payload
    # Used up: the page and a second post say so and change nothing.
    again = await client.get(path)
    assert again.status == 410 and "đã được sử dụng" in await again.text()
    repost = await client.post(path, data=_form("khac.pdf", pdf_bytes("khac")))
    assert repost.status == 410 and len(outbox.sent) == 1
    badinh.replies = [outbox.sent[-1][1]]
    await badinh.press("Xác nhận gửi")
    assert "Đã lưu" in badinh.text
    async with session_factory() as s:
        sub = (await s.scalars(select(Submission).where(Submission.file_id.is_not(None)))).one()
        assert sub.text is None
        used = (
            await s.scalars(select(AuditLog).where(AuditLog.action == "web_link.upload"))
        ).one()
        assert used.detail == {
            "channel": "console",
            "chat_id": "badinh",
            "file": "Kế hoạch số 12.pdf",
        }


async def test_a_wrong_file_shows_the_reason_and_the_link_stays_usable(
    chat: Chat, companion: Companion, client: TestClient[object, object], outbox: Outbox
) -> None:
    _, path = await _plan_link(chat, companion)
    renamed = await client.post(path, data=_form("ke-hoach.pdf", b"PK\x03\x04 not a pdf"))
    assert renamed.status == 422
    page = await renamed.text()
    assert "không phải là tệp PDF" in page and 'type="file"' in page
    assert "Gõ /huy" not in page  # the chat's question again is for the chat, not the page
    assert "Gõ /huy" in outbox.text
    executable = await client.post(path, data=_form("ke-hoach.docx", b"MZ\x90\x00program"))
    assert executable.status == 422 and "tệp thực thi" in await executable.text()
    empty = await client.post(path, data=_form("ke-hoach.pdf", b""))
    assert empty.status == 422 and "Tệp rỗng" in await empty.text()
    assert "Xác nhận gửi" not in outbox.text
    good = await client.post(path, data=_form("ke-hoach.pdf", pdf_bytes()))
    assert good.status == 200 and "Xác nhận gửi" in outbox.text


async def test_forged_links_are_refused_unread(
    chat: Chat, companion: Companion, client: TestClient[object, object], session_factory: SF
) -> None:
    _, path = await _plan_link(chat, companion)
    token = path.removeprefix("/u/")
    nonce, _, signature = token.partition(".")
    forged = [
        f"/u/{nonce}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",  # tampered
        f"/u/{make_token(b'another office', 'upload')}",  # another key
        f"/u/{make_token(SECRET, 'upload')}",  # well signed, never issued
        f"/d/{token}",  # an upload token is no download
        "/u/..%2F..%2Fetc",
        "/u/" + "x" * 500,
    ]
    for bad in forged:
        response = await client.get(bad)
        assert response.status == 404, bad
        assert "Liên kết không hợp lệ" in await response.text()
    posted = await client.post(forged[0], data=_form("ke-hoach.pdf", pdf_bytes()))
    assert posted.status == 404
    assert await _state(session_factory, "badinh") == "nop.content"
    async with session_factory() as s:
        row = (await s.scalars(select(WebLink))).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()  # never the token


async def test_an_expired_link_changes_nothing(
    chat: Chat,
    companion: Companion,
    client: TestClient[object, object],
    clock: Clock,
    session_factory: SF,
    outbox: Outbox,
) -> None:
    _, path = await _plan_link(chat, companion)
    clock.now += dt.timedelta(hours=1, seconds=1)
    response = await client.get(path)
    assert response.status == 410 and "đã hết hạn" in await response.text()
    posted = await client.post(path, data=_form("ke-hoach.pdf", pdf_bytes()))
    assert posted.status == 410 and not outbox.sent
    assert await _state(session_factory, "badinh") == "nop.content"


async def test_a_link_of_a_step_the_chat_has_left(
    chat: Chat, companion: Companion, client: TestClient[object, object], outbox: Outbox
) -> None:
    badinh, path = await _plan_link(chat, companion)
    await badinh.send("/huy")
    response = await client.get(path)
    assert response.status == 409 and "chuyển sang bước khác" in await response.text()
    posted = await client.post(path, data=_form("ke-hoach.pdf", pdf_bytes()))
    assert posted.status == 409 and not outbox.sent


@pytest.mark.parametrize("companion", [4096], indirect=True)
async def test_the_size_limit_is_held_while_streaming(
    chat: Chat,
    companion: Companion,
    client: TestClient[object, object],
    outbox: Outbox,
    tmp_path: Path,
) -> None:
    _, path = await _plan_link(chat, companion)
    big = pdf_bytes() + b"0" * 5000
    response = await client.post(path, data=_form("lon.pdf", big))
    assert response.status == 413 and "Tệp quá lớn" in await response.text()
    assert not outbox.sent and not (tmp_path / "files").exists()
    assert (await client.get(path)).status == 200  # still usable
    nothing = FormData()
    nothing.add_field("file", b"", filename="", content_type="application/octet-stream")
    missing = await client.post(path, data=nothing)
    assert missing.status == 400 and "Chưa chọn tệp" in await missing.text()
    not_a_form = await client.post(path, data=b"file=ke-hoach.pdf")
    assert not_a_form.status == 400 and not outbox.sent


async def test_two_posts_of_one_link_one_wins(
    chat: Chat, companion: Companion, client: TestClient[object, object], outbox: Outbox
) -> None:
    _, path = await _plan_link(chat, companion)
    first, second = await asyncio.gather(
        client.post(path, data=_form("mot.pdf", pdf_bytes("mot"))),
        client.post(path, data=_form("hai.pdf", pdf_bytes("hai"))),
    )
    statuses = sorted([first.status, second.status])
    assert statuses[0] == 200 and statuses[1] in {409, 410}
    assert outbox.text.count("Xác nhận gửi") == 1


async def test_download_serves_the_chats_file_with_its_utf8_name(
    companion: Companion, client: TestClient[object, object], clock: Clock
) -> None:
    key = ChatKey("zalo", "1234")
    xlsx = OutgoingFile("Danh sách trích ngang – Ba Đình.xlsx", "application/vnd.ms-excel", b"x1")
    url = await companion.download_link(key, xlsx)
    path = url.removeprefix("https://tdkt.example.gov.vn")
    assert path.startswith("/d/")
    response = await client.get(path)
    assert response.status == 200 and await response.read() == b"x1"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Danh sach trich ngang _ Ba Dinh.xlsx"')
    assert "filename*=UTF-8''Danh%20s%C3%A1ch%20tr%C3%ADch%20ngang%20%E2%80%93%20Ba" in disposition
    assert (await client.get(path)).status == 200  # a download may be fetched again meanwhile
    chart = await companion.download_link(key, OutgoingFile("biểu đồ.png", "image/png", b"\x89P"))
    shown = await client.get(chart.removeprefix("https://tdkt.example.gov.vn"))
    assert shown.headers["Content-Disposition"].startswith("inline;")
    assert shown.headers["Content-Type"] == "image/png"
    clock.now += dt.timedelta(minutes=31)
    expired = await client.get(path)
    assert expired.status == 410 and b"x1" not in await expired.read()
    upload_path = "/u/" + path.removeprefix("/d/")  # a download token opens no upload page
    assert (await client.get(upload_path)).status == 404


async def test_offer_upload_text(chat: Chat, companion: Companion) -> None:
    badinh = chat("badinh")
    request = FileRequest(what="Kế hoạch", unit="Phường Ba Đình")
    offer = await companion.offer_upload(badinh.key, badinh.user, request)
    assert "https://tdkt.example.gov.vn/u/" in offer.text and "60 phút" in offer.text
    big = await companion.offer_upload(badinh.key, badinh.user, request, too_big=True)
    assert "Telegram không cho bot nhận tệp lớn hơn 20 MB" in big.text


async def test_a_link_of_another_visit_of_the_same_step(
    chat: Chat, companion: Companion, client: TestClient[object, object], outbox: Outbox
) -> None:
    """A link for the plan is not valid once the chat sends a dossier part at the same step."""
    badinh, path = await _plan_link(chat, companion)
    await badinh.send("/huy")
    await badinh.send("/nop")
    await badinh.press("Hồ sơ sau Hội nghị")
    await badinh.press("Tờ trình")
    response = await client.get(path)
    assert response.status == 409 and "chuyển sang bước khác" in await response.text()
    posted = await client.post(path, data=_form("ke-hoach.pdf", pdf_bytes()))
    assert posted.status == 409 and not outbox.sent


async def test_settings_and_serving(
    core: Core, session_factory: SF, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    settings = Settings(data_dir=tmp_path / "data", web_port=8089)
    config = WebConfig.from_settings(settings)
    assert (config.host, config.port, config.public_url) == (
        "127.0.0.1",
        8089,
        "http://127.0.0.1:8089",
    )
    assert config.upload_ttl == dt.timedelta(minutes=60)
    assert config.download_ttl == dt.timedelta(minutes=30)
    assert (tmp_path / "data" / "web-secret.key").exists()
    assert WebConfig.from_settings(settings).secret == config.secret  # kept across starts
    public = Settings(
        data_dir=tmp_path / "data",
        public_url="https://tdkt.example.gov.vn/",
        web_secret="office key",
    )
    files = LocalFileStore(tmp_path / "files")
    companion = Companion.from_settings(public, core, files, session_factory, {})
    assert companion.config.public_url == "https://tdkt.example.gov.vn"
    assert companion.config.secret == b"office key"
    any_port = dataclasses.replace(companion.config, port=0)
    companion = Companion(any_port, core, files, session_factory, {})
    async with companion.serving():
        host, port = companion.bound_addresses()[0]
        forged = f"http://{host}:{port}/u/{make_token(b'x', 'upload')}"
        async with ClientSession() as http, http.get(forged) as r:
            assert r.status == 404 and "Liên kết không hợp lệ" in await r.text()
    assert companion.bound_addresses() == []


async def test_on_demand_serves_from_the_first_link(
    chat: Chat, core: Core, session_factory: SF, tmp_path: Path
) -> None:
    """Without a live link the server waits for the first link issued, which then opens."""
    config = WebConfig(public_url="https://tdkt.example.gov.vn/", secret=SECRET, port=0)
    files = LocalFileStore(tmp_path / "files")
    companion = Companion(config, core, files, session_factory, {})
    async with companion.on_demand():
        assert companion.bound_addresses() == []  # nothing to open yet
        badinh, path = await _plan_link(chat, companion)
        host, port = companion.bound_addresses()[0]
        async with ClientSession() as http, http.get(f"http://{host}:{port}{path}") as r:
            assert r.status == 200 and "Kế hoạch tổ chức" in await r.text()
        pdf = OutgoingFile("a.pdf", "application/pdf", pdf_bytes())
        await companion.download_link(badinh.key, pdf)
        assert len(companion.bound_addresses()) == 1  # started once
    assert companion.bound_addresses() == []


async def test_on_demand_serves_at_once_while_a_link_of_an_earlier_run_is_live(
    chat: Chat, companion: Companion, core: Core, session_factory: SF, tmp_path: Path
) -> None:
    await _plan_link(chat, companion)  # issued by an earlier process
    config = dataclasses.replace(companion.config, port=0)
    restarted = Companion(config, core, LocalFileStore(tmp_path / "files"), session_factory, {})
    async with restarted.on_demand():
        assert len(restarted.bound_addresses()) == 1
    async with session_factory.begin() as s:
        for link in (await s.scalars(select(WebLink))).all():
            link.used_at = link.created_at  # used up: nothing left to open
    async with restarted.on_demand():
        assert restarted.bound_addresses() == []


async def test_on_demand_refuses_to_start_on_a_taken_port(
    core: Core, session_factory: SF, tmp_path: Path
) -> None:
    """A port another program holds stops the start, not the first unit head's upload."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        config = WebConfig(
            public_url="https://tdkt.example.gov.vn/", secret=SECRET, host="127.0.0.1", port=port
        )
        companion = Companion(config, core, LocalFileStore(tmp_path), session_factory, {})
        with pytest.raises(OSError):
            async with companion.on_demand():
                pytest.fail("started on a taken port")
    async with companion.on_demand():  # free again: starts, still on demand
        assert companion.bound_addresses() == []
