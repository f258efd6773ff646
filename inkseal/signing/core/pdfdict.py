"""Reading PDF dictionaries safely: `dict.get` on pyHanko objects skips decryption and dereferencing."""

from __future__ import annotations

from typing import Any

from pyhanko.pdf_utils import generic


def lookup(container: Any, key: str, default: Any = None) -> Any:
    """`container[key]` (dereferenced, decrypted), or `default` when absent or not a dictionary."""
    if not isinstance(container, generic.DictionaryObject):
        return default
    try:
        return container[key]
    except KeyError:
        return default
