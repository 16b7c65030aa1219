"""`emopulse bench --host-only`: how fast the host side can feed an accelerator.

serve-batch runs the given bundle end to end with its model replaced by a null one of the same output
shape (core/backends/noop.py), so what is measured is everything else — read, prepare (status, dedup,
tokenizer, the head's n-gram member, batches), assemble (the head's mix, output columns), commit — once
with the served head and once without, for each count of host threads. Rounds are interleaved and
the median is reported. On a GPU host the model is nearly free, so these rows/s are the ceiling of
the whole engine there; the projection to a bigger host scales the 1-thread rate by the efficiency
measured from 1 to N threads here (an assumption, stated in the report).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics

import pyarrow as pa
import pyarrow.parquet as pq

from .args import BenchArgs

# the stage timers of a serial (1 host thread) run: thread seconds that add up to the host work
STAGES = ("read", "tokenize", "head", "prepare_other", "assemble_other", "commit")


def run_host(args: BenchArgs) -> dict:
    from ..serve_batch import ServeBatchArgs
    from ..serve_batch.engine import run as serve
    from .measure import sample_texts

    texts = sample_texts(args.data, args.text_col, args.rows)
    os.makedirs(args.output, exist_ok=True)
    data = os.path.join(args.output, "_rows.parquet")
    pq.write_table(pa.table({"text": texts}), data)
    counts = args.host_workers or sorted({1, max(1, os.cpu_count() or 1)})
    rates: dict = {(h, n): [] for h in (True, False) for n in counts}
    stages: dict = {h: [] for h in (True, False)}
    out = os.path.join(args.output, "_out")
    for _ in range(args.repeat):
        for head in (True, False):
            for n in counts:
                shutil.rmtree(out, ignore_errors=True)
                s = serve(
                    ServeBatchArgs(
                        model=args.model,
                        inputs=[data],
                        output=out,
                        progress=False,
                        max_length=args.max_length,
                        host_workers=n,
                        rows_per_part=args.part_rows,
                    ),
                    backend_kind="noop",
                    served_head=head,
                )["this_invocation"]
                rates[(head, n)].append(s["rows"] / s["parts_seconds"])
                if n == 1:
                    stages[head].append(_stage_seconds(s["stage_seconds"]))
    shutil.rmtree(out, ignore_errors=True)
    report = _report(args, texts, counts, rates, stages)
    with open(os.path.join(args.output, "host.json"), "w") as f:
        json.dump(report, f, indent=2)
    md = _markdown(report)
    for name in ("host.md", "bench.md"):
        with open(os.path.join(args.output, name), "w") as f:
            f.write(md)
    return report


def _stage_seconds(st: dict) -> dict:
    """Serial thread seconds per stage; prepare and assemble without what tokenize and head took."""
    head_total = st.get("head", 0.0)
    return {
        "read": st.get("read", 0.0),
        "tokenize": st.get("tokenize", 0.0),
        "head": head_total,
        "prepare_other": max(0.0, st.get("prepare", 0.0) - st.get("tokenize", 0.0) - head_total),
        "assemble_other": st.get("assemble", 0.0),
        "commit": st.get("commit", 0.0),
    }


def _report(args: BenchArgs, texts, counts, rates, stages) -> dict:
    med = {k: statistics.median(v) for k, v in rates.items()}
    one = counts[0]
    rows = []
    for n in counts:
        w, wo = med[(True, n)], med[(False, n)]
        rows.append(
            {
                "host_threads": n,
                "rows_per_s_with_head": round(w),
                "rows_per_s_without_head": round(wo),
                "head_ratio": round(w / wo, 3),
                "rows_per_s_per_thread_with_head": round(w / n),
                "scaling_efficiency": round(w / (med[(True, one)] * n / one), 3),
            }
        )
    shares = {}
    for head, runs in stages.items():
        if runs:
            mean = {k: statistics.median(r[k] for r in runs) for k in STAGES}
            total = sum(mean.values()) or 1.0
            shares["with_head" if head else "without_head"] = {k: round(v / total, 3) for k, v in mean.items()}
    last = rows[-1]
    cores = 16
    projection = round(rows[0]["rows_per_s_with_head"] / one * cores * last["scaling_efficiency"])
    caveats = []
    if last["host_threads"] > one and last["scaling_efficiency"] < 0.6:
        caveats.append(
            f"{last['host_threads']} threads scaled at {last['scaling_efficiency']:.2f} of linear here (a busy "
            "machine?): the projection is not meaningful; measure on the host itself (scripts/gpu.sh)"
        )
    if args.repeat < 3:
        caveats.append(f"{args.repeat} round(s): medians of fewer than 3 rounds are noisy")
    return {
        "rows": len(texts),
        "data": args.data,
        "model": args.model,
        "repeat": args.repeat,
        "rows_per_part": args.part_rows,
        "cpu_count": os.cpu_count(),
        "threads": rows,
        "stage_shares_1_thread": shares,
        "projection": {
            "cores": cores,
            "rows_per_s_with_head": projection,
            "rule": f"1-thread rate x {cores} x the scaling efficiency measured at {last['host_threads']} "
            "threads here (assumes it holds to 16 cores)",
        },
        "caveats": caveats,
    }


def _markdown(r: dict) -> str:
    lines = [
        f"# Host side: {r['rows']:,} rows, model replaced by a null one, median of {r['repeat']} interleaved rounds",
        "",
        f"Model: `{r['model']}`; data: `{r['data']}`; {r['cpu_count']} CPU cores.",
        "",
        "| host threads | rows/s with head | rows/s without | with / without | rows/s per thread | "
        "scaling efficiency |",
        "|---|---|---|---|---|---|",
    ]
    for t in r["threads"]:
        lines.append(
            f"| {t['host_threads']} | {t['rows_per_s_with_head']:,} | {t['rows_per_s_without_head']:,} | "
            f"{t['head_ratio']:.2f} | {t['rows_per_s_per_thread_with_head']:,} | {t['scaling_efficiency']:.2f} |"
        )
    lines += [
        "",
        "Share of host work per stage (1 thread, serial thread seconds):",
        "",
        "| stage | " + " | ".join(r["stage_shares_1_thread"]) + " |",
        "|---|" + "---|" * len(r["stage_shares_1_thread"]),
    ]
    for k in STAGES:
        lines.append(f"| {k} | " + " | ".join(f"{v[k]:.1%}" for v in r["stage_shares_1_thread"].values()) + " |")
    p = r["projection"]
    lines += [
        "",
        f"Projection to a {p['cores']}-core GPU host: ~{p['rows_per_s_with_head']:,} rows/s with the head "
        f"({p['rule']}).",
        "",
    ]
    lines += [f"Caveat: {c}." for c in r.get("caveats", [])]
    return "\n".join(lines)
