"""Shared, tested code for the course notebooks.

Each module is about one thing and names the notebook that introduces it.
Importing ``helpers`` (or any of its modules) changes no global state: no random
seed is set and no matplotlib style is changed. Notebooks call what they need.

Sub-packages and modules:

- ``helpers.runtime``   seeds, device / dtype choice, fast mode (00_course_map)
- ``helpers.validate``  argument checks shared by every module
- ``helpers.checks``    exercise checkers (one module per notebook)
- ``helpers.plotting``  the course's figures (one module per topic)
- ``helpers.widgets``   the interactive panels (one module per notebook)
- ``helpers.scratch``   NumPy implementations written from scratch
- ``helpers.data``      data sets, corpora and tokenizers
"""

__version__ = "0.1.0"
