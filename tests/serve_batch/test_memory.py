"""Peak memory must not grow with the input: 20x the rows, at most 15 % more peak RSS."""

import subprocess
import sys

import pyarrow.parquet as pq

from ..conftest import comments

SCRIPT = """
import resource, sys
from emopulse.cli import main
main(["serve-batch", "--model", sys.argv[1], "--input", sys.argv[2], "--output", sys.argv[3],
      "--rows-per-part", "1000", "--no-progress", "--keep-cols", "date"])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _peak_kb(model, inp, out) -> int:
    res = subprocess.run([sys.executable, "-c", SCRIPT, model, inp, out], check=True, capture_output=True, text=True)
    return int(res.stdout.strip().splitlines()[-1])


def test_peak_rss_flat_in_input_size(tiny_onnx, tmp_path):
    base = comments(2000, offset=20000)
    small, big = str(tmp_path / "small.parquet"), str(tmp_path / "big.parquet")
    pq.write_table(base, small)
    with pq.ParquetWriter(big, base.schema) as w:  # 20x the rows, streamed to disk
        for _ in range(20):
            w.write_table(base)
    peak_small = _peak_kb(tiny_onnx, small, str(tmp_path / "o1"))
    peak_big = _peak_kb(tiny_onnx, big, str(tmp_path / "o2"))
    assert pq.read_metadata(big).num_rows == 40_000
    assert peak_big <= 1.15 * peak_small, (peak_small, peak_big)
