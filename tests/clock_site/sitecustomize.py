"""Moves the clock of a Python process the tests start by as much as the tests' own (see tests/clock.py)."""

import os

_shift = os.environ.get("_LENDING_TEST_CLOCK_SHIFT_SECONDS")
if _shift:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_shift), tick=True).start()
    # A ticking clock starts from its first reading: read it now, or it lags by however long the imports take.
    time.time()
