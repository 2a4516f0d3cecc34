"""autodiff.model: the graph as plain data, and the questions the views ask of it."""

import numpy as np

import autodiff
from autodiff.model import all_finite

CIRCUIT = "x = -2; y = 5; z = -4; f = (x + y) * z"


def test_ids_count_from_zero_in_evaluation_order():
    graph = autodiff.build(CIRCUIT)
    assert [n.id for n in graph.nodes] == [f"n{k}" for k in range(len(graph.nodes))]
    assert [e.id for e in graph.edges] == [f"e{k}" for k in range(len(graph.edges))]


def test_the_output_and_the_inputs_by_name():
    graph = autodiff.build(CIRCUIT)
    assert graph.output_node.label == "f" and graph.value == -12.0
    assert graph.inputs == ("x", "y", "z")
    assert graph.input_node("z").index == 2 and graph.input_node("z").grad == 3.0


def test_edges_by_destination_and_argument():
    graph = autodiff.build(CIRCUIT)  # n3 = x + y, n4 = n3 * z
    assert [(graph.edges[i].src, graph.edges[i].arg) for i in graph.edges_into(4)] == [
        (3, 0), (2, 1)]
    assert graph.edge_between(3, 1).src == 1
    assert graph.edges_into(0) == ()


def test_step_counts_split_the_schedule():
    graph = autodiff.build(CIRCUIT)
    assert graph.forward_steps == 2  # the add and the multiply
    assert graph.backward_steps == 1 + 2  # the seed, then one step per operation
    assert len(graph.steps) == graph.forward_steps + graph.backward_steps


def test_finiteness_of_values_and_gradients():
    graph = autodiff.build("x = 0\nf = sqrt(x)")
    x, f = graph.nodes[0], graph.output_node
    assert x.value_finite and f.value_finite and not x.grad_finite
    assert all_finite(np.array([1.0, 2.0])) and not all_finite(np.array([1.0, np.nan]))
    assert all_finite(np.float32(3.0)) and not all_finite(np.float64(-np.inf))
