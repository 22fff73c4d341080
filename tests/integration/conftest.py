"""Fixtures of the Home Assistant tests: the integration is loadable in every one."""

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/retrowalk."""
