"""The two quality charts every stage draws the same way (matplotlib imported only when drawing)."""

from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def confusion_png(rep: dict, path: str, title: str = "validation") -> None:
    plt = _plt()
    m = np.array(rep["confusion"])
    labels = rep["labels"]
    fig, ax = plt.subplots(figsize=(5.5, 4.8))
    norm = m / np.maximum(m.sum(1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(
                j,
                i,
                f"{m[i, j]}\n{norm[i, j]:.0%}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if norm[i, j] > 0.5 else "black",
            )
    ax.set_xticks(range(len(labels)), labels, rotation=30)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(f"{title}: accuracy {rep['accuracy']:.3f}, macro-F1 {rep['macro_f1']:.3f}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def reliability_png(rep: dict, path: str, title: str = "") -> None:
    """Reliability diagram: accuracy vs mean confidence per bin, bar width ~ the bin's rows."""
    plt = _plt()
    bins = rep.get("reliability", [])
    fig, ax = plt.subplots(figsize=(5, 4.6))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
    if bins:
        n = max(b["n"] for b in bins)
        for b in bins:
            ax.bar(
                (b["lo"] + b["hi"]) / 2,
                b["accuracy"],
                width=(b["hi"] - b["lo"]) * 0.9,
                color="tab:blue",
                alpha=0.3 + 0.7 * b["n"] / n,
            )
        ax.plot(
            [b["confidence"] for b in bins],
            [b["accuracy"] for b in bins],
            "o-",
            color="tab:red",
            label="accuracy at mean confidence",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("top-class probability")
    ax.set_ylabel("accuracy")
    ax.set_title(title or f"ECE {rep.get('ece', float('nan')):.3f} (n={rep.get('n', 0)})")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
