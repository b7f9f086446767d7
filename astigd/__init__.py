"""astigd: objective-lens astigmatism correction and lens logging for TEMs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("astigd")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
