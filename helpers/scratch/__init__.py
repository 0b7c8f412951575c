"""NumPy implementations written from scratch, each checked against PyTorch.

One module per topic; import from the module, e.g.
``from helpers.scratch.activations import relu``.

- ``tiny_net``     one neuron and the 4-3-2 leaf/flower network (01_neuron, 02_leaf_flower)
- ``activations``  activation functions, their derivatives, softmax (03_activations)
- ``mlp``          a multi-layer perceptron with explicit backward (05_backprop)
- ``gradcheck``    numerical gradients by central differences (05_backprop)
- ``losses``       L1, MSE, cross-entropy and their gradients (06_loss_functions)
- ``optim``        SGD, momentum, AdaGrad, Adam, AdamW (07_optimizers)
- ``schedules``    warmup + cosine, clipping by global norm (07_optimizers)
- ``norms``        LayerNorm, RMSNorm, BatchNorm, dropout (08_normalization)
"""
