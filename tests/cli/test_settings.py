"""Bad settings are one line and exit 10, the same from the environment, a --config file and flags
(issue 22): never a traceback, never exit 1, never silently ignored."""

import os
import subprocess
import sys

import pytest

from emopulse.cli import build_parser

ARGV = ["serve-batch", "--input", "x.parquet", "--output", "o"]


def _cli(*argv, env=None, cwd=None):
    e = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "emopulse", *argv], capture_output=True, text=True, env=e, cwd=cwd, timeout=300
    )


@pytest.mark.parametrize(
    "name,value,why",
    [
        ("EMOPULSE_MAX_BATCH_TOKENS", "abc", "not an integer"),
        ("EMOPULSE_HEARTBEAT", "soon", "not a number"),
        ("EMOPULSE_LOG_LEVEL", "loud", "not one of debug, info, warning, error"),
        ("EMOPULSE_LOG_FORMAT", "xml", "not one of text, json"),
        ("EMOPULSE_DEVICE", "gpu", "not one of cpu, cuda"),
        ("EMOPULSE_RESUME", "perhaps", "is not a boolean"),
    ],
)
def test_a_bad_environment_value_is_one_line_and_exit_10(monkeypatch, capsys, name, value, why):
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exc:
        build_parser(ARGV).parse_args(ARGV)
    err = capsys.readouterr().err
    assert exc.value.code == 10 and err.count("\n") == 1 and name in err and why in err


def test_unknown_config_keys_and_bad_config_values_exit_10(tmp_path, monkeypatch, capsys):
    cfg = tmp_path / "job.toml"
    cfg.write_text(
        'max_batch_tokenz = 5\ntimezone = "UTC"\n[serve-batch]\nrows_per_part = 10\nbogus = 1\n'
        '[servebatch]\nx = 1\n[index]\nfreq = "week"\n'
    )
    argv = ARGV + ["--config", str(cfg)]
    with pytest.raises(SystemExit) as exc:
        build_parser(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 10 and "max_batch_tokenz (did you mean max_batch_tokens?)" in err
    assert "[serve-batch] bogus" in err and "bogus (did you mean" not in err
    assert "[servebatch] (not a stage)" in err and "timezone" not in err and "freq" not in err  # other stages' keys
    for body, why in (
        ('rows_per_part = "many"\n', "not an integer"),
        ('log_level = "loud"\n', "not one of"),
        ('device = "gpu"\n', "not one of"),
        ("rows_per_part = [1]\n", "not an integer"),
        ("= broken", "not valid TOML"),
    ):
        cfg.write_text(body)
        with pytest.raises(SystemExit) as exc:
            build_parser(argv)
        assert exc.value.code == 10 and why in capsys.readouterr().err
    cfg.write_text('timezone = "UTC"\nlog_level = "debug"\n[serve-batch]\nrows_per_part = 10\n')
    ns = build_parser(argv).parse_args(argv)
    assert ns.rows_per_part == 10 and ns.log_level == "debug"


def test_the_real_command_exits_10_with_one_line(tmp_path):
    r = _cli(*ARGV, env={"EMOPULSE_MAX_BATCH_TOKENS": "abc"}, cwd=tmp_path)
    assert r.returncode == 10 and r.stderr == "emopulse: error: EMOPULSE_MAX_BATCH_TOKENS='abc': not an integer\n"
    r = _cli(*ARGV, env={"EMOPULSE_LOG_LEVEL": "loud"}, cwd=tmp_path)
    assert r.returncode == 10 and r.stderr.count("\n") == 1


def test_a_misspelled_environment_variable_is_an_error_but_other_stages_ones_are_fine(monkeypatch, capsys):
    monkeypatch.setenv("EMOPULSE_TIMEZONE", "UTC")  # index's: fine for serve-batch
    monkeypatch.setenv("EMOPULSE_MAX_BATCH_TOKENS", "4096")
    assert build_parser(ARGV).parse_args(ARGV).max_batch_tokens == 4096
    monkeypatch.setenv("EMOPULSE_MAX_BATCH_TOKEN", "4096")
    with pytest.raises(SystemExit) as exc:
        build_parser(ARGV)
    err = capsys.readouterr().err
    assert exc.value.code == 10 and "EMOPULSE_MAX_BATCH_TOKEN:" in err and err.count("\n") == 1
