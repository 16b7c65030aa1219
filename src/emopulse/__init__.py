"""emopulse: emotion classification of Korean comments at population scale."""

__version__ = "0.1.0"
