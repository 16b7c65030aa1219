"""emopulse: emotion classification of Korean comments at population scale.

    import emopulse
    emopulse.Classifier().predict(["정말 최고예요"])                       # in memory
    emopulse.serve_batch(inputs=["s3://bucket/comments/"], output="s3://bucket/pred", model=None)
    emopulse.index(inputs=["s3://bucket/pred"], output="index/", freq="month")

Each stage (train, export, evaluate, serve_batch, index, watch, bench) is a function taking its args
dataclass (or the same fields as keywords): the dataclasses the CLI is generated from.
"""

__version__ = "0.2.0"

_STAGES = ("train", "export", "evaluate", "serve_batch", "index", "watch", "bench")


def __getattr__(name):  # lazy: `import emopulse` does not import onnxruntime, torch or polars
    if name == "Classifier":
        from .api import Classifier

        return Classifier
    if name in _STAGES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(name)


__all__ = ["Classifier", *_STAGES, "__version__"]
