"""course_utils: 深度学习优化课程的支持包。

Importing the package has no side effects; call ``course_utils.env.setup_notebook()`` in a
notebook to configure seeds, fonts and plotting style.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
