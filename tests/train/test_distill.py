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
    # the student's tokenizer is the teacher's: no padding setting left over from training batches
    tok = json.load(open(tmp_path / "student" / "tokenizer.json"))
    assert tok["padding"] is None and tok == json.load(open(os.path.join(tiny_model, "tokenizer.json")))

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


def test_labelled_rows_join_as_one_hot_targets_and_are_learnt(tiny_model, tmp_path):
    """--labelled (the anchored round of make model): the teacher's served rows stay soft targets, each labelled
    file's rows join as one-hot targets (deduplicated within a file, a text in two files twice), and the
    student learns them: more of those rows get their label than from the teacher."""
    import pyarrow as pa

    from emopulse.core.errors import InputError

    pq.write_table(comments(300, offset=12000), tmp_path / "in.parquet")
    serve(tiny_model, [str(tmp_path / "in.parquet")], tmp_path / "teacher", keep_cols=["text"], id_col="id")
    texts = comments(64, offset=20000).column("text").to_pylist()
    pq.write_table(pa.table({"text": texts + texts[:4], "label": ["neutral"] * 68}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"text": texts[:8], "label": ["neutral"] * 8}), tmp_path / "b.parquet")
    args = dict(teacher=tiny_model, data=str(tmp_path / "teacher"), layers=2, batch_size=16, max_length=64)
    args |= dict(labelled=[str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")], epochs=4, lr=1e-3)
    r = run(DistillArgs(output=str(tmp_path / "student"), **args))
    assert r["rows"] == 300 + 64 + 8

    def neutral_share(model):
        pq.write_table(pa.table({"id": list(range(64)), "text": texts}), tmp_path / "lab_in.parquet")
        out = tmp_path / f"lab_{os.path.basename(model)}"
        serve(model, [str(tmp_path / "lab_in.parquet")], out, id_col="id")
        return float(np.mean(np.array(read_output(out).column("label").to_pylist()) == "neutral"))

    before, after = neutral_share(tiny_model), neutral_share(str(tmp_path / "student"))
    assert after > max(before, 0.5), (before, after)

    pq.write_table(pa.table({"text": texts}), tmp_path / "nolabel.parquet")
    args["labelled"] = [str(tmp_path / "nolabel.parquet")]
    with pytest.raises(InputError, match="nolabel.parquet: no column 'label'"):
        run(DistillArgs(output=str(tmp_path / "s2"), **args))


def test_bad_inputs_fail_before_training_and_drops_are_reported(tiny_model, tmp_path, caplog):
    """A missing --eval or --labelled file, or too many --layers, fails before a training step (it used to
    fail after the run); --max-length beyond the model's positions is clamped (it raised mid-batch); rows a
    --labelled file loses (unknown label, empty, duplicate) are logged and kept in metrics.json."""
    import logging

    import pyarrow as pa

    from emopulse.core.errors import EmopulseError, InputError

    pq.write_table(comments(100, offset=12000), tmp_path / "in.parquet")
    serve(tiny_model, [str(tmp_path / "in.parquet")], tmp_path / "teacher", keep_cols=["text"], id_col="id")
    texts = comments(6, offset=20000).column("text").to_pylist()
    rows = {
        "text": texts[:3] + [texts[0], "", texts[4], texts[5]],
        "label": ["anger"] * 4 + ["sadness", "joy", "happiness"],
    }
    pq.write_table(pa.table(rows), tmp_path / "lab.parquet")
    args = dict(teacher=tiny_model, data=str(tmp_path / "teacher"), layers=1, batch_size=16, max_length=4096)
    caplog.set_level(logging.INFO, logger="emopulse.distill")
    with pytest.raises(InputError, match="nosuch.parquet: no such file or directory"):
        run(DistillArgs(output=str(tmp_path / "a"), eval=str(tmp_path / "nosuch.parquet"), **args))
    with pytest.raises(InputError, match="gone.parquet: no such file or directory"):
        run(DistillArgs(output=str(tmp_path / "b"), labelled=[str(tmp_path / "gone.parquet")], **args))
    with pytest.raises(EmopulseError, match="has only"):
        run(DistillArgs(output=str(tmp_path / "c"), **(args | {"layers": 99})))
    assert not any("step " in r.message for r in caplog.records)  # no training step ran

    r = run(DistillArgs(output=str(tmp_path / "d"), labelled=[str(tmp_path / "lab.parquet")], **args))
    assert r["rows"] == 100 + 4
    rep = json.load(open(tmp_path / "d" / "metrics.json"))["labelled"][str(tmp_path / "lab.parquet")]
    assert (rep["empty"], rep["unknown_label"], rep["duplicates"], rep["unknown_values"]) == (1, 1, 1, ["joy"])
    assert any("dropped 1 empty, 1 unknown label, 1 duplicates ['joy']" in r.message for r in caplog.records)


def test_labelled_and_eval_files_name_their_columns(tiny_model, tmp_path):
    """--text-col/--label-col name the --labelled and --eval files' columns, as train's do (the names were
    fixed at text/label: a file with comment/emotion columns was refused)."""
    import pyarrow as pa

    from emopulse.core.errors import InputError

    pq.write_table(comments(60, offset=12000), tmp_path / "in.parquet")
    serve(tiny_model, [str(tmp_path / "in.parquet")], tmp_path / "teacher", keep_cols=["text"], id_col="id")
    texts = comments(8, offset=20000).column("text").to_pylist()
    pq.write_table(pa.table({"comment": texts, "emotion": ["anger"] * 8}), tmp_path / "lab.parquet")
    args = dict(teacher=tiny_model, data=str(tmp_path / "teacher"), layers=1, batch_size=16, max_length=64)
    args |= dict(labelled=[str(tmp_path / "lab.parquet")], eval=str(tmp_path / "lab.parquet"))
    with pytest.raises(InputError, match="lab.parquet: no column 'text'"):
        run(DistillArgs(output=str(tmp_path / "a"), **args))
    r = run(DistillArgs(output=str(tmp_path / "b"), text_col="comment", label_col="emotion", **args))
    assert r["rows"] == 60 + 8 and r["validation"]["n"] == 8
