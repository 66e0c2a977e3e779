"""Subcommands beyond generation. Every module here that defines `COMMANDS` (a list of
click commands) adds them to `gen-stress`; nothing else needs editing."""

from __future__ import annotations

import importlib
import pkgutil

import click


def discover() -> list[click.Command]:
    commands: list[click.Command] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        commands.extend(getattr(importlib.import_module(f"{__name__}.{module.name}"), "COMMANDS", []))
    return commands
