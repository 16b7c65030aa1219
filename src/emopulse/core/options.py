"""One home for every option: a stage's args dataclass. The command line, the EMOPULSE_* environment
variables and `--config FILE` are all derived from its fields, so a default exists once.

A field's metadata (from `opt`) gives its help text and, where it differs from the field name, its
flag (`--input` for `inputs`), old names kept as aliases, choices, or `cli=False` for fields set in
code only. Precedence: command line > environment (EMOPULSE_<FLAG>, e.g. EMOPULSE_MAX_BATCH_TOKENS)
> config file (TOML or YAML; keys are flags or field names, top level or under a `[stage]` table)
> the dataclass default.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import types
import typing
from dataclasses import MISSING, field


class SettingsExit(SystemExit):
    """A bad setting found while the parser is built (environment, --config): one line, exit 10,
    as EmopulseError (argparse's own usage errors keep exit 2)."""

    def __init__(self, message: str):
        import sys

        print(f"emopulse: error: {message}", file=sys.stderr)
        super().__init__(10)


def opt(
    default=MISSING,
    help: str = "",
    *,
    factory=None,
    flag: str | None = None,
    aliases=(),
    choices=None,
    metavar: str | None = None,
    nargs: str | None = None,
    positional: bool = False,
    cli: bool = True,
    auto: str | None = None,
):
    """A field with its option's metadata. `auto` says what the default (0 or None) resolves to; help
    shows it as "(default: auto: ...)"."""
    md = {
        "help": help,
        "flag": flag,
        "aliases": tuple(aliases),
        "choices": choices,
        "metavar": metavar,
        "nargs": nargs,
        "positional": positional,
        "cli": cli,
        "auto": auto,
    }
    if factory is not None:
        return field(default_factory=factory, metadata=md)
    return field(default=default, metadata=md)


# what max_length 0 means (core.bundle.load_bundle); tests check the figure against the shipped manifest
AUTO_MAX_LENGTH = "a bundle's exported limit (128 for the shipped model), 256 for a checkpoint"


def csv(text: str) -> list[str]:
    return [t.strip() for t in str(text).split(",") if t.strip()]


def _pairs(kind):
    def parse(text):
        if isinstance(text, dict):
            return {k: kind(v) for k, v in text.items()}
        out = {}
        for item in csv(text) if kind is float else [text]:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise argparse.ArgumentTypeError(f"wants KEY=VALUE, got {item!r}")
            try:
                out[key.strip()] = kind(value.strip())
            except ValueError:
                raise argparse.ArgumentTypeError(f"{key}: {value!r} is not a number") from None
        return out

    return parse


def _list_of(kind):
    def parse(text):
        if isinstance(text, (list, tuple)):
            return [kind(x) for x in text]
        try:
            return [kind(x) for x in csv(text)]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: not a comma-separated list of {kind.__name__}") from None

    return parse


def _bool(text) -> bool:
    if isinstance(text, bool):
        return text
    low = str(text).strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off", ""):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not a boolean")


