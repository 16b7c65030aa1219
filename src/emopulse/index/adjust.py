"""Shares that survive a weak classifier: adjusted classify-and-count on soft shares.

A classifier's mean probability for each label in a period is not that period's share of the
label: comments of each true class spread their probability over the labels in the way the
validation rows show. With M[i, j] = mean served p_j over validation rows of gold class i, a
period whose true class shares are pi has expected soft shares s = M^T pi. `adjust` inverts that:
pi = argmin ||M^T pi - s||^2 over the probability simplex (a 4x4 problem per period, solved by
projected gradient), so a shift in the population's emotions is not damped by the model's
confusions. M comes from the model's head.json (written by `emopulse calibrate`).
"""

from __future__ import annotations

import json
import os

import numpy as np

from ..core.errors import InputError


def load_confusion(model: str | None, labels: list[str]) -> np.ndarray:
    """M (rows: gold class, columns: label) in the order of `labels`, from a model dir's head.json."""
    from ..core.bundle import resolve_model

    path = resolve_model(model)
    path = path if path.endswith(".json") else os.path.join(path, "head.json")
    try:
        conf = json.load(open(path))["fitted_on"]["validation_confusion"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{path}: no validation confusion to adjust with ({exc}); run `emopulse calibrate` "
            "on the model, or leave out --adjust"
        ) from exc
    if (
        not isinstance(conf, dict)
        or not isinstance(conf.get("labels"), list)
        or sorted(map(str, conf["labels"])) != sorted(labels)
    ):
        raise InputError(
            f"{path}: its validation confusion's labels {conf.get('labels') if isinstance(conf, dict) else conf}"
            f" are not the predictions' {labels}"
        )
    return check_confusion(conf.get("soft"), conf["labels"], labels, path)


def check_confusion(soft, conf_labels: list[str], labels: list[str], path: str) -> np.ndarray:
    """The soft confusion as a k x k row-stochastic matrix in `labels` order, or InputError: a wrong
    shape, a non-finite or negative value, rows that do not sum to 1, or a singular matrix (its
    adjusted index would be meaningless) are each named."""
    k = len(labels)
    try:
        m = np.asarray(soft, np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{path}: validation_confusion.soft is not a numeric matrix ({exc})") from None
    if m.shape != (k, k):
        raise InputError(
            f"{path}: validation_confusion.soft is {'x'.join(map(str, m.shape)) or 'a scalar'}, "
            f"expected {k}x{k} for labels {labels}"
        )
    if not np.isfinite(m).all() or (m < 0).any():
        raise InputError(f"{path}: validation_confusion.soft holds NaN, infinite or negative values")
    if not np.allclose(m.sum(1), 1.0, atol=1e-3):
        raise InputError(f"{path}: validation_confusion.soft rows sum to {np.round(m.sum(1), 4).tolist()}, not 1")
    order = [list(map(str, conf_labels)).index(lab) for lab in labels]
    m = m[np.ix_(order, order)]
    if np.linalg.cond(m) > 1e8:
        raise InputError(
            f"{path}: validation_confusion.soft is singular (condition number "
            f"{np.linalg.cond(m):.3g}): the classifier's confusions cannot be undone; leave out --adjust"
        )
    return m


def project_simplex(v: np.ndarray) -> np.ndarray:
    u = np.sort(v)[::-1]
    css = np.cumsum(u)
    rho = np.nonzero(u * np.arange(1, len(v) + 1) > css - 1)[0][-1]
    return np.maximum(v - (css[rho] - 1) / (rho + 1), 0)


def adjust(shares: np.ndarray, m: np.ndarray, iters: int = 500) -> np.ndarray:
    """Rows of observed soft shares -> rows of estimated true shares (NaN rows stay NaN)."""
    out = np.full_like(shares, np.nan, dtype=np.float64)
    a = m.T
    step = 1.0 / max(np.linalg.norm(a, 2) ** 2, 1e-9)
    for r, s in enumerate(shares):
        if not np.isfinite(s).all():
            continue
        pi = project_simplex(s.astype(np.float64))
        for _ in range(iters):
            pi = project_simplex(pi - step * a.T @ (a @ pi - s))
        out[r] = pi
    return out
