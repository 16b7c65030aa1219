import numpy as np
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from emopulse.serve_batch import ServeBatchArgs, run


def serve(model, inputs, output, **kw):
    kw.setdefault("progress", False)
    return run(ServeBatchArgs(model=model, inputs=list(inputs), output=str(output), **kw))


def read_output(output):
    """The output directory read as a dataset: exactly the predictions."""
    return ds.dataset(str(output), format="parquet").to_table()


def reference_probs(model_dir, texts, max_length):
    """A plain transformers forward pass, one row at a time (no padding at all), on the canonical
    text (core.text: what every model member reads when served)."""
    import torch

    from emopulse.core.text import canonical_list

    texts = canonical_list(list(texts))
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    out = []
    with torch.inference_mode():
        for t in texts:
            enc = tok(t, truncation=True, max_length=max_length, return_tensors="pt")
            out.append(torch.softmax(model(**enc).logits, -1)[0].numpy())
    return np.stack(out)


def input_rows(path):
    return pq.read_table(path).num_rows


def serve_cmd(model, inp, out, *extra, rows_per_part=100):
    """The serve-batch command line used by the kill / signal tests."""
    import sys

    return [
        sys.executable,
        "-m",
        "emopulse",
        "serve-batch",
        "--model",
        model,
        "--input",
        inp,
        "--output",
        str(out),
        "--rows-per-part",
        str(rows_per_part),
        "--max-batch-tokens",
        "256",
        "--id-col",
        "id",
        "--no-progress",
        *extra,
    ]


def parts_done(out) -> int:
    """Finished parts of a run being written (manifest + journal); 0 before it has a manifest."""
    from emopulse.core.errors import OutputError
    from emopulse.core.parts import load_run

    try:
        m = load_run(str(out))
    except OutputError:
        return 0  # caught between a manifest's write and rename
    return len(m.parts) if m else 0
