from __future__ import annotations

from tests.families.conftest import school_a, school_b, teacher_a, teacher_b  # noqa: F401  (shared fixtures)
