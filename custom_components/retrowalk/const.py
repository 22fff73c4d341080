"""Constants for the RetroWalk integration."""

from typing import Final

DOMAIN: Final = "retrowalk"
