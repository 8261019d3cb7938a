"""Every Vietnamese sentence of the campaign file's errors, in one place.

The errors are :class:`ValueError` messages that the CLI prints as they are (and a chat would
show), built while validating, so they stay in Python rather than in the templates. The loader's
warnings, which do not stop a load, are in ``handlers/templates/campaign_file.j2``.
"""

from __future__ import annotations

__all__ = [
    "AWARD_FORM_CODE",
    "ERROR_KINDS",
    "FIELD_LABELS",
    "HEADER",
    "NOT_A_MAPPING",
    "OTHER_ERROR",
    "REQUIREMENT_CODE",
    "UNNAMED_SOURCE",
    "WHOLE_FILE",
    "bad_accept",
    "bad_date",
    "bad_due",
    "bad_time",
    "bad_timezone",
    "bad_unit_kind",
    "cannot_open",
    "cannot_store",
    "dossier_needs_parts",
    "duplicate",
    "empty",
    "extension_not_later",
    "extension_without_due",
    "field",
    "item",
    "line",
    "literal",
    "not_utf8",
    "parts_only_for_dossiers",
    "repeated",
    "source_file",
    "too_long",
    "unknown_unit",
    "yaml_syntax",
]

#: Starts the message of a :class:`CampaignFileError`, before one line per problem.
HEADER = "Tệp kế hoạch có lỗi:"
#: Where a problem is when it concerns the whole file.
WHOLE_FILE = "toàn tệp"
#: The file is YAML but not a mapping.
NOT_A_MAPPING = "Tệp kế hoạch phải là một nhóm trường dạng khóa: giá trị (code, title, …)."
#: A source without a name (bytes sent in chat).
UNNAMED_SOURCE = "Tệp"
#: What :func:`duplicate` calls the codes of requirements and of award forms.
REQUIREMENT_CODE = "Mã yêu cầu"
AWARD_FORM_CODE = "Mã hình thức khen thưởng"
#: A value pydantic refuses for a reason no other message covers.
OTHER_ERROR = "Giá trị không hợp lệ."

#: Field name → what a person calls it.
FIELD_LABELS: dict[str, str] = {
    "code": "mã",
    "title": "tên",
    "doc_number": "số văn bản",
    "doc_date": "ngày văn bản",
    "issuer": "cơ quan ban hành",
    "timezone": "múi giờ",
    "active": "đang áp dụng",
    "award_forms": "hình thức khen thưởng",
    "name": "tên",
    "subject": "đối tượng",
    "requirements": "yêu cầu",
    "kind": "loại",
    "description": "mô tả",
    "due": "hạn nộp",
    "time": "giờ",
    "unit_kinds": "loại đơn vị",
    "unit_codes": "mã đơn vị",
    "unit_blocks": "khối thi đua",
    "parts": "thành phần hồ sơ",
    "accept": "loại tệp được nhận",
    "policy": "chính sách nhắc",
    "settings": "thiết lập",
}

#: pydantic error type → message, for the errors no validator of ours words.
ERROR_KINDS: dict[str, str] = {
    "missing": "Thiếu trường bắt buộc.",
    "extra_forbidden": "Trường này không có trong mẫu (gõ sai tên trường?).",
    "too_short": "Phải có ít nhất một mục.",
    "string_type": "Phải là một chuỗi chữ.",
    "string_sub_type": "Phải là một chuỗi chữ.",
    "list_type": "Phải là một danh sách (mỗi mục một dòng bắt đầu bằng dấu -).",
    "tuple_type": "Phải là một danh sách (mỗi mục một dòng bắt đầu bằng dấu -).",
    "dict_type": "Phải là một nhóm trường dạng khóa: giá trị.",
    "model_type": "Phải là một nhóm trường dạng khóa: giá trị.",
    "model_attributes_type": "Phải là một nhóm trường dạng khóa: giá trị.",
    "dataclass_type": "Phải là một nhóm trường dạng khóa: giá trị.",
    "bool_type": "Phải là true hoặc false.",
    "bool_parsing": "Phải là true hoặc false.",
}


def literal(value: object, expected: str) -> str:
    """A value outside a fixed list."""
    return f'Giá trị "{value}" không hợp lệ; chỉ nhận: {expected}.'


def item(number: int, code: object = None) -> str:
    """Names the ``number``-th (1-based) item of a list, with its code when it has one."""
    return f"mục {number}" + (f" ({code})" if code else "")


