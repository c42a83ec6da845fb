"""Logging filters."""

import logging
import re

# URLs that are bearer credentials: whoever reads the log could use them as their owner.
SECRET_IN_URL = [
    # A calendar feed: subscribe as its owner.
    (re.compile(r"(/feeds/)[A-Za-z0-9_\-]{16,}"), r"\1[token]"),
    # A set-password link: choosing a password logs its owner in. The first request carries the token; Django
    # then redirects to .../set-password/, which names no secret.
    (re.compile(r"(/reset/[A-Za-z0-9_\-]+/)(?!set-password/)[A-Za-z0-9_\-]+"), r"\1[token]"),
    # A sign-in link: used once, but until then it signs its owner in.
    (re.compile(r"(/sign-in/)[A-Za-z0-9_\-]{16,}"), r"\1[token]"),
    # A Slack incoming webhook (if a library's error message ever names one): post as the team's app.
    (re.compile(r"(/services/)[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+"), r"\1[secret]"),
]


def scrub_secrets(text: str) -> str:
    for pattern, placeholder in SECRET_IN_URL:
        text = pattern.sub(placeholder, text)
    return text


class ScrubSecrets(logging.Filter):
    """Replace the secret part of any credential-bearing URL in a log record (message and traceback) with a
    placeholder. settings.LOGGING routes every logger's records through the one handler that has it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub_secrets(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            # Formatted here, once, so an exception message naming a secret URL is scrubbed too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_secrets(record.exc_text)
        return True
