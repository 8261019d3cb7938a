"""The web companion's pages in a real headless Chromium (Debian's), driven by Selenium.

One browser serves the whole session (they are slow on a small machine). Without Chromium and
its chromedriver the tests skip on a developer's machine and FAIL under CI (env ``CI`` set):
``make system-deps`` installs them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web import Companion, WebConfig
from handlers.kernel.dispatcher import Core
from handlers.kernel.messages import ChatKey, Delivery, Reply
from storage.files import LocalFileStore
from tests.harness import ChatHarness, Clock
from tests.samples import pdf_bytes

pytestmark = pytest.mark.usefixtures("demo")

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]
CHROMIUM = os.environ.get("TDKT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TDKT_CHROMEDRIVER", "/usr/bin/chromedriver")


def _unavailable(reason: str) -> NoReturn:
    message = f"{reason}: run `make system-deps` (apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(message)  # a missing browser never passes silently in CI
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed")
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            _unavailable(f"{path} is missing")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-extensions",
        "--window-size=412,915",  # a phone's screen
        "--lang=vi",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


class Outbox:
    """A channel's ``Send`` that records what went to the chat."""

    def __init__(self) -> None:
        self.sent: list[tuple[ChatKey, Reply]] = []

    async def __call__(self, key: ChatKey, reply: Reply) -> Delivery:
        self.sent.append((key, reply))
        return Delivery.SENT


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
async def site(
    core: Core, session_factory: SF, tmp_path: Path, outbox: Outbox
) -> AsyncIterator[tuple[Companion, str]]:
    """The companion served on a real port; its address."""
    config = WebConfig(public_url="https://tdkt.example.gov.vn", secret=b"b" * 32)
    files = LocalFileStore(tmp_path / "files")
    companion = Companion(config, core, files, session_factory, {"console": outbox})
    server = TestServer(companion.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield companion, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


async def _open_plan_page(chat: Chat, site: tuple[Companion, str], browser: Any) -> ChatHarness:
    """badinh at the plan's step, its upload page open in the browser."""
    companion, root = site
    badinh = chat("badinh")
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    request = badinh.replies[-1].file_request
    assert request is not None
    url = await companion.upload_link(badinh.key, badinh.user, request)
    await asyncio.to_thread(browser.get, root + url.removeprefix(companion.config.public_url))
    return badinh


async def _page_text(browser: Any) -> str:
    return str(await asyncio.to_thread(lambda: browser.find_element("tag name", "body").text))


async def _submit(browser: Any, path: Path) -> str:
    """Choose ``path`` in the page's file input, press «Gửi tệp»; the next page's text."""

    def run() -> str:
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        old = browser.find_element("id", "send")
        browser.find_element("id", "file").send_keys(str(path))
        old.click()
        WebDriverWait(browser, 30).until(lambda d: _stale(old))
        # While the next document loads, ChromeDriver may still answer about the old one ("Node
        # with given id does not belong to the document"): read the body once the page is whole.
        loaded = WebDriverWait(browser, 30, ignored_exceptions=(WebDriverException,))
        loaded.until(lambda d: d.execute_script("return document.readyState") == "complete")
        return str(loaded.until(lambda d: d.find_element("tag name", "body").text or None))

    return await asyncio.to_thread(run)


def _stale(element: Any) -> bool:
    """Whether ``element``'s document has been replaced (the next page is loading or loaded)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:  # ChromeDriver's wording while the document changes
        return "does not belong to the document" in str(error)
    return False


async def test_upload_from_the_page_continues_the_conversation(
    chat: Chat,
    site: tuple[Companion, str],
    browser: Any,
    outbox: Outbox,
    tmp_path: Path,
) -> None:
    badinh = await _open_plan_page(chat, site, browser)
    page = await _page_text(browser)
    assert "Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị" in page
    assert "Phường Ba Đình" in page and "Gửi tệp" in page
    payload = pdf_bytes("ke hoach tu trinh duyet")
    path = tmp_path / "Kế hoạch số 12-KH.pdf"
    path.write_bytes(payload)
    done = await _submit(browser, path)
    assert "Đã nhận tệp" in done and "Kế hoạch số 12-KH.pdf" in done
    digest = hashlib.sha256(payload).hexdigest()
    assert (tmp_path / "files" / digest[:2] / digest).read_bytes() == payload
    assert outbox.sent and "Xác nhận gửi" in outbox.sent[-1][1].text
    badinh.replies = [outbox.sent[-1][1]]
    await badinh.press("Xác nhận gửi")  # the conversation goes on in the chat
    assert "Đã lưu" in badinh.text
    await asyncio.to_thread(browser.refresh)
    assert "đã được sử dụng" in await _page_text(browser)


async def test_a_wrong_file_is_refused_on_the_page(
    chat: Chat, site: tuple[Companion, str], browser: Any, tmp_path: Path
) -> None:
    await _open_plan_page(chat, site, browser)
    fake = tmp_path / "ke-hoach.pdf"
    fake.write_bytes(b"PK\x03\x04 a zip named .pdf")
    refused = await _submit(browser, fake)
    assert "không phải là tệp PDF" in refused
    assert "Gửi tệp" in refused  # the form is there again: the link stays usable
    good = tmp_path / "ke-hoach-dung.pdf"
    good.write_bytes(pdf_bytes())
    assert "Đã nhận tệp" in await _submit(browser, good)


async def test_expired_and_forged_links_show_a_clear_page(
    chat: Chat, site: tuple[Companion, str], browser: Any, clock: Clock
) -> None:
    _, root = site
    await _open_plan_page(chat, site, browser)
    url = str(await asyncio.to_thread(lambda: browser.current_url))
    clock.now += dt.timedelta(hours=2)
    await asyncio.to_thread(browser.refresh)
    expired = await _page_text(browser)
    assert "Liên kết đã hết hạn" in expired and "Gửi tệp" not in expired
    await asyncio.to_thread(browser.get, url[:-3] + "abc")
    assert "Liên kết không hợp lệ" in await _page_text(browser)
    await asyncio.to_thread(browser.get, root + "/u/khong-phai-lien-ket")
    assert "Liên kết không hợp lệ" in await _page_text(browser)
