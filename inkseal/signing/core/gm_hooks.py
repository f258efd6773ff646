"""Teach pyHanko SM2 (inkseal.signing.core.gmcms) when pyhanko-certvalidator is first imported, not at setup.

gmcms patches pyhanko-certvalidator's DefaultSignatureValidator, which must have happened before
any certificate path is validated, whoever imports the validator first (our signing modules, pki
trust, pyHanko itself). Importing gmcms in AppConfig.ready did that, at the price of loading
pyHanko (about 3 s) for every management command. Here a one-shot import hook runs gmcms right
after pyhanko_certvalidator.sig_validate (where the default validator lives) is executed.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

TRIGGER = "pyhanko_certvalidator.sig_validate"
HOOKS = "inkseal.signing.core.gmcms"


class _TeachAfterImport(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != TRIGGER:
            return None
        sys.meta_path.remove(self)  # one shot: the real finders locate the module
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        execute = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            importlib.import_module(HOOKS)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def teach_pyhanko_on_import() -> None:
    """Idempotent. Imports gmcms now if the validator is already loaded, else on its first import."""
    if TRIGGER in sys.modules:
        importlib.import_module(HOOKS)
    elif not any(isinstance(finder, _TeachAfterImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _TeachAfterImport())
