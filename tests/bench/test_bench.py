import json
import os

import pytest

from emopulse import data
from emopulse.bench import BenchArgs, run
from emopulse.core.errors import InputError


@pytest.fixture(scope="module")
def bench(tiny_model, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("bench"))
    res = run(
        BenchArgs(
            model=tiny_model,
            data=data.path(data.COMMENTS),
            rows=200,
            batch_sizes=[4, 32],
            repeat=2,
            max_seconds=60,
            chunk_rows=100,
            output=out,
        )
    )
    return out, res


def test_every_file_is_written_with_the_expected_columns(bench):
    out, res = bench
    for f in ("bench.json", "bench.md", "bench.png"):
        assert os.path.getsize(os.path.join(out, f)) > 500, f
    saved = json.load(open(os.path.join(out, "bench.json")))
    names = set(saved["variants"])
    assert {"pipeline", "optimum", "torch-sorted", "onnx-fp32", "onnx-optimized", "onnx-int8"} <= names
    row = saved["variants"]["onnx-int8"]["32"]
    for key in (
        "inference_count",
        "total_s",
        "time_per_batch_ms",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "rows_per_s",
        "tokens_per_s",
        "padded_ratio",
        "cold_start_s",
        "ceiling_fraction",
    ):
        assert key in row, key
    assert saved["variants"]["pipeline"]["4"]["padded_ratio"] > saved["variants"]["onnx-fp32"]["4"]["padded_ratio"]
    assert saved["serve_batch"]["rows_per_s"] > 0 and saved["environment"]["onnxruntime"]
    md = open(os.path.join(out, "bench.md")).read()
    assert "| model | variant | batch size | inference count | total time (s) | time per batch (ms) |" in md
    assert "vs pipeline" in md and "vs optimum" in md


def test_ratios_are_paired_round_by_round(bench):
    _, res = bench
    base = res["variants"]["pipeline"][32]["rows_per_s_repeats"]
    other = res["variants"]["onnx-fp32"][32]["rows_per_s_repeats"]
    per_round = sorted(o / b for o, b in zip(other, base))
    median, lo, hi = res["ratios"]["pipeline"]["onnx-fp32"][32]
    assert (lo, hi) == pytest.approx((per_round[0], per_round[-1]))
    assert lo <= median <= hi and len(base) == 2


def test_unavailable_variants_are_skipped_with_a_reason(tiny_model, tmp_path):
    res = run(
        BenchArgs(
            model=tiny_model,
            data=data.path(data.COMMENTS),
            rows=50,
            batch_sizes=[8],
            repeat=1,
            device="cuda",
            output=str(tmp_path / "gpu"),
        )
    )
    assert res["skipped"] and "CUDA" in next(iter(res["skipped"].values()))
    assert "Skipped" in open(tmp_path / "gpu" / "bench.md").read()
    with pytest.raises(InputError, match="no such data file"):
        run(BenchArgs(model=tiny_model, data=str(tmp_path / "none.parquet"), output=str(tmp_path / "x")))
    with pytest.raises(InputError, match="neither"):
        run(BenchArgs(model=str(tmp_path), data=data.path(data.COMMENTS), output=str(tmp_path / "y")))


def test_models_table_pairs_speed_with_accuracy(tiny_model, tmp_path):
    """--compare and --labelled: every model served end to end in the same rounds and scored on the
    same labelled rows (the student tier's speed/accuracy curve comes out of this table)."""
    from emopulse.export import ExportArgs
    from emopulse.export import run as export

    bundle = str(tmp_path / "fp32")
    export(ExportArgs(model=tiny_model, output=bundle, precision="fp32", max_length=64, force=True))
    res = run(
        BenchArgs(
            model=tiny_model,
            data=data.path(data.COMMENTS),
            rows=100,
            batch_sizes=[8],
            repeat=2,
            max_seconds=2,
            chunk_rows=50,
            variants=["onnx-fp32"],
            compare=[bundle],
            labelled=data.path(data.LABELLED),
            output=str(tmp_path / "out"),
        )
    )
    models = res["models"]
    assert list(models) == [tiny_model, bundle]
    assert models[tiny_model]["speed_vs_model"] == 1.0 and models[tiny_model]["precision"] == "checkpoint"
    assert models[bundle]["precision"] == "fp32" and models[bundle]["layers"] == 2
    assert len(models[bundle]["rows_per_s_repeats"]) == 2 and models[bundle]["speed_vs_model"] > 0
    for m in models.values():
        assert 0.0 <= m["macro_f1"] <= 1.0 and m["labelled_rows"] > 50
    md = open(tmp_path / "out" / "bench.md").read()
    assert "Models: speed against accuracy" in md
    with pytest.raises(Exception, match="no such file"):
        BenchArgs(model=tiny_model, data=data.path(data.COMMENTS), labelled=str(tmp_path / "none.parquet"))


