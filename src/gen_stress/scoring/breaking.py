"""Breaking points: accuracy along one knob, a fitted curve, and where it crosses a level.

The curve is a psychometric function with its floor at chance:

    p(x) = chance + (top - chance) * sigmoid(slope * (x - mid))

fitted by maximum likelihood on the items' right/wrong outcomes (scipy). Its slope may
have either sign (accuracy rises with text size, falls with object count). The breaking
point is where the fitted curve crosses a level: by default halfway between chance and
the best level the curve reaches over the tested range; the interval comes from refitting
stratified bootstrap resamples (outcomes redrawn at each knob value)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.optimize import minimize
from scipy.stats import chi2

from gen_stress.scoring.metrics import CONFIDENCE, key_rng, rate_ci

FIT_BOOTSTRAP = 100  # refits behind a breaking point's interval
MAX_POINTS = 12  # more distinct knob values than this are shown in quantile bins
MAX_FIT_VALUES = 40  # and fitted on this many quantile bins
MIN_GAIN = 0.05  # a curve whose best is less than this above chance "stays at chance"
MIN_VALUES = 3  # fewer distinct knob values than this: a table, no fit
MIN_SIDE_ITEMS = 5  # a crossing needs this many items beyond it ("thin" otherwise)
POOR_FIT_P = 0.01  # a goodness-of-fit p-value below this flags a curve the fit does not describe


@dataclass(frozen=True)
class Fit:
    chance: float
    top: float
    mid: float  # in knob units
    slope: float  # per knob unit

    def __call__(self, x):
        return self.chance + (self.top - self.chance) * _sigmoid(self.slope * (np.asarray(x, dtype=float) - self.mid))


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def _logit(q: float) -> float:
    return math.log(q / (1.0 - q))


class _Problem:
    """Negative log-likelihood of binomial counts (k right of n at each value x) under the
    curve, in standardised units (z = (x - centre) / scale) and an unbounded top."""

    def __init__(self, x: np.ndarray, n: np.ndarray, chance: float, units: tuple[float, float] | None = None):
        self.centre, self.scale = units or (float(x.mean()), float(x.std()) or 1.0)
        self.z = (x - self.centre) / self.scale
        self.n = n.astype(float)
        self.chance = chance

    def nll(self, theta: np.ndarray, k: np.ndarray) -> tuple[float, np.ndarray]:
        t, m, b = theta
        c = self.chance
        sig_t = float(_sigmoid(t))
        top = c + (1.0 - c) * sig_t
        s = _sigmoid(b * (self.z - m))
        p = np.clip(c + (top - c) * s, 1e-9, 1 - 1e-9)
        miss = self.n - k
        value = -float(np.sum(k * np.log(p) + miss * np.log1p(-p)))
        dp = -(k / p - miss / (1.0 - p))  # d nll / d p
        ds = s * (1.0 - s)
        grad = np.array([
            np.sum(dp * (1.0 - c) * sig_t * (1.0 - sig_t) * s),
            np.sum(dp * (top - c) * ds * -b),
            np.sum(dp * (top - c) * ds * (self.z - m)),
        ])
        return value, grad

    def fit(self, k: np.ndarray, starts: Sequence[Sequence[float]]) -> tuple[np.ndarray, float]:
        span = float(self.z.max() - self.z.min()) or 1.0
        bounds = [(-12.0, 12.0), (float(self.z.min()) - span, float(self.z.max()) + span), (-40.0, 40.0)]
        best = None
        for start in starts:
            # TNC, not L-BFGS-B: L-BFGS-B calls BLAS, whose thread pool makes these tiny fits
            # twenty times slower on a machine whose cores are busy.
            result = minimize(self.nll, np.asarray(start, dtype=float), args=(k,), jac=True, method="TNC",
                              bounds=bounds)
            if best is None or result.fun < best.fun:
                best = result
        return best.x, float(best.fun)

    def to_fit(self, theta) -> Fit:
        t, m, b = theta
        top = self.chance + (1.0 - self.chance) * float(_sigmoid(t))
        return Fit(self.chance, top, self.centre + m * self.scale, b / self.scale)

    def starts(self) -> list[list[float]]:
        quartiles = np.quantile(self.z, [0.25, 0.5, 0.75]) if len(self.z) else [0.0]
        return [[2.0, float(m), sign * 3.0] for m in quartiles for sign in (1.0, -1.0)]


def crossing(fit: Fit, lo: float, hi: float, level: float | None) -> dict:
    """Where the fitted curve crosses the level within [lo, hi], or why it does not."""
    p_lo, p_hi = float(fit(lo)), float(fit(hi))
    best, worst = max(p_lo, p_hi), min(p_lo, p_hi)
    target = fit.chance + 0.5 * (best - fit.chance) if level is None else level
    out = {"level": target, "best": best, "worst": worst, "value": None}
    if level is None and best - fit.chance < MIN_GAIN:
        return {**out, "status": "at_chance"}
    if worst >= target:
        return {**out, "status": "above_throughout"}
    if best < target:
        return {**out, "status": "below_throughout"}
    q = (target - fit.chance) / (fit.top - fit.chance)
    x = fit.mid + _logit(min(max(q, 1e-9), 1 - 1e-9)) / fit.slope if fit.slope else (lo + hi) / 2
    return {**out, "status": "crosses", "value": float(min(max(x, lo), hi))}


def value_points(x: np.ndarray, right: np.ndarray) -> list[dict]:
    """Observed accuracy with its interval at each knob value, or in up to MAX_POINTS
    quantile bins when the knob takes many values."""
    values = np.unique(x)
    if len(values) <= MAX_POINTS:
        groups = [(float(v), float(v), x == v) for v in values]
    else:
        edges = np.unique(np.quantile(x, np.linspace(0, 1, MAX_POINTS + 1)))
        which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
        groups = [(float(edges[b]), float(edges[b + 1]), which == b) for b in range(len(edges) - 1)]
    points = []
    for lo, hi, mask in groups:
        if not mask.any():
            continue
        acc = rate_ci(int(right[mask].sum()), int(mask.sum()))
        points.append({"x": float(x[mask].mean()), "lo": lo, "hi": hi, **{k: acc[k] for k in ("n", "value", "low",
                                                                                              "high")}})
    return points


def _step_gap(fit: Fit, values: np.ndarray, cross: dict) -> tuple[float, float] | None:
    """The tested values either side of the crossing when the fitted curve rises (or
    falls) almost all the way between them; None for a gradual curve."""
    if cross["status"] != "crosses" or len(values) < 2:
        return None
    x = cross["value"]
    below, above = values[values <= x], values[values >= x]
    if not len(below) or not len(above):
        return None
    a, b = float(below.max()), float(above.min())
    rise = abs(float(fit(b)) - float(fit(a)))
    return (a, b) if rise >= 0.9 * abs(fit.top - fit.chance) else None


def goodness_of_fit(fit: Fit, values: np.ndarray, n: np.ndarray, k: np.ndarray) -> float | None:
    """Pearson's chi-square test of the fitted curve against the counts at each value (3
    fitted parameters); a small p-value says the accuracy is not a monotone curve of the
    knob (rotation: upright and upside-down differ, 0 and 359 do not)."""
    if len(values) <= 3:
        return None
    p = np.clip(fit(values), 1e-6, 1 - 1e-6)
    statistic = float(np.sum((k - n * p) ** 2 / (n * p * (1 - p))))
    return float(chi2.sf(statistic, len(values) - 3))


def fit_groups(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values the curve is fitted at and each item's group: the distinct knob values,
    or, past MAX_FIT_VALUES of them, quantile bins at their mean value (the fit's cost
    grows with the groups, its result hardly changes)."""
    values, inverse = np.unique(x, return_inverse=True)
    if len(values) <= MAX_FIT_VALUES:
        return values, inverse
    edges = np.unique(np.quantile(x, np.linspace(0, 1, MAX_FIT_VALUES + 1)))
    inverse = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    _, inverse = np.unique(inverse, return_inverse=True)
    means = np.bincount(inverse, weights=x) / np.bincount(inverse)
    return means, inverse


