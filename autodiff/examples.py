"""The gallery: the classic tutorial examples, each with what it teaches."""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import N_, _


@dataclass(frozen=True)
class Example:
    """One gallery entry."""

    slug: str
    title: str
    teaches: str
    source: str
    dtype: str = "float64"
    """The precision the example is meant for (`float32` to watch overflow happen)."""


GALLERY: tuple[Example, ...] = (
    Example("circuit", N_("The circuit"), N_("add distributes the gradient, mul swaps the inputs"),
            "x = -2\ny = 5\nz = -4\nf = (x + y) * z"),
    Example("reuse", N_("A reused input"), N_("w1 is used twice, so its gradient has two contributions"),
            "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"),
    Example("lines", N_("Intermediates on their own lines"), N_("named intermediates are nodes too"),
            "x = 2\ny = -4\na = (x + y)**2\nb = 2*x*y\nf = a + b"),
    Example("routes", N_("Multiply along a route, add the routes"),
            N_("a reaches d directly and through c"), "a = 4\nb = 3\nc = a + b\nd = a * c"),
    Example("sigmoid-expanded", N_("The sigmoid gate, expanded"), N_("each small op has a simple rule"),
            "x = 2\ns = 1 / (1 + exp(-x))"),
    Example("sigmoid", N_("The sigmoid gate as one op"),
            N_("σ'(x) = σ(x)·(1 - σ(x)) in one step; 'expand gates' draws its primitives"),
            "x = 2\ns = sigmoid(x)"),
    Example("max", N_("max routes the gradient"), N_("only the larger input gets gradient"),
            "x = 4\ny = 2\nf = max(x, y)"),
    Example("gates", N_("The three gate patterns together"), N_("add, mul and max in one circuit"),
            "x = 3\ny = -4\nz = 2\nw = -1\nf = 2 * (x*y + max(z, w))"),
    Example("instability", N_("Numerical instability"), N_("in float32 exp(100) overflows: NaN"),
            "x = 100\nf = 1 / exp(x)", dtype="float32"),
    Example("stable", N_("The same function, written stably"),
            N_("exp(-x) never forms exp(100): in float32 the value and gradient stay finite"),
            "x = 100\nf = exp(-x)", dtype="float32"),
    Example("matvec", N_("A matrix-vector product"), N_("gradients of A @ b have A's and b's shapes"),
            "A = [[1, 2], [3, 4]]\nb = [1, -1]\nf = sum(A @ b)"),
    Example("dense", N_("A dense layer with a sin activation"), N_("a small layer, checked numerically"),
            "X = [[-1, 0, 1], [2, 3, 4], [-1, -5, 2]]\n"
            "W = [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]\n"
            "loss = sum(sin(X @ W)**2)"),
    Example("softmax", N_("Softmax and cross-entropy on a batch"),
            N_("the loss's gradient in the scores is (softmax − labels) / batch size"),
            "X = [[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]]\n"
            "Y = [[1, 0, 0], [0, 0, 1]]\n"
            "P = softmax(X, axis=1)\n"
            "loss = -mean(sum(Y * log(P), axis=1))"),
    Example("mlp", N_("A two-layer network with a ReLU"),
            N_("relu passes gradient where it was positive, and stops it elsewhere"),
            "X = [[1.0, 2.0, 0.5], [0.3, 0.8, 1.0]]\n"
            "Y = [[1, 0], [0, 1]]\n"
            "W1 = [[0.2, -0.5], [0.4, 0.1], [-0.3, 0.6]]\n"
            "b1 = [0.1, -0.2]\n"
            "W2 = [[0.5, -1.0], [0.7, 0.3]]\n"
            "b2 = [0.0, 0.1]\n"
            "h = relu(X @ W1 + b1)\n"
            "s = h @ W2 + b2\n"
            "loss = mean(logsumexp(s, axis=1) - sum(Y * s, axis=1))"),
    Example("rnn", N_("An RNN cell, unrolled over three steps"),
            N_("each cell is one gate; w and u get gradient from every step, summed "
               "('expand gates' draws each cell's insides)"),
            "w = 0.8\nu = 1.5\n"
            "def cell(h, x):\n"
            "    return tanh(h * w + x * u)\n"
            "h0 = 0.0\nx1 = 1.0\nx2 = -0.5\nx3 = 0.25\n"
            "h1 = cell(h0, x1)\nh2 = cell(h1, x2)\nh3 = cell(h2, x3)\n"
            "loss = (h3 - 0.5)**2"),
)
"""In tutorial order; the first entries are the scalar circuits."""


def by_slug(slug: str) -> Example | None:
    """The example with that slug, if any."""
    return next((e for e in GALLERY if e.slug == slug), None)


def shown(example: Example) -> dict:
    """An example as the page lists it: its title and what it teaches in the reader's language."""
    return {**vars(example), "title": _(example.title), "teaches": _(example.teaches)}