def _unwrap(tp):
    """(base type, optional) of an annotation such as `int | None`."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return tp, False


def _converter(tp):
    base, _ = _unwrap(tp)
    origin = typing.get_origin(base)
    if base is bool:
        return _bool
    if origin is list:
        (item,) = typing.get_args(base) or (str,)
        return _list_of(item)
    if origin is dict:
        kind = typing.get_args(base)[1] if typing.get_args(base) else str
        return _pairs(kind)
    if base in (int, float, str):
        return base
    return str


def cli_fields(cls, skip=()) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if f.metadata.get("cli", True) and f.name not in skip]


def flag_of(f: dataclasses.Field) -> str:
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


def env_name(f: dataclasses.Field) -> str:
    return "EMOPULSE_" + flag_of(f).lstrip("-").replace("-", "_").upper()


def _default(f: dataclasses.Field):
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return MISSING


def _show(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def add_options(parser: argparse.ArgumentParser, cls, skip=(), config: dict | None = None) -> None:
    """Add one option per CLI field of `cls`; defaults from the environment, then `config`, then the
    dataclass. Help shows the effective default."""
    hints = typing.get_type_hints(cls)
    config = config or {}
    parser.register("action", "append_dict", _AppendDict)
    for f in cli_fields(cls, skip):
        md, tp = f.metadata, hints[f.name]
        base, optional = _unwrap(tp)
        conv = _converter(tp)
        flag = flag_of(f)
        default, origin = _default(f), "default"
        for key in (flag.lstrip("-"), f.name):
            if key in config:
                default, origin = config[key], "config"
        if env_name(f) in os.environ:
            default, origin = os.environ[env_name(f)], "env"
        if origin != "default" and default is not None:
            try:
                default = conv(default) if not (md.get("nargs") and isinstance(default, list)) else default
            except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
                src = env_name(f) if origin == "env" else f"--config key {f.name}"
                raise SettingsExit(f"{src}={default!r}: {_why(exc, base)}") from None
            if md.get("nargs") and isinstance(default, str):
                default = [default]
            if md.get("choices") and default not in md["choices"]:
                src = env_name(f) if origin == "env" else f"--config key {f.name}"
                raise SettingsExit(f"{src}={default!r}: not one of {', '.join(map(str, md['choices']))}")
        required = default is MISSING
        text = md.get("help") or ""
        text += default_text(default, origin, md, base, text)
        if origin != "default":
            text += f" [set by {env_name(f) if origin == 'env' else '--config'}]"
        kw = {"help": text.strip().replace("%", "%%"), "dest": f.name}
        if base is not bool:  # choices are listed in the option's own line: --device {cpu,cuda}
            kw["metavar"] = md.get("metavar") or (
                "{" + ",".join(map(str, md["choices"])) + "}"
                if md.get("choices")
                else "PATH"
                if md.get("nargs")
                else flag.lstrip("-").upper().replace("-", "_")
            )
        if md.get("choices"):
            kw["choices"] = md["choices"]
        if md.get("positional"):
            kw.pop("dest")
            parser.add_argument(f.name, type=conv, **kw)
            continue
        names = [flag, *md.get("aliases", ())]
        if base is bool:
            if default is False:  # a plain switch; --no-x only where the default is on (or unset)
                parser.add_argument(*names, action="store_true", default=False, **kw)
            else:
                parser.add_argument(
                    *names, action=argparse.BooleanOptionalAction, default=None if default is MISSING else default, **kw
                )
            continue
        if md.get("nargs"):
            kw["nargs"] = md["nargs"]
            kw["action"] = _ExtendList
            conv = str
        elif typing.get_origin(base) is list:  # comma-separated: --keep-cols date,source --keep-cols id
            kw["action"] = _ExtendList
        elif typing.get_origin(base) is dict and typing.get_args(base)[1] is str:
            kw["action"] = "append_dict"
        parser.add_argument(*names, type=conv, required=required, default=None if required else default, **kw)


class _ExtendList(argparse.Action):
    """A list option given twice adds up (`--input a.csv --input b.csv` is both files, `--keep-cols a
    --keep-cols b` both columns; argparse's plain store kept only the last, silently dropping a.csv);
    its first use replaces the default / env / config value."""

    def __call__(self, parser, namespace, values, option_string=None):
        current = getattr(namespace, self.dest, None)
        setattr(namespace, self.dest, (current if current is not self.default and current else []) + list(values))


def default_text(default, origin: str, md, base, text: str) -> str:
    """' (default: ...)' for an option's help: the value, 'auto: ...' for one resolved at run time,
    'off' for a switch, 'none' for an unset optional value; nothing for a required option or where the
    help already says what the default is."""
    if default is MISSING:
        return ""
    if md.get("auto") and origin == "default":
        return f" (default: auto: {md['auto']})"
    if base is bool and isinstance(default, bool):
        return f" (default: {'on' if default else 'off'})"
    if default in (None, [], {}, ""):
        return "" if "default" in text else " (default: none)"
    return f" (default: {_show(default)})"


def _why(exc: Exception, base) -> str:
    if isinstance(exc, argparse.ArgumentTypeError):
        return str(exc)
    return f"not {'an integer' if base is int else 'a number' if base is float else 'a valid value'}"


def option_keys(classes, skip_of=lambda cls: ()) -> set[str]:
    """Every name an option of these classes may be given by in a --config file."""
    keys = set()
    for cls in classes:
        for f in cli_fields(cls, skip_of(cls)):
            keys |= {f.name, flag_of(f).lstrip("-"), *(a.lstrip("-") for a in f.metadata.get("aliases", ()))}
    return keys


def unknown_config_keys(path: str, stage: str, stage_keys: set[str], all_keys: dict[str, set[str]]) -> list[str]:
    """Keys of a --config file no option takes: a top-level key no stage knows, a key of this stage's
    table that this stage does not know, a table named after no stage. (A misspelled key would
    otherwise be ignored without a word.)"""
    data = _read_config(path)
    everything = set().union(*all_keys.values()) | stage_keys
    bad = [k for k, v in data.items() if not isinstance(v, dict) and k not in everything]
    for name, table in data.items():
        if not isinstance(table, dict):
            continue
        if name.replace("_", "-") not in all_keys:
            bad.append(f"[{name}] (not a stage)")
        elif name.replace("_", "-") == stage:
            bad += [f"[{name}] {k}" for k in table if k not in stage_keys]
    return bad


class _AppendDict(argparse.Action):
    """--storage-option KEY=VALUE, repeated: one dict."""

    def __call__(self, parser, ns, values, option_string=None):
        current = dict(getattr(ns, self.dest) or {})
        current.update(values)
        setattr(ns, self.dest, current)


def keyword_names(cls) -> dict[str, str]:
    """Every keyword a stage function takes -> its field: the field name, its flag and aliases without
    dashes (`input` for `--input`), and `inputs`/`input` for whichever field reads the data."""
    names: dict[str, str] = {}
    for f in dataclasses.fields(cls):
        for flag in (flag_of(f), *f.metadata.get("aliases", ())):
            names.setdefault(flag.lstrip("-").replace("-", "_"), f.name)
        if flag_of(f) == "--input":
            names.setdefault("inputs", f.name)
            names.setdefault("input", f.name)
    for f in dataclasses.fields(cls):
        names[f.name] = f.name
    return names


def from_keywords(cls, kw: dict, where: str):
    """The args dataclass from Python keywords, read as the command line reads its options: a comma
    string for a list field (keep_cols="date,source"), one path for a list of paths (inputs="pred/"),
    a one-item list for a single path (evaluate(inputs=["x.parquet"])), the flag's name as an alias
    (input= for inputs=). An unknown keyword is a TypeError naming the closest one."""
    import difflib

    names = keyword_names(cls)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    out: dict = {}
    for key, value in kw.items():
        if key not in names:
            close = difflib.get_close_matches(key, list(names), n=1)
            raise TypeError(f"{where}: unknown keyword {key!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
        name = names[key]
        if name in out:
            raise TypeError(f"{where}: {key!r} and another name for the same option ({name!r}) given together")
        out[name] = _coerce(value, hints[name], fields[name])
    return cls(**out)


def _coerce(value, tp, f: dataclasses.Field):
    base, _ = _unwrap(tp)
    if value is None:
        return value
    if typing.get_origin(base) is list and isinstance(value, str):
        return [value] if f.metadata.get("nargs") else _converter(tp)(value)
    if typing.get_origin(base) is list and isinstance(value, tuple):
        return list(value)
    if base is str and isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise TypeError(f"{f.name} takes one path, got {len(value)}")
        return value[0]
    if base is str and hasattr(value, "__fspath__"):
        return str(value)
    if typing.get_origin(base) is list and isinstance(value, list):
        return [str(v) if hasattr(v, "__fspath__") else v for v in value]
    if typing.get_origin(base) is dict and isinstance(value, str):
        return _converter(tp)(value)
    return value


def build(cls, ns, skip=(), **extra):
    """The dataclass from parsed arguments (its __post_init__ validates)."""
    kw = {f.name: getattr(ns, f.name) for f in cli_fields(cls, skip) if hasattr(ns, f.name)}
    return cls(**(kw | extra))


def parser_defaults(parser: argparse.ArgumentParser) -> dict:
    return {a.dest: a.default for a in parser._actions if a.dest not in ("help", "version")}


def load_config(path: str, stage: str) -> dict:
    """A TOML or YAML file: top-level keys for every stage, a [stage] table for one."""
    data = _read_config(path)
    out = {k: v for k, v in data.items() if not isinstance(v, dict)}
    out.update(dict((data.get(stage) or data.get(stage.replace("-", "_")) or {}).items()))
    return out


def _read_config(path: str) -> dict:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise SettingsExit(f"--config {path}: {exc.strerror}") from None
    try:
        if path.endswith((".yaml", ".yml")):
            import yaml

            data = yaml.safe_load(raw) or {}
        else:
            import tomllib

            data = tomllib.loads(raw.decode())
    except Exception as exc:  # noqa: BLE001 - toml and yaml raise their own kinds
        raise SettingsExit(
            f"--config {path}: not valid {'YAML' if path.endswith(('yaml', 'yml')) else 'TOML'} "
            f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        ) from None
    if not isinstance(data, dict):
        raise SettingsExit(f"--config {path}: expected a table of options")
    return data