def _crossing_interval(problem: _Problem, theta, x, right, inverse, bounds, level, key, resamples):
    """Percentile interval of the crossing over a case bootstrap: resample the items with
    replacement (multinomial weights), refit from the fitted parameters, re-cross. Counts
    per knob value change with each draw, so it also works for knobs whose every value is
    seen once (contrast ratios). Returns (low, high, share of refits that cross)."""
    rng = key_rng(*key, "breaking")
    n_groups = len(problem.z)
    crossings = []
    for _ in range(resamples):
        weights = rng.multinomial(len(x), np.full(len(x), 1.0 / len(x)))
        n_star = np.bincount(inverse, weights=weights, minlength=n_groups)
        k_star = np.bincount(inverse, weights=weights * right, minlength=n_groups)
        seen = n_star > 0
        values = problem.centre + problem.z[seen] * problem.scale
        sub = _Problem(values, n_star[seen], problem.chance, units=(problem.centre, problem.scale))
        c_star = crossing(sub.to_fit(sub.fit(k_star[seen], [theta])[0]), *bounds, level)
        if c_star["status"] == "crosses":
            crossings.append(c_star["value"])
    if not crossings:
        return None, None, 0.0
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(crossings, [alpha, 1 - alpha])
    return float(low), float(high), len(crossings) / resamples


