"""Check digits (GB 11643, GB 32100, Luhn): generated valid numbers pass, every single-character
change fails, and the reason is said; `inkseal identity check` for support staff."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from inkseal.core.idnumbers import USCC_ALPHABET, id_check_char, uscc_check_char
from inkseal.identity.errors import describe
from inkseal.identity.numbers import check_bank_card, check_id_number, check_uscc, luhn_check_digit
from inkseal.identity.providers import sandbox

DIGITS = "0123456789"
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.from_regex(r"\A[1-8][0-9]{5}\Z"))
    sequence = draw(st.from_regex(r"\A[0-9]{3}\Z"))
    first17 = f"{region}{draw(births):%Y%m%d}{sequence}"
    return first17 + id_check_char(first17)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    first17 = draw(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
    return first17 + uscc_check_char(first17)


@st.composite
def cards(draw: st.DrawFn) -> str:
    body = draw(st.from_regex(r"\A[1-9][0-9]{14,17}\Z"))
    return body + luhn_check_digit(body)


def single_changes(value: str, alphabet: str) -> list[str]:
    return [value[:i] + c + value[i + 1 :] for i in range(len(value)) for c in alphabet if c != value[i]]


@given(id_numbers())
def test_valid_id_numbers_pass_and_every_single_change_fails(number):
    assert check_id_number(number).ok
    for changed in single_changes(number, DIGITS + "X"):
        result = check_id_number(changed)
        assert not result.ok and describe(result)


@given(usccs())
def test_valid_usccs_pass_and_every_single_change_fails(code):
    assert check_uscc(code).ok
    for changed in single_changes(code, USCC_ALPHABET + "IOSVZ"):
        assert not check_uscc(changed).ok


@given(cards())
def test_valid_card_numbers_pass_and_every_single_change_fails(card):
    assert check_bank_card(card).ok
    for changed in single_changes(card, DIGITS):
        assert not check_bank_card(changed).ok


@pytest.mark.parametrize(
    ("check", "value", "problem", "words"),
    [
        (check_id_number, "11010519491231002", "length", "应为18位"),
        (check_id_number, "11010519491231002Y", "character", "第18位“Y”"),
        (check_id_number, "110105194902300025", "birth_date", "出生日期“19490230”"),
        (check_id_number, "110105299901010017", "birth_date", "出生日期"),
        (check_id_number, "110105194912310021", "check_digit", "校验位应为“X”"),
        (check_uscc, "91350100M000100Y4I", "character", "第18位“I”"),
        (check_uscc, "91350100M000100Y44", "check_digit", "校验位应为“3”"),
        (check_bank_card, "6222-0212-345", "card_length", "12–19位"),
        (check_id_number, "11010519491231002٠", "character", "第18位"),
        (check_bank_card, "622202123456789012A", "character", "第19位"),
        (check_bank_card, "6222021234567890127", "check_digit", "校验位应为“8”"),
    ],
)
def test_malformed_numbers_say_why(check, value, problem, words):
    result = check(value)
    assert result.problem == problem and words in describe(result)


def test_spaces_and_lower_case_are_normalised():
    assert check_id_number(" 11010519491231002x ").value == "11010519491231002X"
    assert check_bank_card("6222 0212 3456 7890 128").ok
    assert check_id_number("１１０１０５１９４９１２３１００２Ｘ").value == "11010519491231002X"  # full-width input


def test_the_reserved_test_values_are_well_formed():
    assert check_id_number(sandbox.reserved_id_number()).ok and sandbox.refuses_id(sandbox.reserved_id_number())
    assert check_uscc(sandbox.reserved_uscc()).ok and sandbox.refuses_uscc(sandbox.reserved_uscc())
    assert check_bank_card(sandbox.reserved_card()).ok and sandbox.refuses_card(sandbox.reserved_card())


def test_cli_says_well_formed(capsys):
    call_command("identity", "check", "id-number", "11010519491231002X")
    assert "格式正确" in capsys.readouterr().out
    call_command("identity", "check", "uscc", "91350100M000100Y43")
    call_command("identity", "check", "bank-card", "6222021234567890128")


@pytest.mark.parametrize(
    ("kind", "value", "words"),
    [("id-number", "110105194912310021", "校验位"), ("uscc", "9135", "应为18位"), ("bank-card", "1234", "12–19位")],
)
def test_cli_exits_non_zero_with_the_reason(kind, value, words):
    with pytest.raises(CommandError, match=words):
        call_command("identity", "check", kind, value)
