"""A scalar automatic-differentiation engine in the spirit of Karpathy's micrograd.

Each ``Value`` holds one number (``data``), the gradient of the final output with
respect to it (``grad``), the values it was computed from (``_prev``) and a
closure (``_backward``) that applies the chain rule for one operation.
``backward()`` visits the graph in reverse topological order.

Inputs are checked where they enter (a new leaf ``Value``, a constant, an
exponent) and once per ``backward()`` (every value in the graph is finite);
the operations themselves carry no checks, as in micrograd.
Introduced in 05_backprop.
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = ["Value"]


class Value:
    """One scalar in a computation graph. Introduced in 05_backprop."""

    def __init__(self, data, _children=(), _op: str = "", label: str = ""):
        if not _children:  # a leaf: the one place where outside numbers come in
            if isinstance(data, bool) or not isinstance(data, Real):
                raise TypeError(
                    f"Value data must be a real number, got {type(data).__name__}"
                )
            if not math.isfinite(data):
                raise ValueError(f"Value data must be finite, got {data}")
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op
        self.label = label

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    def _node(self, op: str, data: float, *inputs: tuple[Value, float]) -> Value:
        """A new node ``data`` computed by ``op`` from ``inputs``: (input, local
        derivative d(data)/d(input)) pairs."""
        out = Value(data, tuple(node for node, _ in inputs), op)

        def _backward():  # chain rule: local derivative times the gradient from above
            for node, local_grad in inputs:
                node.grad += local_grad * out.grad

        out._backward = _backward
        return out

    def __add__(self, other) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return self._node("+", self.data + other.data, (self, 1.0), (other, 1.0))

    def __mul__(self, other) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return self._node(
            "*", self.data * other.data, (self, other.data), (other, self.data)
        )

    def __pow__(self, k) -> Value:
        if isinstance(k, bool) or not isinstance(k, Real):
            raise TypeError("the exponent must be a plain number (int or float)")
        slope = k * math.pow(self.data, k - 1) if k else 0.0  # (x^k)' = k x^(k-1)
        return self._node(f"**{k}", math.pow(self.data, k), (self, slope))

    def exp(self) -> Value:
        e = math.exp(self.data)
        return self._node("exp", e, (self, e))  # (e^x)' = e^x

    def log(self) -> Value:
        return self._node("log", math.log(self.data), (self, 1.0 / self.data))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return self._node("tanh", t, (self, 1.0 - t * t))

    def sigmoid(self) -> Value:
        x = self.data  # 1/(1+e^-x), written so that e^(...) never overflows
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return self._node("sigmoid", s, (self, s * (1.0 - s)))

    def relu(self) -> Value:
        return self._node("relu", max(self.data, 0.0), (self, float(self.data > 0)))

    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other) -> Value:
        return self + (-other)

    def __truediv__(self, other) -> Value:
        return self * (other if isinstance(other, Value) else Value(other)) ** -1

    def __radd__(self, other) -> Value:
        return self + other

    def __rmul__(self, other) -> Value:
        return self * other

    def __rsub__(self, other) -> Value:
        return (-self) + other

    def __rtruediv__(self, other) -> Value:
        return Value(other) * self**-1

    def topological_order(self) -> list[Value]:
        """Every node this value depends on, each after all of its inputs."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # iterative depth-first search: deep graphs do not recurse
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        return order

    def backward(self) -> None:
        """Add d(self)/d(leaf) to the ``grad`` of every leaf, like PyTorch.

        Leaf gradients accumulate over calls (set ``grad = 0.0`` before the next
        step: "zero_grad"); intermediate nodes start from zero on every call.
        """
        order = self.topological_order()
        for node in order:
            if not math.isfinite(node.data):
                raise ValueError(f"a non-finite value ({node.data}) after '{node._op}'")
            if node._prev:
                node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
