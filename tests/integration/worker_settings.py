"""The settings of a worker process that delivers webhooks to a receiver on 127.0.0.1 over plain http, which the
outbound policy refuses outside the tests (and which no environment variable can allow)."""

from cohort.project.settings import *  # noqa: F403

OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
