"""Moved to emopulse.testing.shapes (test-model builders live outside the stage packages); this name
stays until every caller has moved."""

from ..testing.shapes import *  # noqa: F403
from ..testing.shapes import build_random_checkpoint, bundled_texts  # noqa: F401
