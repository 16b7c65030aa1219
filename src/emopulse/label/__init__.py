"""label: LLM labelling (vLLM, in its own environment) and agreement between label sets."""
