"""hf-sentiment's loggers, which follow transformers' verbosity.

The package logs through the standard `logging` module (so an application's handlers, and pytest's
`caplog`, see its records), and every logger made by `get_logger` drops the records below the
verbosity in force: transformers' own (`transformers.logging.set_verbosity_error()` quiets
hf-sentiment too), unless `set_verbosity` gave hf-sentiment one of its own, as the `hf-sentiment`
command does to show its progress at INFO while transformers stays at WARNING.

Example:

```python
import transformers
from hf_sentiment.utils.logging import get_verbosity

transformers.logging.set_verbosity_error()
assert get_verbosity() == transformers.logging.ERROR   # hf-sentiment's warnings are silenced too
transformers.logging.set_verbosity_warning()
```
"""

from __future__ import annotations

import logging

_verbosity: int | None = None


def set_verbosity(level: int | None) -> None:
    """Give hf-sentiment's loggers their own verbosity (`logging.INFO`, ...); `None` follows transformers again."""
    global _verbosity
    _verbosity = level


def get_verbosity() -> int:
    """The lowest level hf-sentiment's loggers let through: their own if set, else transformers'."""
    if _verbosity is not None:
        return _verbosity
    # Imported here: `hf-sentiment --help` must not pay for transformers.
    from transformers.utils import logging as transformers_logging

    return transformers_logging.get_verbosity()


class _FollowVerbosity(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= get_verbosity()


_FILTER = _FollowVerbosity()


def get_logger(name: str) -> logging.Logger:
    """The standard logger `name`, filtered by `get_verbosity()` (a module calls `get_logger(__name__)`)."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


__all__ = ["get_logger", "get_verbosity", "set_verbosity"]
