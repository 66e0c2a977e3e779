"""gen-stress: synthetic stress-test datasets for vision-language models."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gen-stress")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
