import pytest


@pytest.fixture
def local_webhooks(settings) -> None:
    """Let webhooks reach the plain-http test server on 127.0.0.1, which the outbound policy refuses otherwise."""
    settings.OUTBOUND_WEBHOOK_HOSTS = ["127.0.0.1"]
    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
