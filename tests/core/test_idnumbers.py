"""Check digits of resident ID numbers (GB 11643) and unified social credit codes (GB 32100)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from inkseal.core.idnumbers import (
    USCC_ALPHABET,
    id_check_char,
    is_valid_id_number,
    is_valid_phone,
    is_valid_uscc,
    uscc_check_char,
)
from inkseal.core.masking import mask_id_number, mask_name, mask_phone


def test_known_id_numbers():
    assert is_valid_id_number("11010519491231002X")
    assert is_valid_id_number("11010519491231002x")
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number("110105194902300025")  # 30 February


def test_known_uscc():
    assert is_valid_uscc("91350100M000100Y43")
    assert not is_valid_uscc("91350100M000100Y44")
    assert not is_valid_uscc("91350100M000100YI3")  # I is not in the alphabet


dates = st.dates().filter(lambda d: 1900 <= d.year <= 2099)


@given(st.from_regex(r"\A\d{6}\Z"), dates, st.from_regex(r"\A\d{3}\Z"))
def test_every_id_number_with_its_check_char_is_valid(region, birth, seq):
    first17 = f"{region}{birth:%Y%m%d}{seq}"
    assert is_valid_id_number(first17 + id_check_char(first17))


@given(st.from_regex(r"\A\d{6}\Z"), dates, st.from_regex(r"\A\d{3}\Z"), st.sampled_from("0123456789X"))
def test_a_wrong_check_char_is_refused(region, birth, seq, check):
    first17 = f"{region}{birth:%Y%m%d}{seq}"
    assert is_valid_id_number(first17 + check) == (check == id_check_char(first17))


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
def test_every_uscc_with_its_check_char_is_valid(first17):
    assert is_valid_uscc(first17 + uscc_check_char(first17))


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17), st.integers(0, 16), st.sampled_from(USCC_ALPHABET))
def test_a_single_substitution_is_detected(first17, position, replacement):
    code = first17 + uscc_check_char(first17)
    changed = code[:position] + replacement + code[position + 1 :]
    assert is_valid_uscc(changed) == (changed == code)


@given(st.text(max_size=40))
def test_validators_never_raise(text):
    is_valid_id_number(text)
    is_valid_uscc(text)
    is_valid_phone(text)


def test_masks_match_the_manual():
    assert mask_phone("18800005473") == "188****5473"
    assert mask_id_number("430524199003080524") == "430*****524"
    assert mask_name("刘婧妍") == "刘*妍"
