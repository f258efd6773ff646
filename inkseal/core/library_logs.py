"""Library log records of expected verdicts stay one line (no traceback in CLI or server logs).

pyHanko logs "Failed to build path for …" with the PathBuildingError's traceback whenever a
signature chains to a CA we do not trust: an answer the verification report gives, not a fault.
The filter keeps the record and its reason (the exception's message), drops the stack trace.
Records from our own code keep their tracebacks.
"""

from __future__ import annotations

import logging

LIBRARIES = ("pyhanko", "pyhanko_certvalidator")


class OneLineLibraryExceptions(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.name.split(".")[0] in LIBRARIES and record.levelno < logging.ERROR:
            exception = record.exc_info[1]
            if exception is not None:
                record.msg = f"{record.getMessage()}: {type(exception).__name__}: {exception}"
                record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True
