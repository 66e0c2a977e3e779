"""Exceptions with a meaning for the user interface."""


class UserError(Exception):
    """Bad input from the user: the CLI prints the message on one line and exits with 2."""


class GenerationError(Exception):
    """A sample could not be generated within its retry budget (a bug or impossible knobs)."""


class GlyphCoverageError(UserError):
    """A string was asked for in a font that does not draw every one of its characters."""


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread so that every `with` block (partial
    folders, worker pools) cleans up on the way out. Not an Exception: no handler of
    ordinary errors may swallow it."""
