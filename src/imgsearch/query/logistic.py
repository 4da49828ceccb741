"""Logistic regression by Newton's method: the fit behind every calibration's weights
(:mod:`imgsearch.query.calibration`) and the presence (:mod:`imgsearch.query.presence`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def fit_logistic(design: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    weights = np.zeros(design.shape[1])
    ridge = 1e-3 * np.eye(design.shape[1])
    for _ in range(200):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ weights, -60, 60)))
        gradient = design.T @ (p - y) + ridge @ weights
        hessian = (design * (p * (1 - p))[:, None]).T @ design + ridge
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-9:
            break
    return weights
