"""Every rule and fixer module is registered: a rule missing from ALL_RULES never runs and is
never documented, a fixer missing from FIXERS never fixes, and no other test would notice."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import tools.validate.fixes
import tools.validate.rules
from tools.validate.fixes.base import Fixer
from tools.validate.fixes.registry import FIXERS
from tools.validate.rules import ALL_RULES, Rule

# Modules of the fixes package that hold the machinery rather than one fixer each.
_FIXES_MACHINERY = frozenset({"apply", "base", "registry", "tree"})


def _modules(package: ModuleType, skip: frozenset[str]) -> list[str]:
    """The package's public modules, apart from `skip` (private helpers start with `_`)."""
    return sorted(
        f"{package.__name__}.{module.name}"
        for module in pkgutil.iter_modules(package.__path__)
        if not module.name.startswith("_") and module.name not in skip
    )


def _defined(module_name: str, base: type) -> list[type]:
    """Subclasses of `base` that `module_name` defines itself (imported ones belong elsewhere)."""
    module = importlib.import_module(module_name)
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, base)
        and value is not base
        and value.__module__ == module_name
    ]


RULE_MODULES = _modules(tools.validate.rules, frozenset({"base"}))
FIXER_MODULES = _modules(tools.validate.fixes, _FIXES_MACHINERY)


@pytest.mark.parametrize("module_name", RULE_MODULES)
def test_every_rule_class_is_registered(module_name: str) -> None:
    rules = _defined(module_name, Rule)
    assert rules, f"{module_name} defines no Rule subclass"
    missing = [rule.__name__ for rule in rules if rule not in ALL_RULES]
    assert not missing, f"add {missing} to ALL_RULES in tools/validate/rules/__init__.py"


@pytest.mark.parametrize("module_name", FIXER_MODULES)
def test_every_fixer_is_registered(module_name: str) -> None:
    fixers = _defined(module_name, Fixer)
    assert fixers, f"{module_name} defines no Fixer subclass"
    missing = [fixer.__name__ for fixer in fixers if FIXERS.get(fixer.rule_id) is not fixer]
    assert not missing, f"add {missing} to FIXERS in tools/validate/fixes/registry.py"


def test_the_modules_are_found() -> None:
    assert "tools.validate.rules.sync_client" in RULE_MODULES
    assert "tools.validate.fixes.sync_client" in FIXER_MODULES
