"""Builders of small models and data for tests and speed figures (random checkpoints of a known shape,
tiny Gemma 3 LMs): not used by any stage at run time, kept out of the stage packages.

    from emopulse.testing.shapes import build_random_checkpoint, bundled_texts
    from emopulse.testing.gemma import build_tiny_gemma          # the LLM environment (transformers 5)
"""