def field(where: str, label: str | None) -> str:
    """Names a field: ``trường "requirements → mục 3 (HOSO) → due" (hạn nộp)``."""
    return f'trường "{where}"' + (f" ({label})" if label else "")


def line(number: int | None, text: str) -> str:
    """One problem, prefixed with its line when known."""
    return (f"Dòng {number}, " if number is not None else "") + text


def source_file(name: str) -> str:
    """How a message names a file read from disk."""
    return f'Tệp "{name}"'


def cannot_open(name: str) -> str:
    """The file cannot be read."""
    return f'Không mở được tệp "{name}".'


def not_utf8(source: str) -> str:
    """The file is not UTF-8."""
    return f"{source} phải lưu theo mã UTF-8."


def yaml_syntax(source: str, line_number: int | None = None, column: int | None = None) -> str:
    """The file is not valid YAML (where, when known)."""
    if line_number is None or column is None:
        return f"{source} sai cú pháp YAML."
    return (
        f"{source} sai cú pháp YAML ở dòng {line_number}, cột {column}: kiểm tra thụt lề, "
        "dấu hai chấm và dấu ngoặc kép."
    )


def empty() -> str:
    """A required text is blank."""
    return "Không được để trống."


def too_long(length: int, max_len: int) -> str:
    """A text is too long."""
    return f"Quá dài ({length} ký tự, tối đa {max_len})."


def cannot_store(type_name: str) -> str:
    """A YAML value that JSON cannot hold (a set, binary data)."""
    return f"Giá trị kiểu {type_name} không lưu được."


def bad_due(hint: str) -> str:
    """``due`` is missing or not text."""
    return f"Thiếu hoặc sai hạn nộp: {hint}."


def bad_date() -> str:
    """A date field is not text."""
    return "Ngày phải ghi theo dạng dd/mm/yyyy, ví dụ 23/7/2019."


def bad_accept(text: str, known: str) -> str:
    """A file type the bot does not take."""
    return f'Loại tệp "{text}" không được nhận; dùng một trong: {known}.'


def bad_unit_kind(text: str, known: str) -> str:
    """An unknown unit kind."""
    return f'Loại đơn vị "{text}" không có; dùng một trong: {known}.'


def unknown_unit(code: str) -> str:
    """A unit code that is not in the units list (checked when the database has units)."""
    return (
        f'Mã đơn vị "{code}" không có trong danh sách đơn vị '
        "(kiểm tra lại mã, hoặc nhập đơn vị trước: tdkt units import)."
    )


def repeated(value: str) -> str:
    """A list item written twice."""
    return f'"{value}" bị ghi lặp lại.'


def duplicate(what: str, code: str, first: int, again: int) -> str:
    """A code used by two items of a list (``what``: "Mã yêu cầu")."""
    return f'{what} "{code}" bị trùng (mục {first} và mục {again}).'


def dossier_needs_parts(code: str) -> str:
    """A dossier without parts."""
    return f'Yêu cầu "{code}" là hồ sơ (dossier) nên phải có "parts": danh sách thành phần hồ sơ.'


def parts_only_for_dossiers(code: str, kind: str, label: str) -> str:
    """Parts on another kind of requirement."""
    return (
        f'Yêu cầu "{code}" thuộc loại {kind} ({label}); chỉ loại dossier (Hồ sơ) mới có "parts".'
    )


def bad_timezone(value: str, example: str) -> str:
    """An unknown IANA zone name."""
    return f'Múi giờ "{value}" không hợp lệ; ví dụ đúng: {example}.'


def bad_time() -> str:
    """A deadline's hour (``time``) that is not one."""
    return 'Giờ phải ghi dạng HH:MM trong ngoặc kép, ví dụ time: "16:30".'


def extension_not_later(day: object, due: object) -> str:
    """A gia hạn (``extended_due``, ``unit_due``) that is not after the deadline it extends."""
    return f"Hạn gia hạn {day:%d/%m/%Y} phải sau hạn {due:%d/%m/%Y}."


def extension_without_due() -> str:
    """A gia hạn of a requirement without a deadline ("chưa có hạn", a yearly rule)."""
    return (
        "Hạn nộp là «chưa có hạn» hoặc «hằng năm …»: không thể có extended_due hay unit_due; "
        "hãy ghi hạn nộp là một ngày."
    )
