"""`emopulse.serve_batch(...)`, `emopulse.index(...)`: a stage's package is also its function.

Python sets a sub-package as an attribute of its parent when it is imported, so a function of the
same name in `emopulse/__init__.py` would be replaced by the module. Instead the module itself is
made callable: `emopulse.serve_batch(ServeBatchArgs(...))` or `emopulse.serve_batch(model=..., ...)`
(keywords build the same dataclass the CLI builds, validated the same way, and are read as the CLI
reads its options: `keep_cols="date,source"`, `inputs="pred/"`, `input=` as an alias of `inputs=`).
"""

from __future__ import annotations

import sys
import types


def make_callable(module_name: str, fn, args_cls) -> None:
    def __call__(self, args=None, /, **kw):
        if args is None:
            from .options import from_keywords

            args = from_keywords(args_cls, kw, f"emopulse.{module_name.rsplit('.', 1)[-1]}()")
        elif kw:
            raise TypeError(f"{module_name}: pass an {args_cls.__name__} or keywords, not both")
        elif not isinstance(args, args_cls):
            raise TypeError(f"{module_name}: expected {args_cls.__name__}, got {type(args).__name__}")
        from .errors import EmopulseError

        try:
            return fn(args)
        except EmopulseError as exc:  # the same error, its advice in keywords: resume=True, not --resume
            raise type(exc)(python_advice(str(exc), args_cls)) from exc

    module = sys.modules[module_name]
    module.__class__ = type("CallableStage", (types.ModuleType,), {"__call__": __call__, "__doc__": fn.__doc__})


def python_advice(message: str, args_cls) -> str:
    """An error message's command-line options as the keywords of `args_cls`: `--resume` ->
    `resume=True` (a switch), `--id-col` -> `id_col=` (a value); other text is left as it is."""
    import dataclasses
    import re

    fields = {f.name: f for f in dataclasses.fields(args_cls)}

    def keyword(m: re.Match) -> str:
        name = m.group(1).replace("-", "_")
        f = fields.get(name) or fields.get({"input": "inputs"}.get(name, ""))
        if f is None:
            return m.group(0)
        return f"{f.name}=True" if f.type in (bool, "bool") else f"{f.name}="

    return re.sub(r"(?<![\w-])--([a-z][a-z0-9-]*)", keyword, message)
