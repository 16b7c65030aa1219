"""bench.json (every figure and the environment), bench.md (the seed's table and the ratio
table) and bench.png (rows/s and p95 latency per batch size and variant)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import numpy as np

from . import ceilings


def _ceiling_kind(name: str) -> str:
    return "int8" if "int8" in name else ("fp16" if "fp16" in name else "fp32")


def summarize(name: str, repeats: list, cold: float | None, config, ceil: dict) -> dict:
    totals = np.array([sum(t.seconds for t in rep) for rep in repeats])
    rows = np.array([sum(t.rows for t in rep) for rep in repeats])
    real = np.array([sum(t.real_tokens for t in rep) for rep in repeats])
    padded = np.array([sum(t.padded_tokens for t in rep) for rep in repeats])
    lat = np.array([t.seconds for rep in repeats for t in rep]) * 1000
    rps = rows / totals
    mid = int(np.argsort(rps)[len(rps) // 2])
    out = {
        "inference_count": int(rows[mid]),
        "total_s": float(totals[mid]),
        "batches": len(repeats[mid]),
        "time_per_batch_ms": float(totals[mid] / len(repeats[mid]) * 1000),
        "p50_ms": float(np.percentile(lat, 50)),
        "p95_ms": float(np.percentile(lat, 95)),
        "p99_ms": float(np.percentile(lat, 99)),
        "rows_per_s": float(np.median(rps)),
        "rows_per_s_min": float(rps.min()),
        "rows_per_s_max": float(rps.max()),
        "rows_per_s_repeats": rps.tolist(),
        "tokens_per_s": float(np.median(real / totals)),
        "padded_ratio": float(padded.sum() / real.sum()),
        "cold_start_s": cold,
    }
    if config is not None:
        kind = _ceiling_kind(name)
        flops = np.array(
            [sum(ceilings.flops_per_row(config, t.real_tokens / t.rows) * t.rows for t in rep) for rep in repeats]
        )
        if kind in ceil:
            out["ceiling"] = kind
            out["ceiling_fraction"] = float(np.median(flops / totals) / ceil[kind])
        if kind == "int8" and "int8_u8u8" in ceil:
            out["kernel_ceiling_fraction"] = float(np.median(flops / totals) / ceil["int8_u8u8"])
    return out


def ratios(stats: dict, e2e_rps: list, baselines=("pipeline", "optimum")) -> dict:
    """Per batch size, variant / baseline, paired within each round, as median [min, max]."""
    out: dict = {}
    for base in baselines:
        if base not in stats:
            continue
        for bs, base_stats in stats[base].items():
            b = np.array(base_stats["rows_per_s_repeats"])
            for name, per_bs in stats.items():
                if name == base or bs not in per_bs:
                    continue
                r = np.array(per_bs[bs]["rows_per_s_repeats"])[: len(b)] / b[: len(per_bs[bs]["rows_per_s_repeats"])]
                out.setdefault(base, {}).setdefault(name, {})[bs] = [
                    float(np.median(r)),
                    float(r.min()),
                    float(r.max()),
                ]
            if e2e_rps:
                r = np.array(e2e_rps)[: len(b)] / b[: len(e2e_rps)]
                out.setdefault(base, {}).setdefault("serve-batch", {})[bs] = [
                    float(np.median(r)),
                    float(r.min()),
                    float(r.max()),
                ]
    return out


def write_reports(args, runs, cold, e2e, skipped, ceil, env, config, models) -> dict:
    stats = {
        name: {bs: summarize(name, reps, cold.get(name), config, ceil) for bs, reps in per_bs.items() if reps}
        for name, per_bs in runs.items()
    }
    e2e_runs = e2e.get("e2e", []) if e2e else []
    e2e_rps = [s["rows"] / s["process_seconds"] for s in e2e_runs]
    result = {
        "args": asdict(args),
        "environment": env,
        "ceilings": ceil,
        "variants": stats,
        "serve_batch": {
            "model": e2e.get("model") if e2e else None,
            "rows_per_s_repeats": e2e_rps,
            "rows_per_s": float(np.median(e2e_rps)) if e2e_rps else None,
            "runs": e2e_runs,
        },
        "ratios": ratios(stats, e2e_rps),
        "models": models,
        "skipped": skipped,
    }
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "bench.json"), "w") as f:
        json.dump(result, f, indent=2, default=str)
    with open(os.path.join(args.output, "bench.md"), "w") as f:
        f.write(markdown(result, os.path.basename(os.path.normpath(args.model))))
    if stats:
        chart(result, os.path.join(args.output, "bench.png"))
    return result


def markdown(res: dict, model: str) -> str:
    lines = [
        f"# emopulse bench — {model}",
        "",
        f"{res['environment'].get('cpu_model', res['environment'].get('cpu', ''))}, "
        f"{res['environment'].get('threads')} threads; rows/s are medians of {res['args']['repeat']} "
        "interleaved rounds (min–max in the JSON).",
        "",
        "| model | variant | batch size | inference count | total time (s) | time per batch (ms) | "
        "p50 / p95 / p99 (ms) | rows/s | tokens/s | padded/real | cold start (s) | of ceiling |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, per_bs in res["variants"].items():
        for bs, s in per_bs.items():
            frac = f"{s['ceiling_fraction']:.0%} {s['ceiling']}" if "ceiling_fraction" in s else ""
            if "kernel_ceiling_fraction" in s:
                frac += f" ({s['kernel_ceiling_fraction']:.0%} of u8×u8)"
            lines.append(
                f"| {model} | {name} | {bs} | {s['inference_count']} | {s['total_s']:.2f} | "
                f"{s['time_per_batch_ms']:.1f} | {s['p50_ms']:.0f} / {s['p95_ms']:.0f} / {s['p99_ms']:.0f} | "
                f"{s['rows_per_s']:.1f} | {s['tokens_per_s']:.0f} | {s['padded_ratio']:.2f} | "
                f"{(s['cold_start_s'] or 0):.2f} | {frac} |"
            )
    sb = res["serve_batch"]
    if sb["rows_per_s"]:
        last = sb["runs"][-1]
        lines.append(
            f"| {model} | serve-batch (Parquet→Parquet, {os.path.basename(sb['model'] or '')}) | token budget "
            f"{last['max_batch_tokens']} | {last['rows']} | {last['process_seconds']:.2f} | | | "
            f"{sb['rows_per_s']:.1f} | | {last['padded_token_ratio']} | | |"
        )
    if not res["variants"] and not sb["rows_per_s"]:
        lines.append("| (nothing measured: see Skipped below) |" + " |" * 11)
    lines += ["", "## Ratios (paired within each round: median [min, max])", ""]
    if not res["ratios"]:
        lines.append(
            "No ratios: they compare with the transformers and optimum pipelines, which need the source "
            "checkpoint (not found for this bundle; pass the HF checkpoint as --model to get them)."
            if not any(b in res["variants"] for b in ("pipeline", "optimum"))
            else "No ratios: no other variant was measured beside the baselines."
        )
        lines.append("")
    for base, per_variant in res["ratios"].items():
        lines += [
            f"### vs {base}",
            "",
            "| variant | " + " | ".join(f"bs {bs}" for bs in next(iter(per_variant.values()))) + " |",
            "|---|" + "---|" * len(next(iter(per_variant.values()))),
        ]
        for name, per_bs in per_variant.items():
            lines.append(
                f"| {name} | " + " | ".join(f"{m:.2f}× [{lo:.2f}, {hi:.2f}]" for m, lo, hi in per_bs.values()) + " |"
            )
        lines.append("")
    if res.get("models"):
        lines += [
            "## Models: speed against accuracy (serve-batch end to end, Parquet in and out)",
            "",
            "| model | precision | layers | rows/s | speed vs --model | accuracy | macro-F1 |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, m in res["models"].items():
            q = (f"{m['accuracy']:.3f} | {m['macro_f1']:.3f}") if "macro_f1" in m else " | "
            lines.append(
                f"| {os.path.basename(os.path.normpath(name))} | {m['precision']} | {m['layers'] or ''} | "
                f"{m['rows_per_s']:.1f} | {m['speed_vs_model']:.2f}× | {q} |"
            )
        lines.append("")
    lines += ["## Ceilings", ""] + (
        [f"- {k} GEMM: {v / 1e9:.0f} G op/s" for k, v in res["ceilings"].items()]
        or ["Not measured (no variant ran on this device)."]
    )
    if res["skipped"]:
        lines += ["", "## Skipped", ""] + [f"- {k}: {v}" for k, v in res["skipped"].items()]
    return "\n".join(lines) + "\n"


def chart(res: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, per_bs in res["variants"].items():
        xs = list(per_bs)
        a.plot(xs, [per_bs[x]["rows_per_s"] for x in xs], marker="o", label=name)
        b.plot(xs, [per_bs[x]["p95_ms"] for x in xs], marker="o", label=name)
    if res["serve_batch"]["rows_per_s"]:
        a.axhline(res["serve_batch"]["rows_per_s"], color="k", ls="--", label="serve-batch end to end")
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator

    sizes = sorted({bs for per_bs in res["variants"].values() for bs in per_bs})
    plain = FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 10 else f"{v:g}")
    for ax, title in ((a, "rows/s (higher is better)"), (b, "p95 batch latency, ms")):
        # log scales, labelled in plain numbers: the batch sizes themselves on x (not 2^0 ... 2^7), and
        # 20, 50, 100 ... on y (not 2.6x10^1)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(FixedLocator(sizes))
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("batch size (rows)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
