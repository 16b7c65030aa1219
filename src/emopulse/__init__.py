"""emopulse: emotion classification of Korean comments at population scale."""

__version__ = "0.2.0"


def __getattr__(name):  # `from emopulse import Classifier` without importing onnxruntime at `import emopulse`
    if name == "Classifier":
        from .api import Classifier
        return Classifier
    raise AttributeError(name)


__all__ = ["Classifier", "__version__"]
