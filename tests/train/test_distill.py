"""distill: a student with fewer layers, trained on the teacher's served probabilities, becomes an
ordinary checkpoint that export and serve-batch take; it learns the teacher (loss falls, it agrees
with the teacher more than the untrained cut-down copy does)."""

import json
import os

import numpy as np
import pyarrow.parquet as pq
import pytest

from emopulse.core.schema import LABELS, prob_cols
from emopulse.train.distill import DistillArgs, run, student_from

from ..conftest import comments
from ..serve_batch.helpers import read_output, serve


def test_student_learns_the_teacher_and_exports(tiny_model, tmp_path):
    import torch
    from transformers import AutoModelForSequenceClassification

    pq.write_table(comments(800, offset=12000), tmp_path / "in.parquet")
    serve(tiny_model, [str(tmp_path / "in.parquet")], tmp_path / "teacher", keep_cols=["text"], id_col="id")
    teacher_out = read_output(tmp_path / "teacher")
    r = run(
        DistillArgs(
            teacher=tiny_model,
            data=str(tmp_path / "teacher"),
            output=str(tmp_path / "student"),
            layers=1,
            epochs=3,
            lr=1e-3,
            batch_size=16,
            max_length=64,
        )
    )
    assert r["rows"] == 800 and r["steps"] == 150
    cfg = json.load(open(tmp_path / "student" / "config.json"))
    assert cfg["num_hidden_layers"] == 1 and [cfg["id2label"][str(i)] for i in range(4)] == list(LABELS)
    assert not any(f.endswith((".bin", ".pt", ".pkl")) for f in os.listdir(tmp_path / "student"))

    # agreement with the teacher: the trained student beats the same cut-down model untrained
    serve(str(tmp_path / "student"), [str(tmp_path / "in.parquet")], tmp_path / "s", id_col="id")
    t = np.array(teacher_out.sort_by("id").select(prob_cols(LABELS)))
    s = np.array(read_output(tmp_path / "s").sort_by("id").select(prob_cols(LABELS)))
    untrained, _ = student_from(AutoModelForSequenceClassification.from_pretrained(tiny_model), 1)
    untrained.save_pretrained(tmp_path / "untrained")
    for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if os.path.exists(os.path.join(tiny_model, f)):
            open(tmp_path / "untrained" / f, "wb").write(open(os.path.join(tiny_model, f), "rb").read())
    serve(str(tmp_path / "untrained"), [str(tmp_path / "in.parquet")], tmp_path / "u", id_col="id")
    u = np.array(read_output(tmp_path / "u").sort_by("id").select(prob_cols(LABELS)))
    ok = ~np.isnan(t).any(1)
    kl = lambda p, q: float((p[ok] * (np.log(p[ok]) - np.log(q[ok]))).sum(1).mean())  # noqa: E731
    assert kl(t, s) < kl(t, u), (kl(t, s), kl(t, u))
    del torch

    from emopulse.export import ExportArgs
    from emopulse.export import run as export

    m = export(
        ExportArgs(model=str(tmp_path / "student"), output=str(tmp_path / "bundle"), precision="fp32", max_length=64)
    )
    assert m["ready"]


def test_layers_equal_to_the_teacher_keeps_every_layer_and_more_are_refused(tiny_model):
    """--layers = the teacher's depth is self-distillation (the served head folded into the encoder);
    it was refused as 'the teacher has only N'. More layers than the teacher has stay an error."""
    from transformers import AutoModelForSequenceClassification

    from emopulse.core.errors import EmopulseError
    from emopulse.train.distill import student_from

    teacher = AutoModelForSequenceClassification.from_pretrained(tiny_model)
    n = teacher.config.num_hidden_layers
    student, keep = student_from(teacher, n)
    assert keep == list(range(n)) and student.config.num_hidden_layers == n
    with pytest.raises(EmopulseError, match="has only"):
        student_from(teacher, n + 1)
