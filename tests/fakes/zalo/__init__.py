"""A local fake of the Zalo Bot API (see ../shared/reference/zalo-api.md)."""

from tests.fakes.zalo.server import FakeZaloAPI, SentItem, ZaloUser, fake_zalo

__all__ = ["FakeZaloAPI", "SentItem", "ZaloUser", "fake_zalo"]
