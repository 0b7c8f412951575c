"""A scalar automatic-differentiation engine, in the spirit of micrograd.

Each ``Value`` holds one number (``data``), the gradient of the final output with
respect to it (``grad``), the values it was computed from and a closure that
applies the chain rule locally. ``backward()`` visits the graph in reverse
topological order. Introduced in 05_backprop.
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = ["Value"]


def _lift(x) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"expected a Value or a real number, got {type(x).__name__}")
    return Value(x)


class Value:
    """One scalar in a computation graph. Introduced in 05_backprop."""

    def __init__(self, data, _children=(), _op: str = "", label: str = ""):
        if isinstance(data, bool) or not isinstance(data, Real):
            raise TypeError(
                f"Value data must be a real number, got {type(data).__name__}"
            )
        if not math.isfinite(float(data)):
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

    def _result(self, data: float, children, op: str) -> Value:
        if not math.isfinite(data):
            raise ValueError(f"{op} produced a non-finite result ({data})")
        return Value(data, children, op)

    def __add__(self, other) -> Value:
        other = _lift(other)
        out = self._result(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad  # d(a+b)/da = 1
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other) -> Value:
        other = _lift(other)
        out = self._result(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad  # d(a*b)/da = b
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent) -> Value:
        if isinstance(exponent, bool) or not isinstance(exponent, Real):
            raise TypeError("the exponent must be a plain number (int or float)")
        k = float(exponent)
        if self.data == 0 and k < 1 and k != 0:
            raise ValueError(f"0 ** {k} has no finite derivative")
        if self.data < 0 and not k.is_integer():
            raise ValueError(f"a negative base needs an integer exponent, got {k}")
        return self._unary(  # (x^k)' = k x^(k-1); the k = 0 case has slope 0
            f"**{exponent}", lambda x: x**k, lambda x, y: k * x ** (k - 1) if k else 0.0
        )

    def _unary(self, op: str, fn, derivative) -> Value:
        try:
            data = fn(self.data)
        except OverflowError:
            raise ValueError(f"{op}({self.data}) overflows a float") from None
        out = self._result(data, (self,), op)

        def _backward():
            self.grad += derivative(self.data, out.data) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        return self._unary("exp", math.exp, lambda x, y: y)  # (e^x)' = e^x

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log needs a positive number, got {self.data}")
        return self._unary("log", math.log, lambda x, y: 1.0 / x)

    def tanh(self) -> Value:
        return self._unary("tanh", math.tanh, lambda x, y: 1.0 - y * y)

    def sigmoid(self) -> Value:
        def fn(x):  # written so that neither branch overflows
            return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))

        return self._unary("sigmoid", fn, lambda x, y: y * (1.0 - y))

    def relu(self) -> Value:
        return self._unary("relu", lambda x: max(x, 0.0), lambda x, y: float(x > 0))

    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other) -> Value:
        return self + (-_lift(other))

    def __truediv__(self, other) -> Value:
        other = _lift(other)
        if other.data == 0:
            raise ValueError("division by a Value equal to zero")
        return self * other**-1

    def __radd__(self, other) -> Value:
        return self + other

    def __rmul__(self, other) -> Value:
        return self * other

    def __rsub__(self, other) -> Value:
        return _lift(other) + (-self)

    def __rtruediv__(self, other) -> Value:
        return _lift(other) / self

    def topological_order(self) -> list[Value]:
        """Every node this value depends on, each after all of its inputs."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # iterative depth-first search: deep graphs do not recurse
            node, children_done = stack.pop()
            if children_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        return order

    def backward(self) -> None:
        """Fill ``grad`` of every node in the graph with d(self)/d(node).

        Gradients are reset to zero first, so calling it twice gives the same
        result (unlike PyTorch, which accumulates into ``.grad``).
        """
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
