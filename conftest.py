"""Test-session settings shared by the unit tests and the notebooks run under nbval.

Checkers record the learner's progress (helpers.progress); the tests and the
notebook kernels they start record into a temporary file instead of the home folder.
"""

import os
import tempfile

os.environ.setdefault(
    "COURSE_PROGRESS_FILE",
    os.path.join(tempfile.mkdtemp(prefix="course-progress-"), "progress.json"),
)
