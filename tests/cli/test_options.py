"""The CLI is derived from the stage dataclasses: defaults exist once, env vars and --config files
set them, help shows them, names are consistent across stages."""

import dataclasses
import os
import subprocess
import sys

import pytest

from emopulse.cli import STAGES, build_parser
from emopulse.core.options import cli_fields, flag_of


def _sub(parser, name):
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices[name]


def _default(f):
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


@pytest.mark.parametrize("stage", [s.name for s in STAGES])
def test_every_flag_comes_from_the_dataclass_with_its_default(stage):
    parser = build_parser([stage])
    sub = _sub(parser, stage)
    dests = {a.dest: a for a in sub._actions}
    spec = next(s for s in STAGES if s.name == stage)
    n = 0
    for cls, skip in spec.classes():
        for f in cli_fields(cls, skip):
            assert f.name in dests, f"{stage}: {f.name} has no option"
            action = dests[f.name]
            assert action.default == _default(f), f"{stage} {flag_of(f)}: parser {action.default!r} != {_default(f)!r}"
            if f.metadata.get("help") and _default(f) not in (None, False, [], {}, ""):
                assert "(default:" in action.help, f"{stage} {flag_of(f)} help shows no default"
            n += 1
    own = {a.dest for a in sub._actions} - {"help", "config", "log_level", "log_format"}
    fields = {f.name for cls, skip in spec.classes() for f in cli_fields(cls, skip)}
    assert own == fields, f"{stage}: options outside the dataclasses: {own - fields}"
    assert n > 0


def test_consistent_names_across_stages():
    for stage in ("serve-batch", "index", "bench", "evaluate", "train", "calibrate", "agree", "label", "export"):
        sub = _sub(build_parser([stage]), stage)
        flags = {o for a in sub._actions for o in a.option_strings}
        assert "--input" in flags, f"{stage} has no --input"
    for stage in ("serve-batch", "export", "bench"):
        assert "--device" in {o for a in _sub(build_parser([stage]), stage)._actions for o in a.option_strings}
    for stage in ("bench", "demo", "label", "train"):
        assert "--max-rows" in {o for a in _sub(build_parser([stage]), stage)._actions for o in a.option_strings}
    ids = {
        s: _sub(build_parser([s]), s)._option_string_actions["--id-col"].default
        for s in ("serve-batch", "label", "agree")
    }
    # streaming stages: not given = the column 'id' where a file has one; a named one must exist (issue 22)
    assert ids == {"serve-batch": None, "label": None, "agree": "id"}


def test_old_names_still_work_and_env_and_config_set_defaults(tmp_path, monkeypatch):
    ns = build_parser().parse_args(["index", "--predictions", "p", "--output", "o"])
    assert ns.inputs == ["p"]
    ns = build_parser().parse_args(["bench", "--model", "m", "--input", "d", "--compare", "a", "b", "--labelled", "l"])
    assert ns.compare == ["a", "b"] and ns.labelled == "l"  # model paths: one per word, like --input
    ns = build_parser().parse_args(["export", "--model", "m", "--output", "o", "--target", "cuda"])
    assert ns.device == "cuda"

    monkeypatch.setenv("EMOPULSE_MAX_BATCH_TOKENS", "4096")
    monkeypatch.setenv("EMOPULSE_KEEP_COLS", "date,source")
    argv = ["serve-batch", "--input", "x.parquet", "--output", "o"]
    ns = build_parser(argv).parse_args(argv)
    assert ns.max_batch_tokens == 4096 and ns.keep_cols == ["date", "source"]
    argv2 = argv + ["--max-batch-tokens", "1024"]
    assert build_parser(argv2).parse_args(argv2).max_batch_tokens == 1024  # the command line wins
    monkeypatch.setenv("EMOPULSE_MAX_BATCH_TOKENS", "lots")
    with pytest.raises(SystemExit) as exc:
        build_parser(argv)
    assert exc.value.code == 10
    monkeypatch.delenv("EMOPULSE_MAX_BATCH_TOKENS")

    toml = tmp_path / "job.toml"
    toml.write_text('rows-per-part = 500\n[serve-batch]\noutput = "from-config"\ninput = ["a.parquet"]\nworkers = 2\n')
    argv = ["serve-batch", "--config", str(toml)]
    ns = build_parser(argv).parse_args(argv)  # required options supplied by the file
    assert (ns.output, ns.inputs, ns.workers, ns.rows_per_part) == ("from-config", ["a.parquet"], 2, 500)
    yaml = tmp_path / "job.yaml"
    yaml.write_text("index:\n  freq: month\n  input: [p]\n  output: o\n")
    argv = ["index", "--config", str(yaml)]
    assert build_parser(argv).parse_args(argv).freq == "month"


def test_a_list_option_given_twice_adds_up_and_replaces_its_config_default(tmp_path, monkeypatch):
    """`--input a --input b` once kept only b, silently (a fresh user's find); every list option."""
    ns = build_parser().parse_args(["serve-batch", "--input", "a.csv", "--input", "b.csv", "c.csv", "--output", "o"])
    assert ns.inputs == ["a.csv", "b.csv", "c.csv"]
    ns = build_parser().parse_args(
        ["serve-batch", "--input", "a", "--output", "o", "--keep-cols", "x", "--keep-cols", "y"]
    )
    assert ns.keep_cols == ["x", "y"]
    monkeypatch.setenv("EMOPULSE_KEEP_COLS", "date,source")
    argv = ["serve-batch", "--input", "a", "--output", "o", "--keep-cols", "x", "--keep-cols", "y"]
    assert build_parser(argv).parse_args(argv).keep_cols == ["x", "y"]  # the command line replaces the env value
    argv = ["serve-batch", "--input", "a", "--output", "o"]
    assert build_parser(argv).parse_args(argv).keep_cols == ["date", "source"]
    a, b = build_parser(argv).parse_args(argv), build_parser(argv).parse_args(argv)
    assert a.keep_cols == b.keep_cols == ["date", "source"]  # no parse adds to a default another one shares


def test_help_shows_defaults_and_no_doubled_percent():
    env = {**os.environ, "COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-m", "emopulse.cli", "index", "--help"], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "95 %%" not in out and "95 %" in out
    assert "(default: day)" in out and "(default: Asia/Seoul)" in out
    v = subprocess.run([sys.executable, "-m", "emopulse.cli", "--version"], capture_output=True, text=True, check=True)
    from emopulse import __version__

    assert v.stdout.strip() == f"emopulse {__version__}"


def test_log_format_json(tmp_path, tiny_bundle):
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": ["좋아요", "싫어요"] * 50}), tmp_path / "in.parquet")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "emopulse.cli",
            "serve-batch",
            "--model",
            tiny_bundle,
            "--input",
            str(tmp_path / "in.parquet"),
            "--output",
            str(tmp_path / "o"),
            "--log-format",
            "json",
            "--log-level",
            "debug",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("{")]
    assert lines, r.stderr
    for ln in lines:
        rec = json.loads(ln)
        assert {"time", "level", "logger", "message"} <= set(rec)
