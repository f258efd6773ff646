"""Intent-confirmation SMS codes (签章确认) against a brute force, with the shipped limits.

    .venv/bin/python bench/sms_quota_bench.py [--tasks 200]

Runs the real notify services on a throwaway SQLite database, inside one hour (nothing waits:
every code and guess lands in the same hourly window, which is what the limits count):

1. a bidder confirming 30 separate sign tasks in a row (each its own code, sent and then
   entered correctly): how many got a code;
2. an attacker flooding one task: codes obtained, wrong guesses accepted before every path is
   shut (5 tries per code, SMS_SIGN_PER_TASK_PER_HOUR codes per task);
3. an attacker spreading over `--tasks` tasks of one phone (needs that many tasks from a
   platform): codes and guesses until SMS_SIGN_PER_PHONE_PER_HOUR stops it;
and prints, for each, the chance that a 6-digit code is guessed within the hour
(guesses / 10^6), and that the login quota of the phone is untouched by all of it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(work: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "inkseal.settings",
            "INKSEAL_VAR_DIR": str(work),
            "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
            "INKSEAL_LOG_LEVEL": "WARNING",
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def attack(phone: str, purposes: list[str], ip: str) -> tuple[int, int]:
    """Codes obtained and wrong guesses counted, cycling over `purposes` until no code comes."""
    from django.conf import settings

    from inkseal.core.errors import RateLimited
    from inkseal.notify.models import SmsCode
    from inkseal.notify.services import send_code, verify_code

    codes = guesses = 0
    for purpose in purposes:
        while True:
            try:
                send_code(phone, purpose, ip)
            except RateLimited:
                break
            codes += 1
            for _ in range(settings.SMS_CODE_MAX_TRIES + 1):
                try:
                    verify_code(phone, purpose, "000000")
                except Exception:
                    pass
            guesses += SmsCode.objects.filter(phone=phone, purpose=purpose).order_by("-pk").first().failed_attempts
    return codes, guesses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=200, help="tasks the spreading attacker holds")
    args = parser.parse_args()
    setup(Path(tempfile.mkdtemp()))

    from django.conf import settings

    from inkseal.core.errors import RateLimited
    from inkseal.notify.models import SmsCode, SmsMessage
    from inkseal.notify.services import send_code, verify_code

    settings.SMS_PHONE_INTERVAL_SECONDS = 0  # worst case: the attacker never waits between sends
    print(
        f"limits: per task {settings.SMS_SIGN_PER_TASK_PER_HOUR}/h, per phone {settings.SMS_SIGN_PER_PHONE_PER_HOUR}/h,"
        f" per IP {settings.SMS_SIGN_PER_IP_PER_HOUR}/h (signing); login/verify {settings.SMS_PER_PHONE_PER_HOUR}"
        f" per phone/h; {settings.SMS_CODE_MAX_TRIES} tries per code"
    )

    bidder = "13900000001"
    confirmed = 0
    for task in range(30):
        try:
            send_code(bidder, f"sign:{task}", "10.0.0.1")
        except RateLimited as refused:
            print(f"  bidder refused at task {task + 1}: {refused.message}")
            break
        body = SmsMessage.objects.filter(phone=bidder).first().body  # type: ignore[union-attr]
        verify_code(bidder, f"sign:{task}", body.split("验证码为", 1)[1][:6])
        confirmed += 1
    print(f"1. bidder, 30 separate tasks in one hour: {confirmed}/30 confirmed by SMS code")

    one = "13900000002"
    codes, guesses = attack(one, ["sign:flood"], "10.0.0.2")
    print(f"2. flood on one task: {codes} codes, {guesses} wrong guesses, P(guess) = {guesses / 1e6:.1e} per hour")

    spread = "13900000003"
    codes, guesses = attack(spread, [f"sign:t{n}" for n in range(args.tasks)], "10.0.0.3")
    print(
        f"3. spread over {args.tasks} tasks of one phone: {codes} codes, {guesses} wrong guesses, "
        f"P(guess) = {guesses / 1e6:.1e} per hour"
    )

    login_ok = 0
    for _ in range(settings.SMS_PER_PHONE_PER_HOUR):
        try:
            send_code(spread, "login", "10.0.0.9")
            login_ok += 1
        except RateLimited:
            break
    print(f"4. login codes for the attacked phone afterwards: {login_ok}/{settings.SMS_PER_PHONE_PER_HOUR} sent")
    print(f"   ({SmsCode.objects.count()} codes issued in all)")


if __name__ == "__main__":
    main()
