"""What a user meets at the command line: typos named with a suggestion in one line, choices and every
default in --help, -V, help on a bare command."""

import json
import os
import re

import pytest

import emopulse
from emopulse.cli import STAGES, build_parser, main


def _sub(parser, name):
    return next(a for a in parser._actions if a.dest == "command").choices[name]


def _run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_an_unknown_option_names_itself_with_a_suggestion(capsys):
    code, _, err = _run(capsys, "serve-batch", "--inptu", "x.parquet", "--output", "o")
    assert code == 2
    assert err.splitlines()[0] == "emopulse serve-batch: error: unknown option --inptu; did you mean --input?"
    assert len(err.splitlines()) <= 2 and "usage:" not in err
    code, _, err = _run(capsys, "index", "--input", "p", "--output", "o", "--frq", "week")
    assert code == 2 and "unknown option --frq; did you mean --freq?" in err
    code, _, err = _run(capsys, "serve-bach", "--input", "x")
    assert code == 2 and "unknown stage 'serve-bach'; did you mean 'serve-batch'?" in err
    code, _, err = _run(capsys, "index", "--input", "p", "--output", "o", "--freq", "year")
    assert code == 2 and "invalid choice: 'year'" in err and "usage:" not in err


def test_prefixes_and_values_that_look_like_options_still_parse():
    ns = build_parser(["index"]).parse_args(["index", "--inp", "p", "--output", "o", "--k", "-1.5"])
    assert ns.inputs == ["p"] and ns.k == -1.5


def test_version_and_bare_commands_help(capsys):
    for flag in ("-V", "--version"):
        code, out, _ = _run(capsys, flag)
        assert code == 0 and out.strip() == f"emopulse {emopulse.__version__}"
    code, out, _ = _run(capsys)
    assert code == 0 and "serve-batch" in out and "usage: emopulse" in out
    code, out, _ = _run(capsys, "serve-batch")
    assert code == 0 and "--input PATH" in out and "--max-batch-tokens" in out


@pytest.mark.parametrize(
    "stage, flag, choices",
    [
        ("serve-batch", "--format", "{auto,parquet,csv,jsonl}"),
        ("serve-batch", "--engine", "{local,ray}"),
        ("serve-batch", "--device", "{cpu,cuda}"),
        ("serve-batch", "--dtype", "{fp16,bf16,fp32}"),
        ("index", "--freq", "{day,week,month}"),
        ("export", "--precision", "{fp32,optimized,int8,"),
    ],
)
def test_choices_are_listed_in_help(stage, flag, choices):
    text = _sub(build_parser([stage]), stage).format_help()
    assert f"{flag} {choices}" in text


@pytest.mark.parametrize("stage", [s.name for s in STAGES])
def test_every_optional_option_shows_its_default(stage):
    sub = _sub(build_parser([stage]), stage)
    for a in sub._actions:
        if a.required or not a.option_strings or a.dest == "help":
            continue
        assert "default" in (a.help or ""), f"{stage} {a.option_strings[0]}: no default in {a.help!r}"


def test_max_length_help_states_the_shipped_models_real_limit():
    import emopulse.model

    shipped = json.load(open(os.path.join(os.path.dirname(emopulse.model.__file__), "manifest.json")))["max_length"]
    for stage in ("serve-batch", "evaluate", "bench"):
        text = _sub(build_parser([stage]), stage)._option_string_actions["--max-length"].help
        assert f"({shipped} for the shipped model)" in text and "auto:" in text, text
    from emopulse.core.bundle import load_bundle

    assert load_bundle(emopulse.model.path()).max_length == shipped  # 0 (auto) resolves to it


def test_index_csv_figures_are_rounded(tiny_bundle, tmp_path):
    import pyarrow.parquet as pq

    from emopulse.index import IndexArgs, run

    from ..conftest import comments
    from ..serve_batch.helpers import serve

    pq.write_table(comments(200), tmp_path / "in.parquet")
    serve(tiny_bundle, [str(tmp_path / "in.parquet")], tmp_path / "pred", keep_cols=["date"])
    run(IndexArgs(inputs=[str(tmp_path / "pred")], output=str(tmp_path / "idx"), freq="month"))
    text = (tmp_path / "idx" / "index.csv").read_text()
    decimals = [len(m) for m in re.findall(r"\d\.(\d+)", text)]
    assert decimals and max(decimals) <= 4, text[:500]
