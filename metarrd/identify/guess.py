"""guessit, one call at a time in the whole process.

guessit's module-level API keeps one parser whose options are the last call's: `guessit(name,
options)` configures it (`GuessItApi.configure`: the effective options, and a rebuilt rule set
when the advanced config changes), then reads `self.effective_options` back to parse. Two
threads calling it at once with different options (a movie's name with `type: movie`, an
episode's with `type: episode` and its show's title as `expected_title`: the daemon runs a
movie scan, a TV scan's probe threads and identify jobs side by side) read each other's options,
or a rule set being rebuilt: an episode parsed as a movie, numbers lost, or rebulk's
"list.remove(x): x not in list". A name is read in well under a millisecond to a few, so one
lock costs the scan nothing that matters (its stream details, the slow part, stay parallel).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from guessit import guessit as _guessit
from guessit.api import GuessitException

log = logging.getLogger(__name__)

_ONE_AT_A_TIME = threading.Lock()


def guessit(name: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """`guessit.guessit`, never alongside another call of it. A name guessit fails on inside
    (its rules' IndexError on `-.mkv` with the expected title `_`) is one it reads nothing in:
    `{}`, as for a name of no words; its report (thousands of characters of its options) had
    been the item's error."""
    with _ONE_AT_A_TIME:
        try:
            return _guessit(name, options)
        except GuessitException as exc:
            cause = exc.__cause__ or exc.__context__
            log.debug("guessit failed on %r: %r", name, cause)
            return {}