def breaking_point(x: Sequence[float], right: Sequence[bool], chance: float, key: Sequence[str],
                   level: float | None = None, resamples: int = FIT_BOOTSTRAP) -> dict:
    """The accuracy-versus-knob curve of one knob: observed points, fitted curve, crossing
    with its bootstrap interval. `level` None: halfway between chance and the best level."""
    x = np.asarray(x, dtype=float)
    right = np.asarray(right, dtype=bool)
    values, inverse = fit_groups(x)
    n = np.bincount(inverse, minlength=len(values))
    k = np.bincount(inverse, weights=right, minlength=len(values))
    out = {
        "n": len(x), "range": [float(x.min()), float(x.max())], "distinct_values": len(np.unique(x)),
        "chance": chance, "points": value_points(x, right), "fit": None,
    }
    if len(values) < MIN_VALUES:
        return {**out, "crossing": {"status": "too_few_values", "value": None, "level": level}}
    problem = _Problem(values, n, chance)
    theta, nll = problem.fit(k, problem.starts())
    fit = problem.to_fit(theta)
    lo, hi = float(x.min()), float(x.max())
    cross = crossing(fit, lo, hi, level)
    direction = "flat" if abs(float(fit(hi)) - float(fit(lo))) < 1e-3 else ("increasing" if fit.slope > 0
                                                                              else "decreasing")
    out["fit"] = {"chance": fit.chance, "top": fit.top, "mid": fit.mid, "slope": fit.slope, "direction": direction,
                  "nll": nll, "p_value": goodness_of_fit(fit, values, n, k),
                  "curve": [[float(v), float(fit(v))] for v in np.linspace(lo, hi, 60)]}
    if cross["status"] == "crosses":
        beyond = int((x < cross["value"]).sum() if fit.slope > 0 else (x > cross["value"]).sum())
        if beyond < MIN_SIDE_ITEMS:
            # a crossing with a handful of items beyond it rests on those few items
            cross = {**cross, "status": "thin", "items_beyond": beyond}
    if cross["status"] == "crosses":
        low, high, share = _crossing_interval(problem, theta, x, right, inverse, (lo, hi), level, key, resamples)
        gap = _step_gap(fit, values, cross)
        if gap is not None and low is not None:
            # The whole transition falls between two tested values: the data place the
            # breaking point in that gap and no finer, whatever the refits say.
            low, high = min(low, gap[0]), max(high, gap[1])
        cross.update({"low": low, "high": high, "share_crossing": share})
    out["crossing"] = cross
    return out
