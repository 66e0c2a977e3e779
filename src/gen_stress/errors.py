"""Exceptions shared across the package: user mistakes, failed generation, resampling."""


class UserError(Exception):
    """Bad input from the user: the CLI prints the message on one line and exits with 2."""


class GenerationError(Exception):
    """A sample could not be generated within its retry budget (a bug or impossible knobs)."""


class GlyphCoverageError(UserError):
    """A string was asked for in a font that does not draw every one of its characters."""


ECHO_CHARS = 80  # the most of a user's value an error message repeats


def clip(value, limit: int = ECHO_CHARS) -> str:
    """A user's value as an error message may echo it: at most `limit` characters, the
    rest replaced by an ellipsis and its length, so a huge value never floods stderr."""
    try:
        text = str(value)
    except ValueError:  # an int past Python's str() digit limit
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread so that every `with` block (partial
    folders, worker pools) cleans up on the way out. Not an Exception: no handler of
    ordinary errors may swallow it. `outcome` is what the user is told became of the
    output."""

    outcome = "partial output removed"


class Resample(Exception):
    """This attempt at a scene does not satisfy its constraints; try again from the same
    random stream. The message is the reason, counted in the dataset card."""
