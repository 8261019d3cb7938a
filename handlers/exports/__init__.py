"""Exports: the campaign's progress, nominations, delegates and summary report as files.

``tdkt export KIND --format xlsx|docx`` and the /xuat conversation both call :func:`build_export`,
which returns an :class:`~handlers.messages.OutgoingFile` (name, MIME type, bytes):

========================  =====================================================  ==========
kind                      what                                                   formats
========================  =====================================================  ==========
``progress``              who has sent what, one row per unit                    xlsx, docx
``nominations``           "Danh sách trích ngang", I. Cá nhân / II. Tập thể      xlsx, docx
``delegates``             active delegates grouped by unit                       xlsx, docx
``report``                "Báo cáo tổng hợp tình hình thực hiện kế hoạch"        docx, xlsx
========================  =====================================================  ==========
"""

from __future__ import annotations

from handlers.exports import chat as chat
from handlers.exports.build import FORMATS, build_export, file_name
from handlers.exports.data import ExportFormat, ExportKind, Scope

__all__ = [
    "FORMATS",
    "ExportFormat",
    "ExportKind",
    "Scope",
    "build_export",
    "chat",
    "file_name",
]
