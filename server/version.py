"""The installed version, as NodeInfo and the about page report it."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("maillage")
except PackageNotFoundError:  # running from a source tree that was not installed
    VERSION = "0.0.0+source"
