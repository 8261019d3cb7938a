"""The field vocabulary: validators without a conversation, and the buttons that carry choices."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from handlers.domain.errors import UserError
from handlers.domain.fields import (
    AWARD,
    BIRTH_YEAR,
    DELEGATE_FIELDS,
    GENDER,
    NOMINATION_FIELDS,
    PRESIDIUM,
    SUBJECT,
    Facts,
    field_by_key,
    names_other_ethnicity,
    nomination_fields,
    parse_award,
    parse_birth_year,
    parse_category,
    parse_ethnicity,
    parse_gender,
    parse_name,
    parse_position,
    parse_subject,
    parse_summary,
    parse_text,
    parse_yes_no,
)
from handlers.domain.items import ItemKind
from handlers.flows import delegates, listing, nominate
from handlers.kernel.callbacks import MAX_BYTES, CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.inputs import FieldValue, SkipField, read_field
from handlers.kernel.messages import ChatKey, Incoming, IncomingFile
from handlers.kernel.texts import Texts

TODAY = dt.date(2019, 11, 12)
AWARDS = {"LDTT": "Lao động tiên tiến", "CSTD-CS": "Chiến sĩ thi đua cơ sở"}
FACTS = Facts(TODAY, AWARDS)


def _refused(call: Any, *args: Any) -> UserError:
    with pytest.raises(UserError) as err:
        call(*args)
    return err.value


# --------------------------------------------------------------------------- text and names


def test_text_is_trimmed_and_bounded() -> None:
    assert parse_text("  Tổ dân phố  ", limit=20) == "Tổ dân phố"
    assert _refused(lambda: parse_text("   ", limit=5)).key == "text_empty"
    too_long = _refused(lambda: parse_text("abcdef", limit=5))
    assert (too_long.key, too_long.params) == ("text_too_long", {"limit": 5, "length": 6})
    assert _refused(lambda: parse_text("ab", limit=5, minimum=3)).key == "text_too_short"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("Nguyễn  Thị   Hoa", "Nguyễn Thị Hoa"), (" Tổ dân phố số 5 ", "Tổ dân phố số 5")],
)
def test_names_collapse_spaces(typed: str, stored: str) -> None:
    assert parse_name(typed) == stored


@pytest.mark.parametrize("typed", ["!!", "1", "12345", "A"])
def test_names_need_two_characters_and_a_letter(typed: str) -> None:
    assert _refused(parse_name, typed).key == "name_invalid"


def test_name_position_and_summary_limits() -> None:
    assert _refused(parse_name, "x" * 201).key == "text_too_long"
    assert parse_position("Chủ tịch Hội LHPN phường") == "Chủ tịch Hội LHPN phường"
    assert _refused(parse_position, "x" * 256).key == "text_too_long"
    assert _refused(parse_summary, "ngắn").key == "text_too_short"
    assert _refused(parse_summary, "x" * 3001).key == "text_too_long"
    assert parse_summary("Hoàn thành xuất sắc nhiệm vụ nhiều năm.").startswith("Hoàn thành")


# --------------------------------------------------------------------------- birth years


@pytest.mark.parametrize(
    ("typed", "year"),
    [("1985", 1985), (" 1920 ", 1920), ("2004", 2004), ("１９８５", 1985), ("1\u00a0985", None)],
)
def test_birth_years_ascii_or_full_width(typed: str, year: int | None) -> None:
    if year is None:
        assert _refused(parse_birth_year, typed, TODAY).key == "birth_year_invalid"
    else:
        assert parse_birth_year(typed, TODAY) == year


@pytest.mark.parametrize(
    "typed",
    ["1919", "2005", "85", "19850", "١٩٨٥", "१९८५", "¹⁹⁸⁵", "①⑨⑧⑤", "1985.0", "+1985", "năm"],
)
def test_implausible_or_foreign_digit_years_are_refused(typed: str) -> None:
    err = _refused(parse_birth_year, typed, TODAY)
    assert (err.key, err.params) == ("birth_year_invalid", {"low": 1920, "high": 2004})


def test_birth_year_limit_follows_today() -> None:
    assert parse_birth_year("2005", dt.date(2020, 1, 1)) == 2005
    assert _refused(parse_birth_year, "", TODAY).key == "text_empty"
    assert _refused(parse_birth_year, "1" * 11, TODAY).key == "text_too_long"


# --------------------------------------------------------------------------- choices


@pytest.mark.parametrize(
    ("parse", "typed", "code"),
    [
        (parse_gender, "Nữ", "nu"),
        (parse_gender, "NỮ", "nu"),
        (parse_gender, "nu", "nu"),
        (parse_gender, " nam ", "nam"),
        (parse_subject, "Cá nhân", "ca_nhan"),
        (parse_subject, "tap_the", "tap_the"),
        (parse_category, "Điển hình", "dien_hinh"),
        (parse_category, "khách mời", "khach_moi"),
    ],
)
def test_choices_read_codes_and_words(parse: Any, typed: str, code: str) -> None:
    assert parse(typed) == code


@pytest.mark.parametrize(
    ("parse", "typed"),
    [(parse_gender, "female"), (parse_gender, ""), (parse_subject, "ca"), (parse_category, "vip")],
)
def test_unknown_choices_are_refused(parse: Any, typed: str) -> None:
    err = _refused(parse, typed)
    assert (err.key, err.params) == ("not_a_choice", {"value": typed.strip()})


@pytest.mark.parametrize(("typed", "value"), [("Có", True), ("x", True), ("Không", False)])
def test_yes_no(typed: str, value: bool) -> None:
    assert parse_yes_no(typed) is value


def test_yes_no_refuses_anything_else() -> None:
    assert _refused(parse_yes_no, "có lẽ").key == "not_a_choice"


def test_awards_by_code_or_name_among_those_on_offer() -> None:
    assert parse_award("LDTT", AWARDS) == "LDTT"
    assert parse_award("chiến sĩ thi đua cơ sở", AWARDS) == "CSTD-CS"
    assert _refused(parse_award, "Huân chương Lao động", AWARDS).key == "not_a_choice"
    assert _refused(parse_award, "LDTT", {}).key == "not_a_choice"


def test_ethnicity() -> None:
    assert parse_ethnicity(" mường ") == "Mường"
    assert _refused(parse_ethnicity, "Kinh; DROP").key == "ethnicity_invalid"
    assert _refused(parse_ethnicity, "x" * 51).key == "text_too_long"
    assert names_other_ethnicity("Dân tộc khác") and names_other_ethnicity("khac")
    assert not names_other_ethnicity("Khơ Mú")


# --------------------------------------------------------------------------- field specs


def test_fields_parse_with_the_facts() -> None:
    assert BIRTH_YEAR.parse("1985", FACTS) == 1985
    assert AWARD.parse("Lao động tiên tiến", FACTS) == "LDTT"
    assert AWARD.options(FACTS) == ("LDTT", "CSTD-CS")
    assert GENDER.options(FACTS) == ("nam", "nu") and not GENDER.typed
    assert PRESIDIUM.parse("co", FACTS) is True
    assert SUBJECT.options(FACTS) == ("ca_nhan", "tap_the")
    assert field_by_key(NOMINATION_FIELDS, "summary").minimum == 20


def test_an_optional_field_left_empty_is_none() -> None:
    delegate_year = field_by_key(DELEGATE_FIELDS, "birth_year")
    assert delegate_year.optional and delegate_year.parse("  ", FACTS) is None
    assert _refused(lambda: BIRTH_YEAR.parse("", FACTS)).key == "text_empty"


def test_a_collective_is_asked_fewer_fields() -> None:
    assert [f.key for f in nomination_fields("ca_nhan")] == [
        "name",
        "gender",
        "birth_year",
        "position",
        "award",
        "summary",
    ]
    assert [f.key for f in nomination_fields("tap_the")] == ["name", "award", "summary"]
    with pytest.raises(KeyError):
        field_by_key(DELEGATE_FIELDS, "award")


def test_every_label_choice_and_error_has_wording() -> None:
    texts = Texts()
    for spec in (*NOMINATION_FIELDS, *DELEGATE_FIELDS, SUBJECT):
        assert texts("fields.label", name=spec.label) != spec.label
        for code in spec.options(FACTS):
            assert texts("fields.choice", key=spec.key, code=code, facts=FACTS)
    assert texts("fields.choice", key="award", code="LDTT", facts=FACTS) == "Lao động tiên tiến"
    assert texts("fields.choice", key="category", code="khach_moi", facts=FACTS) == "🤝 Khách mời"
    assert texts("errors.not_a_choice", value="vip") == "«vip» không phải một lựa chọn hợp lệ."


# --------------------------------------------------------------------------- button data


CODECS: list[CallbackData] = [
    FieldValue(key="award", value="CSTD-CS"),
    SkipField(key="birth_year"),
    nominate.PickRequirement(requirement_id=12),
    nominate.SkipFile(),
    nominate.Confirm(send=False),
    listing.PickItem(kind=ItemKind.NOMINATION, item_id=7),
    listing.OnItem(act=listing.ItemAct.RESUBMIT),
    listing.EditField(key="birth_year"),
    listing.Withdraw(confirm=False),
    delegates.PickRound(campaign_id=3),
    delegates.Menu(act=delegates.MenuAct.WITHDRAW),
    delegates.OtherEthnicity(),
    delegates.Confirm(save=True),
    delegates.PickDelegate(delegate_id=99999),
    delegates.BackToList(),
    delegates.Withdraw(confirm=True),
]


@pytest.mark.parametrize("data", CODECS, ids=lambda d: type(d).__prefix__)
def test_button_data_round_trips(data: CallbackData) -> None:
    packed = data.pack()
    assert len(packed.encode()) <= MAX_BYTES
    assert type(data).unpack(packed) == data
    others = [type(c) for c in CODECS if type(c) is not type(data)]
    assert all(kind.unpack(packed) is None for kind in others)


def test_prefixes_are_unique_and_named_after_the_command() -> None:
    prefixes = [type(d).__prefix__ for d in CODECS]
    assert len(set(prefixes)) == len(prefixes)
    flows = [p for p in prefixes if not p.startswith("field")]
    assert all(p.split(".")[0] in {"decu", "ds", "db"} for p in flows)


def test_forged_item_data_is_not_an_item() -> None:
    assert listing.PickItem.unpack("ds.item:x:7") is None
    assert listing.PickItem.unpack("ds.item:n:seven") is None
    assert delegates.PickDelegate.unpack("db.delegate:") is None


# --------------------------------------------------------------------------- reading a message


def _ctx(text: str = "", choice: str | None = None, file: bool = False) -> Ctx:
    deps: Any = type("Deps", (), {"max_text_chars": 4000})()

    async def read() -> bytes:
        return b""

    attached = IncomingFile("a.pdf", "application/pdf", 1, read) if file else None
    msg = Incoming(ChatKey("console", "u"), "u", text=text, file=attached)
    now = dt.datetime.now(dt.UTC)
    return Ctx(None, deps, msg, now, None, None, None, choice=choice)  # type: ignore[arg-type]


def test_read_field_takes_the_pressed_choice_of_that_field() -> None:
    gender = FieldValue(key="gender", value="nu").pack()
    assert read_field(_ctx(choice=gender), GENDER, FACTS) == "nu"
    award = FieldValue(key="award", value="LDTT").pack()
    assert read_field(_ctx(choice=award), AWARD, FACTS) == "LDTT"
    for other in (gender, FieldValue(key="award", value="GONE").pack(), "ds.act:back"):
        assert _refused(read_field, _ctx(choice=other), AWARD, FACTS).key == "pick_one"
    assert _refused(read_field, _ctx("Nữ"), GENDER, FACTS).key == "pick_one"  # only pressed


def test_read_field_reads_typed_text_and_skips() -> None:
    year = field_by_key(DELEGATE_FIELDS, "birth_year")
    assert read_field(_ctx(" １９８０ "), year, FACTS) == 1980
    assert read_field(_ctx(choice=SkipField(key="birth_year").pack()), year, FACTS) is None
    skip = SkipField(key="birth_year").pack()
    assert _refused(read_field, _ctx(choice=skip), BIRTH_YEAR, FACTS).key == "pick_one"
    assert _refused(read_field, _ctx("  "), year, FACTS).key == "text_empty"
    assert _refused(read_field, _ctx(file=True), year, FACTS).key == "file_not_here"
    ethnicity = field_by_key(DELEGATE_FIELDS, "ethnicity")
    assert read_field(_ctx("thai"), ethnicity, FACTS) == "Thái"
    kinh = FieldValue(key="ethnicity", value="Kinh").pack()
    assert read_field(_ctx(choice=kinh), ethnicity, FACTS) == "Kinh"
