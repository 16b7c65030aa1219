"""The host side of serving: parallel preparation gives the serial output, bit for bit."""

import numpy as np
import pyarrow as pa

from emopulse import model
from emopulse.core.backends import BackendSpec, build_backend
from emopulse.core.batching import Tokens, cut_batches, pad_rows
from emopulse.core.bundle import load_bundle

from ..conftest import comments


def test_parallel_preparation_equals_serial_with_the_shipped_tokenizer_and_head():
    bundle = load_bundle(model.path(), 128)
    noop = build_backend(BackendSpec("noop", bundle.spec.path))
    texts = comments(3000, offset=5000)["text"].to_pylist()
    texts[7], texts[8], texts[9], texts[10] = None, "", "  \t", texts[11]  # null, empty, blank, duplicate
    arr = pa.array(texts, pa.large_string())
    serial = bundle.predictor(2048, 256, host_workers=1)
    assert serial.head.uses_texts  # the n-gram member is served
    want, want_dead = serial.predict(arr, noop)
    for workers in (2, 3):
        parallel = bundle.predictor(2048, 256, host_workers=workers)
        got, dead = parallel.predict(arr, noop)
        parallel.close()
        assert got.equals(want) and dead == want_dead, f"{workers} host threads"
    status = want.column("status").to_pylist()
    assert status[7:11] == ["null", "empty", "empty", "ok"]


def test_vectorized_padding_equals_row_by_row():
    rng = np.random.default_rng(3)
    ids = [rng.integers(5, 100, int(n)).tolist() for n in rng.integers(1, 40, 300)]
    tokens = Tokens.from_lists(ids)
    for bucket in (0, 1, 8):
        for rows in cut_batches(tokens.lengths, 512, 32, bucket):
            input_ids, mask = pad_rows(tokens, rows, pad_id=1, bucket=bucket)
            width = max(len(ids[r]) for r in rows)
            width = -(-width // bucket) * bucket if bucket else width
            assert input_ids.shape == (len(rows), width)
            for k, r in enumerate(rows):
                n = len(ids[r])
                assert input_ids[k, :n].tolist() == ids[r] and (input_ids[k, n:] == 1).all()
                assert mask[k].sum() == n and mask[k, :n].all()
            if bucket:
                assert len({-(-len(ids[r]) // bucket) for r in rows}) == 1  # one rounded length per batch
