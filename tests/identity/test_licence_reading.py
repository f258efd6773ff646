"""Business licence photos: which are accepted, and what OCR reads from them (the real engine).

The licences are drawn by tests/identity/licences.py; bench/licence_bench.py runs the same
checks over a larger set and prints the table the floor below was measured from.
"""

from __future__ import annotations

import pytest

from inkseal.identity import imagecheck
from inkseal.identity.errors import VerificationInvalid
from inkseal.identity.providers.licence_ocr import OfflineOcrProvider
from inkseal.identity.services import checked_image
from tests.identity import licences

# bench/licence_bench.py measured 100% name and code hits over its 12 readable images; the
# suite's four must not fall below three of four.
HIT_RATE_FLOOR = 0.75


def test_a_clean_scan_on_near_white_paper_is_accepted_and_its_company_name_is_read():
    info = licences.licence(1)
    data = licences.clean_scan(info)
    facts = imagecheck.check_image(data)
    assert facts.brightness > 235  # the near-white page the old check called too bright
    reading = OfflineOcrProvider().read_licence(data)
    assert (reading.name, reading.uscc) == (info.company, info.uscc)


@pytest.mark.parametrize(
    ("make", "message"),
    [(licences.too_dark, "图片过暗"), (licences.too_bright, "图片过亮")],
)
def test_genuinely_dark_or_washed_out_photos_are_refused_with_the_right_message(make, message):
    with pytest.raises(VerificationInvalid) as refused:
        checked_image(make(licences.licence(2)), "营业执照/单位证件")
    assert str(refused.value.message).startswith("营业执照/单位证件：" + message)


def test_licences_as_scanned_and_photographed_are_accepted_and_read():
    samples = [
        (licences.licence(3), licences.skewed_scan),
        (licences.licence(4), lambda info: licences.phone_photo(info, seed=4)),
        (licences.licence(5), lambda info: licences.phone_photo(info, seed=5, blur=1.8)),
        (licences.licence(6), licences.clean_scan),
    ]
    hits = 0
    for info, make in samples:
        data = make(info)
        imagecheck.check_image(data)  # every one is readable: none may be refused
        reading = OfflineOcrProvider().read_licence(data)
        hits += (reading.name, reading.uscc) == (info.company, info.uscc)
    assert hits / len(samples) >= HIT_RATE_FLOOR
