"""Files: documents and photos users send, uploads by the bot, getFile and downloads.

Files the fake knows are kept by ``file_id`` with their bytes; getFile refuses files above 20 MB
like Telegram, and ``/file/bot{token}/{file_path}`` serves the bytes.
"""

from __future__ import annotations

import asyncio
import mimetypes
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from tests.fakes.telegram.entities import check_markup
from tests.fakes.telegram.state import FakeState
from tests.fakes.telegram.wire import ApiError, JSONDict, UploadedFile, bad_request

_MAX_DOWNLOAD: Final = 20 * 1024 * 1024  # getFile refuses bigger files


MAX_UPLOAD: Final = 50 * 1024 * 1024


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_size: int
    data: bytes

    def ref(self) -> JSONDict:
        """How a message refers to the file: its ids and size."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }

    def document(self, file_name: str, mime_type: str) -> JSONDict:
        """The ``document`` of a message carrying the file."""
        return {"file_name": file_name, "mime_type": mime_type, **self.ref()}


class FilesMixin(FakeState):
    """Files in both directions.

    Attributes:
        downloads: File paths downloaded through ``/file/bot{token}/...``, in order.
    """

    def __init__(self) -> None:
        super().__init__()
        self.downloads: list[str] = []
        #: Download requests received (held ones included).
        self.download_requests = 0
        self._download_gate: asyncio.Event | None = None
        self._files: dict[str, StoredFile] = {}
        self._file_paths: dict[str, StoredFile] = {}
        self._next_file = 1

    def inject_document(
        self,
        chat_id: int,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str,
        *,
        caption: str | None = None,
        declared_size: int | None = None,
        chat_type: str = "private",
        first_name: str = "Người dùng",
        chat_title: str | None = None,
    ) -> JSONDict:
        """Queues a document message and registers its bytes for getFile; returns the update.

        Args:
            chat_id: The chat.
            user_id: The sender.
            data: The file's bytes (what a download returns).
            file_name: ``document.file_name``.
            mime_type: ``document.mime_type``.
            caption: Optional caption.
            declared_size: ``document.file_size`` to claim instead of ``len(data)`` (a 25 MB file
                without 25 MB of bytes; getFile refuses files above 20 MB like Telegram).
            chat_type: ``private``, ``group`` or ``supergroup``.
            first_name: The sender's first name.
            chat_title: Title of a group chat.
        """
        stored = self._register_file(data, "documents", file_name, declared_size)
        message = self._user_message(chat_id, user_id, chat_type, first_name, chat_title)
        message["document"] = stored.document(file_name, mime_type)
        if caption is not None:
            message["caption"] = caption
        return self._queue_message(message)

    def inject_photo(
        self,
        chat_id: int,
        user_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        chat_type: str = "private",
        first_name: str = "Người dùng",
        chat_title: str | None = None,
    ) -> JSONDict:
        """Queues a photo message (two sizes, the largest last); returns the update.

        Both sizes download as ``data``.
        """
        message = self._user_message(chat_id, user_id, chat_type, first_name, chat_title)
        message["photo"] = self._photo_sizes(data)
        if caption is not None:
            message["caption"] = caption
        return self._queue_message(message)

    def hold_downloads(self) -> None:
        """Make file downloads wait (until :meth:`release_downloads`), like a slow network."""
        self._download_gate = asyncio.Event()

    def release_downloads(self) -> None:
        """Let held and later downloads through."""
        if self._download_gate is not None:
            self._download_gate.set()
        self._download_gate = None

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.TOKEN:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        self.download_requests += 1
        gate = self._download_gate
        if gate is not None:
            await gate.wait()
        file_path = request.match_info["file_path"]
        stored = self._file_paths.get(file_path)
        if stored is None:
            return await self._handle_not_found(request)
        self.downloads.append(file_path)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    def _register_file(
        self, data: bytes, folder: str, file_name: str, declared_size: int | None = None
    ) -> StoredFile:
        number = self._next_file
        self._next_file += 1
        suffix = ""
        if "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"FAKE-{folder[:3].upper()}-{number:06d}",
            file_unique_id=f"U{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            file_size=len(data) if declared_size is None else declared_size,
            data=data,
        )
        self._files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored
        return stored

    def _photo_sizes(self, data: bytes) -> list[JSONDict]:
        sizes: list[JSONDict] = []
        for width, height in ((320, 240), (1280, 960)):
            stored = self._register_file(data, "photos", "photo.jpg")
            sizes.append({**stored.ref(), "width": width, "height": height})
        return sizes

    def _resolve_upload(
        self, params: JSONDict, files: dict[str, UploadedFile], name: str
    ) -> UploadedFile | StoredFile:
        """The uploaded part for a file parameter, or the known file a file_id refers to."""
        upload = files.get(name)
        value = params.get(name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"wrong file identifier/HTTP URL specified: {value}")
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            if len(upload.data) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            return upload
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")  # no internet in tests
        if value is None:
            raise bad_request(f"there is no {name} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    async def _send_document(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        chat = self._require_chat(params)
        markup = check_markup(params.get("reply_markup"))
        source = self._resolve_upload(params, files, "document")
        if isinstance(source, UploadedFile):
            stored = self._register_file(source.data, "documents", source.name)
            mime_type = (
                source.content_type
                or mimetypes.guess_type(source.name)[0]
                or "application/octet-stream"
            )
            file_name = source.name
        else:
            stored, mime_type, file_name = source, "application/octet-stream", "file"
            for known in self._messages.values():
                document = known.get("document")
                if isinstance(document, dict) and document.get("file_id") == stored.file_id:
                    mime_type = document.get("mime_type", mime_type)
                    file_name = document.get("file_name", file_name)
                    break
        file_name = str(params.get("filename") or file_name)
        message = self._bot_message(chat, params)
        message["document"] = stored.document(file_name, mime_type)
        self._add_caption(message, params)
        if markup is not None:
            message["reply_markup"] = markup
        return self._store(message)

    async def _send_photo(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        chat = self._require_chat(params)
        markup = check_markup(params.get("reply_markup"))
        source = self._resolve_upload(params, files, "photo")
        message = self._bot_message(chat, params)
        message["photo"] = self._photo_sizes(source.data)
        self._add_caption(message, params)
        if markup is not None:
            message["reply_markup"] = markup
        return self._store(message)

    async def _get_file(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        file_id = params.get("file_id")
        stored = self._files.get(file_id) if isinstance(file_id, str) else None
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > _MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {**stored.ref(), "file_path": stored.file_path}