def test_bench_without_model_uses_the_shipped_model_and_keeps_to_max_seconds(tmp_path):
    """No --model, no --input: the shipped bundle on the bundled comments; --max-seconds bounds the
    measurement; the empty ratio section says why in one line; readable tick labels."""
    import time

    import emopulse.model

    t0 = time.perf_counter()
    res = run(BenchArgs(rows=40, batch_sizes=[4, 16], repeat=2, max_seconds=3, output=str(tmp_path / "b")))
    wall = time.perf_counter() - t0
    assert os.path.samefile(res["args"]["model"], emopulse.model.path())
    from emopulse.core.manifest import read_manifest

    shipped = read_manifest(emopulse.model.path()).precision
    assert list(res["variants"]) == [f"onnx-bundle-{shipped}"] and res["serve_batch"]["rows_per_s"] > 0
    assert wall < 90, wall  # ceilings, one serve-batch process start and the 3 s of measurements
    md = open(tmp_path / "b" / "bench.md").read()
    assert "No ratios: they compare with the transformers and optimum pipelines" in md
    assert os.path.getsize(tmp_path / "b" / "bench.png") > 10_000


def test_bench_chart_labels_ticks_in_plain_numbers(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from emopulse.bench import report

    per_bs = {bs: {"rows_per_s": 26.0 * bs**0.5, "p95_ms": 40.0 * bs} for bs in (1, 8, 32, 128)}
    res = {"variants": {"onnx-int8": per_bs}, "serve_batch": {"rows_per_s": 120.0}}
    captured = {}
    import matplotlib.pyplot as plt

    savefig = plt.Figure.savefig

    def keep(fig, path, **kw):
        captured["fig"] = fig
        return savefig(fig, path, **kw)

    plt.Figure.savefig = keep
    try:
        report.chart(res, str(tmp_path / "bench.png"))
    finally:
        plt.Figure.savefig = savefig
    fig = captured["fig"]
    fig.canvas.draw()
    for ax in fig.axes:
        labels = [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels() if t.get_text()]
        assert labels and not any("^" in t or "times" in t or "×" in t for t in labels), labels
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["1", "8", "32", "128"]


def test_host_only_measures_the_host_side_with_and_without_the_head(tmp_path):
    """`bench --host-only`: the shipped tokenizer and head before a null model, for 1 and 2 host threads;
    every figure present and sane, the report written (runs in CI on 600 rows)."""
    out = tmp_path / "host"
    res = run(BenchArgs(rows=600, repeat=1, host_only=True, host_workers=[1, 2], part_rows=300, output=str(out)))
    report = json.load(open(out / "host.json"))
    assert res["host"] == report and report["rows"] == 600
    assert [t["host_threads"] for t in report["threads"]] == [1, 2]
    for t in report["threads"]:
        assert t["rows_per_s_with_head"] > 0 and t["rows_per_s_without_head"] > 0
        assert 0 < t["head_ratio"] < 3 and t["scaling_efficiency"] > 0
    shares = report["stage_shares_1_thread"]
    assert shares["with_head"]["head"] > 0 and shares["without_head"]["head"] == 0  # the shipped head has a member
    assert abs(sum(shares["with_head"].values()) - 1) < 0.01
    assert report["projection"]["rows_per_s_with_head"] > 0
    md = (out / "bench.md").read_text()
    assert "rows/s with head" in md and "Projection to a 16-core GPU host" in md
    assert "1 round(s)" in md and report["caveats"]  # one round is said to be noisy
