"""Logging filters."""

import logging
import re

# A feed URL is a bearer credential: whoever reads the log could subscribe as its owner.
FEED_TOKEN_IN_PATH = re.compile(r"(/feeds/)[A-Za-z0-9_\-]{16,}")


class ScrubFeedTokens(logging.Filter):
    """Replace the secret part of any calendar-feed URL in a log record with a placeholder."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = FEED_TOKEN_IN_PATH.sub(r"\1[token]", message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True
