"""``from course_utils.models import NAME`` gives the function/class, even after the submodule of
the same name was imported."""

import importlib


def test_names_are_not_shadowed_by_submodules():
    importlib.import_module("course_utils.models.densenet")
    importlib.import_module("course_utils.models.lenet")
    from course_utils import models

    for name in models.__all__:
        obj = getattr(models, name)
        assert callable(obj) and not isinstance(obj, type(importlib)), name
