"""Auto-graded assignments: in-notebook checks, the release builder and the grader.

In a notebook::

    from course_utils.grading import check
    check("q1", cosine_warmup)

Teachers: ``python -m course_utils.grading release`` and
``python -m course_utils.grading grade --assignment 01 --submissions DIR --out DIR``
(see ``assignments/README.md``).
"""

from .compare import numerical_grad, rel_error, to_plain
from .selfcheck import check

__all__ = ["check", "numerical_grad", "rel_error", "to_plain"]
