"""The math of the ops along an axis: sum, mean, max, min, logsumexp and softmax.

Each takes `axis` (None: over all elements) and `keepdims` as NumPy does; the op table
binds them once per variant. A reduction's upstream gradient has the reduced shape and is
first given back the reduced axis (`_spread`), so it broadcasts against the argument.

Products follow the engine's rule (`var.zero_wins`): backward, where a local derivative is
exactly 0 (an element max did not pick, a softmax weight that underflowed) nothing flows
back through it, whatever the upstream holds; forward, an exactly zero tangent stays 0.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray
Axis = int | None


def _spread(g: Array, axis: Axis, keepdims: bool) -> Array:
    """The reduced upstream `g` with the reduced axis back (size 1), to broadcast against a."""
    if keepdims or axis is None:
        return g  # a scalar, or already with ones where the axes were
    return np.expand_dims(g, axis)


def count(a: Array, axis: Axis) -> int:
    """How many elements each result of a reduction of `a` along `axis` comes from."""
    return a.size if axis is None else a.shape[axis]


def _gated(local: Array, g: Array) -> Array:
    """`local · g`, 0 where the local derivative is exactly 0 (∞ or NaN upstream included)."""
    return np.where(local == 0, np.zeros((), local.dtype), local * g)


def _carried(local: Array, t: Array) -> Array:
    """`local · t` in forward mode: 0 where the tangent is exactly 0, as for elementwise ops
    (another element's NaN weight does not reach an element that does not move)."""
    return np.where(t == 0, np.zeros((), local.dtype), local * t)


# sum
def sum_forward(a: Array, axis: Axis, keepdims: bool) -> Array:
    return np.sum(a, axis=axis, keepdims=keepdims)


def sum_vjp(g: Array, a: Array, out: Array, axis: Axis, keepdims: bool) -> tuple[Array]:
    return (np.broadcast_to(_spread(g, axis, keepdims), a.shape).copy(),)


def sum_jvp(ts, a: Array, out: Array, axis: Axis, keepdims: bool) -> Array:
    return np.sum(ts[0], axis=axis, keepdims=keepdims)


def sum_local(a: Array, out: Array, axis: Axis, keepdims: bool) -> tuple[Array]:
    return (np.ones_like(a),)


# mean
def mean_forward(a: Array, axis: Axis, keepdims: bool) -> Array:
    return np.mean(a, axis=axis, keepdims=keepdims)


def mean_vjp(g: Array, a: Array, out: Array, axis: Axis, keepdims: bool) -> tuple[Array]:
    share = _spread(g, axis, keepdims) / count(a, axis)
    return (np.broadcast_to(share, a.shape).copy(),)


def mean_jvp(ts, a: Array, out: Array, axis: Axis, keepdims: bool) -> Array:
    return np.mean(ts[0], axis=axis, keepdims=keepdims)


def mean_local(a: Array, out: Array, axis: Axis, keepdims: bool) -> tuple[Array]:
    return (np.full_like(a, 1 / count(a, axis)),)


# max and min: the gradient goes to the first element that attains the extreme
def _first(a: Array, axis: Axis, find) -> Array:
    """1 at the first position `find` (np.argmax or np.argmin) picks along `axis`, else 0."""
    mask = np.zeros_like(a)
    if axis is None:
        mask.flat[int(find(a))] = 1
    else:
        np.put_along_axis(mask, find(a, axis=axis, keepdims=True), 1, axis=axis)
    return mask


def _extreme(forward, find):
    """forward, vjp, jvp and local derivative of max (np.max, np.argmax) or min."""

    def reduce(a: Array, axis: Axis, keepdims: bool) -> Array:
        return forward(a, axis=axis, keepdims=keepdims)

    def vjp(g: Array, a: Array, out: Array, axis: Axis, keepdims: bool) -> tuple[Array]:
        return (_gated(_first(a, axis, find), _spread(g, axis, keepdims)),)

    def jvp(ts, a: Array, out: Array, axis: Axis, keepdims: bool) -> Array:
        return np.sum(_carried(_first(a, axis, find), ts[0]), axis=axis, keepdims=keepdims)

    def local(a: Array, out: Array, axis: Axis, keepdims: bool) -> tuple[Array]:
        return (_first(a, axis, find),)

    return reduce, vjp, jvp, local


max_forward, max_vjp, max_jvp, max_local = _extreme(np.max, np.argmax)
min_forward, min_vjp, min_jvp, min_local = _extreme(np.min, np.argmin)


# logsumexp: log(Σ exp(aᵢ)) computed as m + log(Σ exp(aᵢ - m)), m the largest aᵢ
def logsumexp_forward(a: Array, axis: Axis, keepdims: bool) -> Array:
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, np.zeros((), a.dtype))  # all -∞ (or ∞) along the axis
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else _drop(out, axis)


def _drop(out: Array, axis: Axis) -> Array:
    return out.reshape(()) if axis is None else np.squeeze(out, axis=axis)


def _weights(a: Array, out: Array, axis: Axis, keepdims: bool) -> Array:
    """softmax(a) along the axis, from logsumexp's result: exp(aᵢ - logsumexp(a))."""
    return np.exp(a - _spread(out, axis, keepdims))


def logsumexp_vjp(g: Array, a: Array, out: Array, axis: Axis, keepdims: bool) -> tuple[Array]:
    return (_gated(_weights(a, out, axis, keepdims), _spread(g, axis, keepdims)),)


def logsumexp_jvp(ts, a: Array, out: Array, axis: Axis, keepdims: bool) -> Array:
    return np.sum(_carried(_weights(a, out, axis, keepdims), ts[0]), axis=axis,
                  keepdims=keepdims)


def logsumexp_local(a: Array, out: Array, axis: Axis, keepdims: bool) -> tuple[Array]:
    return (_weights(a, out, axis, keepdims),)


# softmax: exp(aᵢ - m) / Σ exp(aⱼ - m); keepdims changes nothing (the shape is a's)
def softmax_forward(a: Array, axis: Axis, keepdims: bool) -> Array:
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, np.zeros((), a.dtype))
    e = np.exp(a - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_vjp(g: Array, a: Array, out: Array, axis: Axis, keepdims: bool) -> tuple[Array]:
    # ∂sᵢ/∂aⱼ = sᵢ(δᵢⱼ - sⱼ): the vector-Jacobian product is s · (g - Σ g·s)
    inner = np.sum(_gated(out, g), axis=axis, keepdims=True)
    return (_gated(out, g - inner),)


def softmax_jvp(ts, a: Array, out: Array, axis: Axis, keepdims: bool) -> Array:
    t = ts[0]
    return _carried(out, t - np.sum(_carried(out, t), axis=axis, keepdims=True))


def softmax_local(a: Array, out: Array, axis: Axis, keepdims: bool) -> tuple[None]:
    return (None,)  # a Jacobian, not one number per element
