"""Chapter helpers: one module per chapter (its figures, slider panels and experiment tables).

| module | notebook |
|---|---|
| ``ch1_lr_schedules`` | ``01_lr_schedules.ipynb`` |
| ``ch2_batch_norm`` | ``02_batch_norm.ipynb`` |
| ``ch3_resnet_densenet`` | ``03_resnet_densenet.ipynb`` |
| ``ch3_diagrams`` | ``03_resnet_densenet.ipynb`` (block and stage diagrams) |
| ``ch4_convex_optimization`` | ``04_convex_optimization.ipynb`` |
| ``ch5_sgd`` | ``05_sgd.ipynb`` |

They import the core modules of ``course_utils``; the core never imports them, and they never
import each other (a test checks both). Import one as
``from course_utils.demos import ch1_lr_schedules as demos``.
"""
