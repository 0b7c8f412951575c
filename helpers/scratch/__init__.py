"""NumPy implementations written from scratch, each checked against PyTorch.

One module per topic: ``activations`` (03_activations), and the training pieces
of Part II (05–08). Import from the module: ``from helpers.scratch.activations
import relu``.
"""
