import polars as pl
import pytest

from emopulse.core.errors import InputError
from emopulse.label.agree import agree


def test_agreement_on_ids_with_known_kappa(tmp_path):
    gold = pl.DataFrame({"id": ["a", "b", "c", "d"], "label": ["anger", "anger", "happiness", "happiness"]})
    pred = pl.DataFrame({"id": ["d", "c", "b", "a", "z"], "label": ["happiness", "anger", "anger", "anger", "x"]})
    gold.write_parquet(tmp_path / "g.parquet")
    pred.write_parquet(tmp_path / "p.parquet")
    r = agree(str(tmp_path / "p.parquet"), str(tmp_path / "g.parquet"))
    assert r["rows_compared"] == 4 and r["accuracy"] == 0.75
    # observed .75, expected (2*3 + 2*1) / 16 = .5 -> kappa .5
    assert r["kappa"] == pytest.approx(0.5)
    assert r["confusion"] == [[2, 0], [1, 1]]


def test_position_matching_needs_equal_lengths(tmp_path):
    pl.DataFrame({"label": ["a", "b"]}).write_parquet(tmp_path / "p.parquet")
    pl.DataFrame({"gold": ["a"]}).write_parquet(tmp_path / "g.parquet")
    with pytest.raises(InputError, match="no label column 'label'"):
        agree(str(tmp_path / "p.parquet"), str(tmp_path / "g.parquet"))
    with pytest.raises(InputError, match="2 rows"):
        agree(str(tmp_path / "p.parquet"), str(tmp_path / "g.parquet"), gold_col="gold")


def test_no_matching_ids_is_an_error_not_zero_accuracy(tmp_path):
    import polars as pl
    import pytest

    from emopulse.core.errors import InputError
    from emopulse.label.agree import agree

    pl.DataFrame({"id": ["f.parquet:0", "f.parquet:1"], "label": ["anger", "sadness"]}).write_parquet(
        tmp_path / "p.parquet"
    )
    pl.DataFrame({"id": ["a", "b"], "label": ["anger", "sadness"]}).write_parquet(tmp_path / "g.parquet")
    with pytest.raises(InputError, match="no row"):
        agree(str(tmp_path / "p.parquet"), str(tmp_path / "g.parquet"))
