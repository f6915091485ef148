"""One exception hierarchy; cli.py turns it into a one-line message and an exit code."""

from __future__ import annotations


class ScanError(Exception):
    """Base of every error lekk reports to the user (exit code 2)."""


class RuleError(ScanError):
    """A rule pack is broken: the message names the file and the rule id."""


class ConfigError(ScanError):
    """A configuration file or option is broken."""


class SourceError(ScanError):
    """An input (path, repository, archive, URL) cannot be read at all."""
