import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

from emopulse import Classifier
from emopulse.core.schema import LABELS, prob_cols

from .serve_batch.helpers import read_output, serve


def test_classifier_equals_serve_batch_for_lists_and_tables(tiny_bundle, tmp_path):
    import pyarrow.parquet as pq
    texts = ["정말 최고예요", "너무 화가 난다", "", None, "정말 최고예요", "그냥 그래요"]
    pq.write_table(pa.table({"id": [str(i) for i in range(6)], "text": texts}), tmp_path / "in.parquet")
    serve(tiny_bundle, [str(tmp_path / "in.parquet")], tmp_path / "o", id_col="id")
    want = read_output(tmp_path / "o")
    clf = Classifier(tiny_bundle)
    got = clf.predict(texts)
    assert got.column("label").to_pylist() == want.column("label").to_pylist()
    np.testing.assert_array_equal(np.array(got.select(prob_cols(LABELS))), np.array(want.select(prob_cols(LABELS))))
    frame = {"id": list(range(6)), "text": texts}
    for data in (pa.table(frame), pl.DataFrame(frame), pd.DataFrame(frame)):
        out = clf.predict(data)
        assert out.column_names[:2] == ["id", "text"] and out.column("status").to_pylist()[2:4] == ["empty", "null"]
        assert out.column("label").to_pylist() == want.column("label").to_pylist()
    assert isinstance(clf(pd.DataFrame(frame)), pd.DataFrame)       # map_batches with pandas batches
