"""ISO dates and 24-hour times, as in every language (liman/formats/iso.py)."""

from liman.formats.iso import *  # noqa: F403
