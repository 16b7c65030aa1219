import numpy as np

from emopulse.core.batching import cut_batches, dedup, make_batches


def test_batches_respect_token_budget_and_row_cap():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 120, size=1000)
    batches = cut_batches(lengths, max_batch_tokens=512, max_batch_rows=16)
    seen = np.concatenate(batches)
    assert sorted(seen.tolist()) == list(range(1000))
    for b in batches:
        assert len(b) <= 16
        assert len(b) == 1 or lengths[b].max() * len(b) <= 512
        assert np.all(np.diff(lengths[b]) >= 0)  # sorted inside a batch


def test_a_row_over_budget_gets_its_own_batch():
    batches = cut_batches(np.array([5, 900, 6]), max_batch_tokens=100, max_batch_rows=8)
    assert [len(b) for b in batches] == [2, 1]


def test_sorted_batches_pad_little():
    rng = np.random.default_rng(1)
    ids = [[1] * int(n) for n in rng.integers(3, 100, size=2000)]
    batches = make_batches(ids, pad_id=0, max_batch_tokens=2048, max_batch_rows=64)
    real = sum(b.real_tokens for b in batches)
    padded = sum(b.padded_tokens for b in batches)
    assert real == sum(map(len, ids))
    assert padded / real < 1.1


def test_dedup_keeps_first_seen_order():
    uniq, inv = dedup(["b", "a", "b", "c", "a"])
    assert uniq == ["b", "a", "c"]
    assert inv.tolist() == [0, 1, 0, 2, 1]
