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
    """A plain transformers forward pass, one row at a time (no padding at all)."""
    import torch
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
