# %% [markdown]
# # 第5章 随机梯度下降
#
# [![在 Colab 中打开](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/dl-optim-course/course/blob/main/notebooks/05_sgd.ipynb)
#
# 第4章的梯度下降每走一步都要把全部训练样本的梯度算一遍。训练集有几万、几百万个样本时，这一步就太贵了。随机梯度下降（stochastic gradient descent，SGD）每步只看一个样本（或一小批样本），用一个**有噪声但无偏**的梯度估计代替真实梯度。本章讨论这种噪声带来的后果，以及如何用学习率调度和小批量（minibatch）驯服它。
#
# **学习目标**
#
# 1. 写出 SGD 的更新公式，理解每步代价 $\mathcal{O}(1)$ 与梯度下降的 $\mathcal{O}(n)$ 之差，并验证随机梯度是真实梯度的无偏估计；
# 2. 在二维二次函数上观察带噪声梯度的轨迹：常数学习率为何一直“徘徊”，指数衰减与多项式衰减各有什么利弊；
# 3. 一步一步推导凸目标上 SGD 的收敛上界 $\big(r^2 + L^2\sum_t \eta_t^2\big)/\big(2\sum_t \eta_t\big)$，并在对数坐标中看到 $\eta_t \propto t^{-1/2}$ 与 $\eta_t \propto t^{-1}$ 的收敛速度；
# 4. 认出一个常见错误：`np.random.normal(0.1)` 产生的是均值为 0.1 的噪声，即**有偏**梯度，并看到它造成的系统性漂移；
# 5. 区分有放回抽样与无放回抽样（随机重排）：两者的小批量梯度都无偏，但有放回抽样一轮约有 $1/e \approx 36.8\%$ 的样本一次也抽不到；
# 6. 从零实现小批量 SGD，并用 `torch.optim.SGD` 给出简洁实现，在 NASA 翼型噪声数据上比较批量大小 1500（梯度下降）、1、10、100；
# 7. 用“每轮耗时”和“损失—时间”曲线解释向量化（vectorization）与更新次数之间的权衡。
#
# **先修**：第4章（凸函数、詹森不等式、梯度下降、学习率与条件数）；线性回归与平方损失；PyTorch 自动求导的基本用法。

# %%
# 仅在 Colab 上运行：安装课程支持包并下载数据（本地环境会跳过）
import sys

if "google.colab" in sys.modules:
    !pip install -q "course-utils @ git+https://github.com/dl-optim-course/course.git"

# %%
from course_utils import env

device = env.setup_notebook()

# %%
import math
import timeit

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

from course_utils.data import airfoil_arrays, load_airfoil
from course_utils.demos.ch5_sgd import (BATCH_SIZES, draw_noisy_trace, fast_minibatch_sgd,
                                        least_squares_loss, make_minibatch_draw, minibatch_panel,
                                        noisy_trace_panel, plot_loss_curves, results_table)
from course_utils.descent import (LR_FUNCTIONS, constant_lr, exponential_lr, f_2d, f_2d_grad,
                                  final_points_2d, init_linreg, mean_distance_2d, sgd_trace_2d,
                                  squared_loss, train_concise, train_minibatch)
from course_utils.plotting import show_trace_2d
from course_utils.tables import table

# %% [markdown]
# ## 5.1 随机梯度更新
#
# 在深度学习中，目标函数通常是训练集上各样本损失的平均。设有 $n$ 个样本，第 $i$ 个样本的损失为 $f_i(\mathbf{x})$，参数为 $\mathbf{x}$，则
#
# $$f(\mathbf{x}) = \frac{1}{n}\sum_{i=1}^n f_i(\mathbf{x}),\qquad \nabla f(\mathbf{x}) = \frac{1}{n}\sum_{i=1}^n \nabla f_i(\mathbf{x}).$$
#
# 梯度下降每步都要计算全部 $n$ 个 $\nabla f_i$，每步的计算代价是 $\mathcal{O}(n)$。随机梯度下降则在每步均匀随机地抽取一个下标 $i$，只用这一个样本的梯度更新：
#
# $$\mathbf{x} \leftarrow \mathbf{x} - \eta\, \nabla f_i(\mathbf{x}),$$
#
# 其中 $\eta$ 是学习率。每步代价变成 $\mathcal{O}(1)$，与训练集大小无关。下面在一个合成的线性回归问题上实际测一测：计算一次完整梯度与计算一个样本梯度所需的时间随 $n$ 怎样变化（具体数字取决于你的机器）。

# %%
sizes = env.pick(smoke=[1_000, 10_000], cpu=[1_000, 10_000, 100_000, 1_000_000],
                 full=[1_000, 10_000, 100_000, 1_000_000])
rng = np.random.default_rng(0)
w = rng.normal(size=5)
rows = []
for n in sizes:
    X, y = rng.normal(size=(n, 5)), rng.normal(size=n)
    full = min(timeit.repeat(lambda: X.T @ (X @ w - y) / n, number=5, repeat=5)) / 5
    i = int(rng.integers(n))
    one = min(timeit.repeat(lambda: X[i] * (X[i] @ w - y[i]), number=200, repeat=5)) / 200
    rows.append((n, full * 1e3, one * 1e3))
table(rows, [(0, "样本数 n", ",d"), (1, "完整梯度（毫秒）", ".4f"), (2, "单样本梯度（毫秒）", ".4f")])

# %% [markdown]
# 完整梯度的耗时随 $n$ 增长，总体上大致与 $n$ 成正比（数据装不进 CPU 缓存时还会增长得更快；单次计时也会受机器负载影响而跳动）；单样本梯度的耗时则与 $n$ 无关。
#
# 代价低并不意味着方向乱：由于下标 $i$ 是均匀抽取的，随机梯度的期望恰好等于真实梯度，
#
# $$\mathbb{E}_i\big[\nabla f_i(\mathbf{x})\big] = \frac{1}{n}\sum_{i=1}^n \nabla f_i(\mathbf{x}) = \nabla f(\mathbf{x}),$$
#
# 也就是说随机梯度是真实梯度的**无偏估计**（unbiased estimate）。下面在本章后面要用的翼型噪声数据上验证：取 $K$ 个随机样本梯度的平均（有放回地抽取），它与完整梯度的相对误差随 $K$ 增大而趋于 0；由于各次抽样独立，误差按 $1/\sqrt{K}$ 的速度减小，所以“相对误差 $\times\sqrt{K}$”应当大致不变。

# %%
# NBVAL_CHECK_OUTPUT
X_air, y_air = (t.double().numpy() for t in airfoil_arrays())
w_air = np.full(5, 0.1)                                   # any fixed parameter vector works


def example_grads(idx):
    """Per-example gradients of (x·w - y)²/2 for the rows idx, shape (len(idx), 5)."""
    residual = X_air[idx] @ w_air - y_air[idx]
    return residual[:, None] * X_air[idx]


full_grad = example_grads(np.arange(len(X_air))).mean(axis=0)
rng = np.random.default_rng(0)
print("完整梯度:", np.round(full_grad, 4))
for K in (10, 100, 1_000, 10_000):
    rel = [np.linalg.norm(example_grads(rng.integers(len(X_air), size=K)).mean(axis=0) - full_grad)
           / np.linalg.norm(full_grad) for _ in range(50)]             # 50 repetitions
    print(f"K = {K:>5}: 平均相对误差 {np.mean(rel):.4f}，乘以 √K 后 {np.mean(rel) * math.sqrt(K):.2f}")

# %% [markdown]
# ## 5.2 带噪声的梯度：常数学习率与动态学习率
#
# 为了能直接看到轨迹，我们沿用第4章的二维目标函数 $f(x_1, x_2) = x_1^2 + 2x_2^2$，梯度为 $(2x_1, 4x_2)$，最小值点是原点。随机梯度的效果用“真实梯度加上零均值、方差为 1 的高斯噪声”来模拟：
#
# $$\mathbf{g}_t = \nabla f(\mathbf{x}_{t-1}) + \boldsymbol{\epsilon}_t,\quad \boldsymbol{\epsilon}_t \sim \mathcal{N}(\mathbf{0}, \mathbf{I}),\qquad \mathbf{x}_t = \mathbf{x}_{t-1} - \eta_t\, \mathbf{g}_t,$$
#
# 其中第 $t$ 步（$t = 1, 2, \dots$）的学习率 $\eta_t = \eta \cdot \mathrm{lr}(t)$ 由一个关于步数的函数给出。先手写一遍，噪声从带种子的生成器中一次取出：

# %%
# NBVAL_CHECK_OUTPUT
def noisy_sgd_step(x1, x2, eta_t, eps):
    g1, g2 = f_2d_grad(x1, x2)
    return x1 - eta_t * (g1 + eps[0]), x2 - eta_t * (g2 + eps[1])


eta, steps = 0.1, 50
eps = np.random.default_rng(0).normal(0.0, 1.0, size=(steps, 2))   # zero-mean noise
x = (-5.0, -2.0)
trace = [x]
for t in range(1, steps + 1):
    x = noisy_sgd_step(*x, eta * constant_lr(t), eps[t - 1])
    trace.append(x)
print(f"第 {steps} 步: x1 = {x[0]:.4f}, x2 = {x[1]:.4f}, f(x) = {f_2d(*x):.4f}")
print("与 course_utils 版本 sgd_trace_2d 一致:",
      np.allclose(trace, sgd_trace_2d("constant", eta=eta, steps=steps, seed=0)))

# %% [markdown]
# 之后直接使用 `course_utils.descent.sgd_trace_2d(lr_fn, eta=..., steps=..., seed=...)`，它返回形状为 `(steps + 1, 2)` 的轨迹。下面并排画出三种学习率函数（与 d2l 相同的设置）：
#
# - 常数（constant）：$\mathrm{lr}(t) = 1$，走 50 步；
# - 指数衰减（exponential decay）：$\mathrm{lr}(t) = e^{-0.1t}$，走 1000 步；
# - 多项式衰减（polynomial decay）：$\mathrm{lr}(t) = (1 + 0.1t)^{-1/2}$，走 50 步。

# %%
settings = [("constant", 50, "常数学习率"), ("exponential", 1000, "指数衰减"),
            ("polynomial", 50, "多项式衰减")]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.0))
for ax, (name, n_steps, label) in zip(axes, settings):
    tr = sgd_trace_2d(name, eta=0.1, steps=n_steps, seed=0)
    show_trace_2d(f_2d, tr, ax=ax, xlim=(-5.5, 1.5), ylim=(-3.0, 1.5), aspect="equal",
                  levels=12, title=f"{label}：{n_steps} 步后 f = {f_2d(*tr[-1]):.3f}")
fig.tight_layout()

# %% [markdown]
# 单条轨迹受随机性影响很大。为了得到可靠的结论，我们对每种设置用 300 个不同的随机种子各跑一次，统计终点到最优点的平均距离 $\mathbb{E}\|\mathbf{x}_T\|$ 和终点的平均函数值，并列出最后一步的学习率 $\eta_T$：

# %%
# NBVAL_CHECK_OUTPUT
names = {"constant": "常数", "exponential": "指数衰减", "polynomial": "多项式衰减"}
rows = []
for name, n_steps in [("constant", 50), ("constant", 200), ("exponential", 1000),
                      ("polynomial", 50), ("polynomial", 200)]:
    P = final_points_2d(name, num_runs=300, eta=0.1, steps=n_steps)
    rows.append({"lr_fn": names[name], "T": n_steps, "eta_T": f"{0.1 * LR_FUNCTIONS[name](n_steps):.4g}",
                 "dist": np.linalg.norm(P, axis=1).mean(), "f": f_2d(P[:, 0], P[:, 1]).mean()})
summary_2d = table(rows, [("lr_fn", "学习率函数"), ("T", "步数 T", "d"), ("eta_T", "末步学习率 η_T"),
                          ("dist", "平均距离", ".4f"), ("f", "平均 f", ".4f")])
summary_2d

# %% [markdown]
# 表中最值得注意的是指数衰减：走了 1000 步，末步学习率已小到可以忽略，离最优点却比只走 50 步的常数学习率还远。原因是它的学习率之和有限：$\sum_{t\ge1} \eta_t = 0.1\sum_{t\ge1} e^{-0.1t} = 0.1/(e^{0.1}-1)$。忽略噪声时，$x_1$ 每步乘以 $(1 - 2\eta_t)$，所以即使完全没有噪声，1000 步后 $x_1$ 也只剩初值的 $\prod_{t=1}^{1000} (1 - 0.2e^{-0.1t})$ 倍：

# %%
# NBVAL_CHECK_OUTPUT
total = 1 / (math.exp(0.1) - 1)
sum_eta = sum(0.1 * exponential_lr(t) for t in range(1, 1001))
shrink = np.prod([1 - 0.2 * exponential_lr(t) for t in range(1, 1001)])
print(f"Σ e^(-0.1t) = {total:.2f}，所以 Σ η_t = 0.1 × {total:.2f} = {0.1 * total:.3f}"
      f"（前 1000 步之和 {sum_eta:.3f}）")
print(f"x1 的压缩因子 = {shrink:.3f}，无噪声时从 x1 = -5 出发只能走到 x1 ≈ {-5 * shrink:.2f}")

# %% [markdown]
# **常数学习率为何一直徘徊。** 把 $x_1$ 方向单独拿出来看：$x_{1,t} = (1 - 2\eta)\,x_{1,t-1} - \eta\,\epsilon_{1,t}$。确定性的部分把 $x_1$ 拉向 0，但每步都会注入一份方差为 $\eta^2$ 的新噪声。两者平衡时，方差 $v$ 满足 $v = (1-2\eta)^2 v + \eta^2$，即
#
# $$\operatorname{Var}(x_1) = \frac{\eta^2}{1-(1-2\eta)^2} = \frac{\eta}{4(1-\eta)},\qquad \operatorname{Var}(x_2) = \frac{\eta^2}{1-(1-4\eta)^2} = \frac{\eta}{8(1-2\eta)}.$$
#
# 只要 $\eta$ 不变，迭代点就永远停留在一团半径约为 $\sqrt{\eta}$ 量级的“云”里，无论走多少步都不会收敛到最优点。下面用模拟验证这个公式：

# %%
# NBVAL_CHECK_OUTPUT
eta = 0.1
P = final_points_2d("constant", num_runs=500, eta=eta, steps=200)
theory = np.sqrt([eta / (4 * (1 - eta)), eta / (8 * (1 - 2 * eta))])
print("终点标准差（模拟）:", np.round(P.std(axis=0), 3))
print("终点标准差（理论）:", np.round(theory, 3))

# %% [markdown]
# 模拟值与理论值只差几个百分点：用 500 个终点估计标准差，估计值本身就有约 $1/\sqrt{2\times 500} \approx 3\%$ 的相对抽样误差。

# %% [markdown]
# 要让这团“云”收缩，就必须让学习率随时间减小。但减小得太快也不行：
#
# - **指数衰减**时 $\sum_t \eta_t$ 是一个有限的数，参数能移动的“总路程”被锁死了。这里 $\sum_{t\ge1}\eta_t = 0.951$：即使没有噪声，$x_1$ 也只能从 $-5$ 走到约 $-0.68$，与上表中指数衰减的平均距离 0.6801 相符：迭代点在到达最优点之前就被“冻住”了；
# - **多项式衰减** $\eta_t \propto t^{-1/2}$ 衰减得慢得多，$\sum_t \eta_t$ 发散，所以总能走到最优点附近，同时噪声的影响逐渐变小。上表中，多项式衰减的末步学习率从 50 步时的 0.04082 降到 200 步时的 0.02182，平均距离也从 0.1132 降到 0.0790。“云”的方差大致与当前学习率成正比，半径大致与 $\sqrt{\eta_t}$ 成正比：$\sqrt{0.04082/0.1}\times 0.1766 \approx 0.113$，与模拟结果吻合。
#
# 学习率衰减的经典充分条件（Robbins–Monro 条件）是 $\sum_t \eta_t = \infty$ 且 $\sum_t \eta_t^2 < \infty$，例如 $\eta_t \propto t^{-\alpha}$，$\tfrac12 < \alpha \le 1$。本章的 $\alpha = \tfrac12$ 恰好不满足第二个条件，但只要 $\eta_t \to 0$ 且 $\sum_t \eta_t = \infty$，在这个强凸二次函数上终点的均方误差仍然趋于 0，只是收敛较慢。
#
# 在第1章中我们已经见过各种学习率调度器，这里看到的正是它们存在的根本原因之一：**随机梯度的噪声**。

# %% [markdown]
# ## 5.3 凸目标上的收敛性：一个上界
#
# 上一节的结论来自一个具体的二次函数。对一般的凸目标函数，可以推导出一个只依赖学习率序列的上界，它把“学习率之和要发散、平方和要小”这条经验说得很精确。这里沿用 d2l 的记号：第 $t$ 步（$t = 1, \dots, T$）的迭代点为 $\mathbf{x}_t$，随机梯度为 $\mathbf{g}_t$，更新为 $\mathbf{x}_{t+1} = \mathbf{x}_t - \eta_t \mathbf{g}_t$。
#
# **假设。**
#
# 1. $f$ 是凸函数，$\mathbf{x}^*$ 是它的一个最小值点，$f^* = f(\mathbf{x}^*)$；
# 2. 随机梯度无偏：$\mathbb{E}[\mathbf{g}_t \mid \mathbf{x}_t] = \nabla f(\mathbf{x}_t)$；
# 3. 随机梯度的二阶矩有界：$\mathbb{E}\|\mathbf{g}_t\|^2 \le L^2$；
# 4. 起点离最优点不远：$\|\mathbf{x}_1 - \mathbf{x}^*\| \le r$。
#
# 还要用到凸函数的一阶条件：对可微的凸函数，$f(\mathbf{y}) \ge f(\mathbf{x}) + \nabla f(\mathbf{x})^\top(\mathbf{y} - \mathbf{x})$，即函数图像位于任意一点的切平面之上。（由凸函数的定义，$f(\mathbf{x} + \lambda(\mathbf{y}-\mathbf{x})) \le f(\mathbf{x}) + \lambda\big(f(\mathbf{y}) - f(\mathbf{x})\big)$；两边减去 $f(\mathbf{x})$、除以 $\lambda$，再令 $\lambda \to 0$ 即得。）
#
# **第 1 步：展开一步更新后到最优点的距离。** 把 $\mathbf{x}_{t+1} = \mathbf{x}_t - \eta_t\mathbf{g}_t$ 代入并展开平方：
#
# $$\|\mathbf{x}_{t+1} - \mathbf{x}^*\|^2 = \|\mathbf{x}_t - \mathbf{x}^*\|^2 - 2\eta_t\, \mathbf{g}_t^\top(\mathbf{x}_t - \mathbf{x}^*) + \eta_t^2 \|\mathbf{g}_t\|^2.$$
#
# **第 2 步：对随机性取期望，用无偏性和凸性处理中间项。** 先在给定 $\mathbf{x}_t$ 的条件下取期望，由假设 2，$\mathbb{E}[\mathbf{g}_t^\top(\mathbf{x}_t - \mathbf{x}^*) \mid \mathbf{x}_t] = \nabla f(\mathbf{x}_t)^\top(\mathbf{x}_t - \mathbf{x}^*)$；再由一阶条件（取 $\mathbf{y} = \mathbf{x}^*$），
#
# $$\nabla f(\mathbf{x}_t)^\top(\mathbf{x}_t - \mathbf{x}^*) \ge f(\mathbf{x}_t) - f^*.$$
#
# 把它和假设 3 代回第 1 步并对全部随机性取期望：
#
# $$\mathbb{E}\|\mathbf{x}_{t+1} - \mathbf{x}^*\|^2 \le \mathbb{E}\|\mathbf{x}_t - \mathbf{x}^*\|^2 - 2\eta_t\, \mathbb{E}\big[f(\mathbf{x}_t) - f^*\big] + \eta_t^2 L^2.$$
#
# **第 3 步：移项后对 $t = 1, \dots, T$ 求和。** 距离项逐项相消（裂项求和），只剩首尾两项：
#
# $$2\sum_{t=1}^T \eta_t\, \mathbb{E}\big[f(\mathbf{x}_t) - f^*\big] \le \|\mathbf{x}_1 - \mathbf{x}^*\|^2 - \mathbb{E}\|\mathbf{x}_{T+1} - \mathbf{x}^*\|^2 + L^2\sum_{t=1}^T \eta_t^2 \le r^2 + L^2\sum_{t=1}^T \eta_t^2.$$
#
# **第 4 步：对加权平均的迭代点用詹森不等式。** 记 $\bar{\mathbf{x}}_T = \sum_{t=1}^T \eta_t \mathbf{x}_t \big/ \sum_{t=1}^T \eta_t$。权重 $\eta_t/\sum_s \eta_s$ 非负且和为 1，由詹森不等式（第4章）$f(\bar{\mathbf{x}}_T) \le \sum_t \eta_t f(\mathbf{x}_t) \big/ \sum_t \eta_t$。两边除以 $2\sum_t \eta_t$，得到
#
# $$\boxed{\;\mathbb{E}\big[f(\bar{\mathbf{x}}_T)\big] - f^* \le \frac{r^2 + L^2 \sum_{t=1}^T \eta_t^2}{2\sum_{t=1}^T \eta_t}\;}$$
#
# **这个上界说明了什么。** 分子里的 $r^2$ 是“从起点走到最优点”的代价，要靠分母 $\sum_t \eta_t$ 的增长来摊薄；$L^2\sum_t\eta_t^2$ 是梯度噪声累积的代价。
#
# - **常数学习率** $\eta_t = \eta$：上界为 $\dfrac{r^2}{2\eta T} + \dfrac{L^2\eta}{2}$。$T \to \infty$ 时它降到 $L^2\eta/2$ 就不再下降——这正是 5.2 节那团不收缩的“云”。若事先知道总步数 $T$，取 $\eta = r/(L\sqrt{T})$ 可使上界最小，等于 $rL/\sqrt{T}$。
# - **指数衰减**：$\sum_t \eta_t$ 有限（上面算出的 0.951），分母有上限，上界至少是 $r^2/(2\times 0.951)$，永远不趋于 0——与“冻住”的现象一致。
# - **$\eta_t = \eta_0 t^{-1/2}$**：$\sum_{t=1}^T \eta_t \ge 2\eta_0(\sqrt{T+1} - 1)$，$\sum_{t=1}^T \eta_t^2 \le \eta_0^2(1 + \ln T)$，上界为 $\mathcal{O}\big(\ln T / \sqrt{T}\big)$。
# - **$\eta_t = \eta_0/t$**：$\sum_t \eta_t^2 \le \eta_0^2\pi^2/6$ 有界，但 $\sum_{t=1}^T \eta_t \approx \eta_0 \ln T$ 增长得太慢，上界只有 $\mathcal{O}(1/\ln T)$。对一般的凸函数，按这个上界，$1/t$ 衰减反而比 $t^{-1/2}$ 差得多。
#
# 上界描述的是最坏情况。本章的 $f(x_1, x_2) = x_1^2 + 2x_2^2$ 是**强凸**（strongly convex）的：黑塞矩阵的最小特征值 $\mu = 2 > 0$。在强凸函数上情况不同：常数学习率的“云”的方差与 $\eta$ 成正比（5.2 节的公式），学习率慢慢减小时，迭代点大致跟着当前学习率的“云”走，所以 $\eta_t \propto t^{-1/2}$ 时 $\mathbb{E}\|\mathbf{x}_T - \mathbf{x}^*\|^2 \propto T^{-1/2}$，距离 $\propto T^{-1/4}$；而 $\eta_t = \eta_0/t$ 且 $\mu\eta_0 > \tfrac12$ 时，$\mathbb{E}\|\mathbf{x}_T - \mathbf{x}^*\|^2 = \mathcal{O}(1/T)$，距离 $\propto T^{-1/2}$。如果 $\eta_0$ 太小（$\mu\eta_0 < \tfrac12$），没有噪声时 $x_1$ 每步乘以 $1 - \mu\eta_0/t$，连乘起来只按 $T^{-\mu\eta_0}$ 衰减，收敛会慢得多（Nemirovski 等，2009）。
#
# 下面先画出上界本身（取 $r = L = \eta_0 = 1$，只看形状），再在二次函数上模拟：三种学习率各跑 500 次，记录 $T = 10, \dots, 10^4$ 时终点到最优点的平均距离，并在 $T \ge 100$ 的部分用直线拟合对数坐标下的斜率。`mean_distance_2d` 把 500 次运行放在一个数组里同时推进，所以即使走 $10^4$ 步，计算量也不大。

# %%
# NBVAL_CHECK_OUTPUT
def sgd_bound(etas, r=1.0, L=1.0):
    """(r² + L²·Σ_{t≤T} η_t²) / (2·Σ_{t≤T} η_t) for every T = 1, …, len(etas)."""
    etas = np.asarray(etas, dtype=float)
    return (r ** 2 + L ** 2 * np.cumsum(etas ** 2)) / (2 * np.cumsum(etas))


t_all = np.arange(1, 10 ** 6 + 1)
bounds = {"常数 η = 0.01": sgd_bound(np.full(len(t_all), 0.01)),
          "η_t = t^(-1/2)": sgd_bound(t_all ** -0.5),
          "η_t = 1/t": sgd_bound(1.0 / t_all)}
for label, b in bounds.items():
    print(f"上界（r = L = 1），{label}：T = 10² 时 {b[99]:.3f}，T = 10⁴ 时 {b[9_999]:.4f}，"
          f"T = 10⁶ 时 {b[-1]:.4f}")

checkpoints = np.unique(np.geomspace(10, 10_000, 16).astype(int))
schedules = {"η_t = 0.5 t^(-1/2)": (lambda t: t ** -0.5, 0.5, -0.25),
             "η_t = 0.5/t": (lambda t: 1.0 / t, 0.5, -0.5),
             "η_t = 0.1/t（η_0 太小）": (lambda t: 1.0 / t, 0.1, -0.2)}
distances, slopes = {}, {}
tail = checkpoints >= 100
for label, (lr_fn, eta0, predicted) in schedules.items():
    distances[label] = mean_distance_2d(lr_fn, checkpoints, eta=eta0, num_runs=500)
    slopes[label] = np.polyfit(np.log(checkpoints[tail]), np.log(distances[label][tail]), 1)[0]
    print(f"{label}：T = 10⁴ 时平均距离 {distances[label][-1]:.4f}，"
          f"拟合斜率 {slopes[label]:+.3f}（预测 {predicted:+.2f}）")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
latex = {"常数 η = 0.01": r"常数 $\eta = 0.01$", "η_t = t^(-1/2)": r"$\eta_t = t^{-1/2}$",
         "η_t = 1/t": r"$\eta_t = 1/t$", "η_t = 0.5 t^(-1/2)": r"$\eta_t = 0.5\,t^{-1/2}$",
         "η_t = 0.5/t": r"$\eta_t = 0.5/t$", "η_t = 0.1/t（η_0 太小）": r"$\eta_t = 0.1/t$（$\eta_0$ 太小）"}
for (label, b), color in zip(bounds.items(), ("C7", "C0", "C1")):
    ax1.loglog(t_all, b, color=color, label=latex[label])
ax1.set_xlabel("步数 T")
ax1.set_ylabel("上界（r = L = 1）")
ax1.set_title("凸函数上的上界")
for (label, d), color in zip(distances.items(), ("C0", "C1", "C3")):
    fit = np.polyfit(np.log(checkpoints[tail]), np.log(d[tail]), 1)
    ax2.loglog(checkpoints, d, "o", ms=4, color=color, label=f"{latex[label]}，斜率 {slopes[label]:+.2f}")
    ax2.loglog(checkpoints[tail], np.exp(np.polyval(fit, np.log(checkpoints[tail]))), "--",
               color=color, lw=1)
ax2.set_xlabel("步数 T")
ax2.set_ylabel(r"平均距离 $\mathbb{E}\|\mathbf{x}_T - \mathbf{x}^*\|$")
ax2.set_title(r"$x_1^2 + 2x_2^2$ 上的模拟（500 次，虚线为拟合）")
for ax in (ax1, ax2):
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8.5)
fig.tight_layout()

# %% [markdown]
# 左图是上界本身：常数学习率的上界停在 $L^2\eta/2 = 0.005$ 附近不再下降；$t^{-1/2}$ 的上界按 $\ln T/\sqrt{T}$ 下降；$1/t$ 的上界按 $1/\ln T$ 下降，慢得多（从 $T = 10^2$ 的 0.254 只降到 $T = 10^6$ 的 0.092，而 $t^{-1/2}$ 的上界降到了 0.0039）。右图是强凸二次函数上的实际表现，拟合斜率与上面的预测相符：$t^{-1/2}$ 约为 $-1/4$，$\eta_0 = 0.5$ 的 $1/t$（$\mu\eta_0 = 1 > \tfrac12$）约为 $-1/2$，收敛得最快；同样是 $1/t$，$\eta_0 = 0.1$（$\mu\eta_0 = 0.2$）时斜率只有约 $-0.2$，$T = 10^4$ 时离最优点还比另外两条远一个数量级以上。两张图合起来说明：$1/t$ 衰减在强凸问题上最快，但对常数 $\eta_0$ 很敏感，在一般凸问题上的保证也差；$t^{-1/2}$ 衰减在两种情形下都稳妥。深度学习的损失既不是凸的，也谈不上强凸，实践中更常用阶梯衰减、余弦退火（第1章）这类按轮数设计的调度，但“$\sum_t \eta_t$ 要足够大、$\sum_t \eta_t^2$ 要相对小”这条原则不变。

# %% [markdown]
# ## 5.4 常见错误：`np.random.normal(0.1)` 不是“标准差 0.1 的噪声”
#
# NumPy 的函数签名是 `np.random.normal(loc=0.0, scale=1.0, size=None)`：**第一个**位置参数是均值，不是标准差。于是 `np.random.normal(0.1)` 采样的是均值 0.1、标准差 1 的正态分布。把它当作“梯度噪声”加到梯度上，得到的随机梯度满足
#
# $$\mathbb{E}[\mathbf{g}] = \nabla f(\mathbf{x}) + 0.1\cdot\mathbf{1} \neq \nabla f(\mathbf{x}),$$
#
# 也就是一个**有偏**（biased）的梯度估计。先看两种噪声的样本均值：

# %%
# NBVAL_CHECK_OUTPUT
rng = np.random.default_rng(0)
buggy = rng.normal(0.1, size=100_000)           # the bug: loc=0.1, scale=1
fixed = rng.normal(0.0, 1.0, size=100_000)      # zero-mean noise
print(f"np.random.normal(0.1)     样本均值 {buggy.mean():+.4f}，样本标准差 {buggy.std():.4f}")
print(f"np.random.normal(0.0, 1)  样本均值 {fixed.mean():+.4f}，样本标准差 {fixed.std():.4f}")

# %% [markdown]
# 有偏梯度会让 SGD 收敛到错误的点。期望梯度 $\nabla f(\mathbf{x}) + \mu\mathbf{1}$ 的零点满足 $2x_1 + \mu = 0$、$4x_2 + \mu = 0$，即 $(-\mu/2, -\mu/4)$，而不是原点——SGD 实际上在最小化 $f(\mathbf{x}) + \mu(x_1 + x_2)$。下面从最优点出发、对每个噪声均值 $\mu$ 用 1000 个种子各跑 100 步，比较终点的平均位置与这个预测：

# %%
# NBVAL_CHECK_OUTPUT
for mu in (0.0, 0.1, 0.5, 1.0):
    mean = final_points_2d("constant", num_runs=1000, steps=100, x0=(0.0, 0.0),
                           noise_mean=mu).mean(axis=0)
    print(f"噪声均值 μ = {mu:.1f}: 终点平均 ({mean[0]:+.3f}, {mean[1]:+.3f})，"
          f"预测 ({0.0 - mu / 2:+.3f}, {0.0 - mu / 4:+.3f})")

# %% [markdown]
# 漂移与 $\mu$ 成正比。关键在于：**衰减学习率能消除噪声造成的抖动，却消除不了偏差**。下图用多项式衰减各跑 300 个种子、每次 1000 步，画出终点的分布：零均值噪声的终点围绕原点（黑色星号），有偏噪声的终点整体漂向预测点 $(-0.05, -0.025)$（红色叉号）。

# %%
fig, ax = plt.subplots(figsize=(7.5, 3.6))
for mu, color, label in ((0.0, "C0", "零均值噪声"), (0.1, "C3", "np.random.normal(0.1)")):
    P = final_points_2d("polynomial", num_runs=300, steps=1000, noise_mean=mu)
    ax.scatter(P[:, 0], P[:, 1], s=8, alpha=0.35, color=color, label=label)
    ax.plot(*P.mean(axis=0), "o", color=color, ms=9, mec="k", label=f"{label}：平均终点")
ax.plot(0, 0, "k*", ms=14, label="真正的最优点")
ax.plot(-0.05, -0.025, "rx", ms=12, mew=2.5, label="有偏梯度的零点")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax.set_title("多项式衰减、1000 步后的终点")
ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.02, 0.5))
ax.set_aspect("equal")
fig.tight_layout()

# %% [markdown]
# 下面的交互面板把本节和 5.2 节放在一起：选择学习率函数，拖动学习率 $\eta$、噪声均值 $\mu$ 和步数，观察轨迹。先静态画一张夸张的情形：噪声均值 $\mu = 1$、多项式衰减、走 500 步，并打印终点和后 250 步的平均位置：

# %%
draw_noisy_trace(schedule="polynomial", eta=0.1, noise_mean=1.0, steps=500)
biased_trace = sgd_trace_2d("polynomial", eta=0.1, steps=500, noise_mean=1.0, seed=0)
late = biased_trace[250:]
print(f"终点 ({biased_trace[-1, 0]:+.2f}, {biased_trace[-1, 1]:+.2f})；"
      f"后 250 步的平均位置 ({late[:, 0].mean():+.2f}, {late[:, 1].mean():+.2f})，"
      f"标准差 ({late[:, 0].std():.2f}, {late[:, 1].std():.2f})")

# %% [markdown]
# 轨迹的后半段在有偏梯度的零点 $(-0.5, -0.25)$（红色叉号）周围抖动：后 250 步的平均位置是 $(-0.48, -0.23)$，两个坐标的标准差约为 0.05 和 0.03；这一次运行的终点 $(-0.35, -0.22)$ 恰好落在这团点的边缘（多项式衰减下的抖动还没有完全消失）。无论哪一种，它们都远离真正的最优点——原点（黑色星号）。

# %%
trace_panel = noisy_trace_panel(schedule="polynomial", eta=0.1, noise_mean=1.0, steps=500)
trace_panel

# %% [markdown]
# 可以试试：把 $\mu$ 拖回 0，轨迹就会收敛到原点附近；再换成常数学习率，或把 $\eta$ 调大，看终点周围的“云”如何变大。

# %% [markdown]
# ## 5.5 小批量随机梯度下降
#
# 每步只用一个样本有两个问题：梯度噪声大；更糟的是在现代硬件上，一次处理一个样本极其浪费——CPU 的向量指令、GPU 的成千上万个核心都在“等活干”。折中的办法是小批量随机梯度下降（minibatch SGD）：每步随机抽取一个小批量 $\mathcal{B}_t$，其中样本的个数 $|\mathcal{B}_t|$ 称为批量大小（batch size），用这些样本的平均梯度更新：
#
# $$\mathbf{g}_t = \frac{1}{|\mathcal{B}_t|}\sum_{i\in\mathcal{B}_t} \nabla f_i(\mathbf{x}_{t-1}),\qquad \mathbf{x}_t = \mathbf{x}_{t-1} - \eta_t\, \mathbf{g}_t.$$
#
# $\mathbf{g}_t$ 仍是无偏估计；若小批量中的样本是有放回地独立抽取的，它的方差比单个样本梯度小 $|\mathcal{B}_t|$ 倍（标准差小 $\sqrt{|\mathcal{B}_t|}$ 倍，与 5.1 节的 $1/\sqrt{K}$ 是同一回事）。同时，一个小批量的梯度可以用一次矩阵乘法算完，充分利用向量化（vectorization）。
#
# ### 有放回抽样与无放回抽样
#
# “随机抽取一个小批量”有两种做法：
#
# - **有放回抽样**（sampling with replacement）：每个小批量的下标都从 $\{1, \dots, n\}$ 中独立、均匀地抽取，同一个样本可能在一轮里被抽到好几次。5.1 节的推导和上面“方差小 $|\mathcal{B}_t|$ 倍”的说法针对的就是这种做法。
# - **无放回抽样**（sampling without replacement），也叫随机重排（random reshuffling）：每轮开始时把全部下标随机打乱，再按顺序切成小批量。PyTorch 的 `DataLoader(shuffle=True)` 和本课程的 `TensorLoader` 都这样做，本章的训练也是。
#
# 两种做法得到的小批量梯度**都是无偏的**：无放回时，每个样本落在某个给定小批量里的概率同样是 $|\mathcal{B}|/n$，对称性保证期望仍是 $\nabla f(\mathbf{x})$。差别在于一轮之内的覆盖。有放回地抽 $n$ 次，某个样本一次也没被抽到的概率是
#
# $$\Big(1 - \frac1n\Big)^n \xrightarrow{\;n\to\infty\;} e^{-1} \approx 0.368,$$
#
# 也就是说，一轮“名义上”看完 $n$ 个样本，实际只见到约 $1 - 1/e \approx 63.2\%$ 的不同样本，其余的名额被重复的样本占去了。无放回时每个样本每轮恰好出现一次：固定参数时，一轮里各小批量梯度的平均**恰好**等于完整梯度。实践中随机重排通常收敛得不比有放回抽样慢，往往更快（Bottou，2009；Gürbüzbalaban 等，2021）。下面在翼型数据上（沿用 5.1 节的 `example_grads`）验证这三件事：

# %%
# NBVAL_CHECK_OUTPUT
n_air = len(X_air)
rng = np.random.default_rng(0)
never = [1 - len(np.unique(rng.integers(n_air, size=n_air))) / n_air for _ in range(200)]
print(f"有放回地抽 n = {n_air} 次（200 次重复）：平均 {np.mean(never):.4f} 的样本一次也没抽到；"
      f"(1 - 1/n)^n = {(1 - 1 / n_air) ** n_air:.4f}，1/e = {math.exp(-1):.4f}")
b = 10
means = {"有放回": np.mean([example_grads(rng.integers(n_air, size=b)).mean(axis=0)
                            for _ in range(20_000)], axis=0),
         "无放回": np.mean([example_grads(rng.choice(n_air, size=b, replace=False)).mean(axis=0)
                            for _ in range(20_000)], axis=0)}
for name, m in means.items():
    print(f"{name}：20000 个批量大小 {b} 的小批量梯度的平均与完整梯度的相对误差 "
          f"{np.linalg.norm(m - full_grad) / np.linalg.norm(full_grad):.4f}")
order = rng.permutation(n_air)
epoch_mean = np.mean([example_grads(order[i:i + b]).mean(axis=0) for i in range(0, n_air, b)], axis=0)
print("随机重排的一轮（150 个小批量）：小批量梯度的平均恰好等于完整梯度:",
      np.allclose(epoch_mean, full_grad, rtol=1e-12, atol=1e-12))

# %% [markdown]
# 一轮有放回抽样里平均有 36.8% 的样本没被抽到，与 $(1-1/n)^n$ 和 $1/e$ 一致；两种抽样方式的小批量梯度平均起来都逼近完整梯度（相对误差都不到 1%，与 5.1 节的“相对误差 $\times\sqrt{K} \approx 3.6$”在 $K = 20000\times 10$ 个样本时给出的 $3.6/\sqrt{200000} \approx 0.008$ 相当）；随机重排的一轮则把每个样本恰好用一次。两种方式的方差有何不同，留作练习 6。
#
# ### 数据：NASA 翼型噪声
#
# 我们沿用 d2l 的设置：NASA 翼型自噪声（airfoil self-noise）数据集共 1503 行，5 个特征、1 个标签（声压级）。d2l 先用**全部 1503 行**的均值和标准差把每一列标准化，**再取前 1500 行**；所以这 1500 行的各列均值和标准差只是接近 0 和 1，而不恰好等于（见下面的输出）。模型是线性回归 $\hat y = \mathbf{x}^\top\mathbf{w} + b$，损失是平方损失 $\frac12(\hat y - y)^2$ 的平均。

# %%
# NBVAL_CHECK_OUTPUT
features, labels = airfoil_arrays()
print("特征:", tuple(features.shape), features.dtype, " 标签:", tuple(labels.shape))
print("各列均值:", " ".join(f"{v:+.3f}" for v in features.mean(0).tolist()))
print("各列标准差:", " ".join(f"{v:.3f}" for v in features.std(0, correction=0).tolist()))
print(f"线性回归能达到的最小损失（最小二乘解）: {least_squares_loss(features, labels):.4f}")
A = torch.cat([features, torch.ones(len(features), 1)], dim=1).double()
lam_max = torch.linalg.eigvalsh(A.T @ A / len(A)).max().item()   # Hessian of the mean loss
print(f"损失的黑塞矩阵的最大特征值 λ_max = {lam_max:.3f}，"
      f"梯度下降稳定需要 η < 2/λ_max = {2 / lam_max:.3f}")

# %% [markdown]
# ### 从零实现
#
# 参数更新函数 `sgd(params, states, hyperparams)` 只有几行：对每个参数沿梯度的反方向走一步，然后把梯度清零（PyTorch 会把每次 `backward()` 的梯度累加起来）。更新放在 `torch.no_grad()` 里，这样原地修改参数不会被自动求导记录下来。`states` 在普通 SGD 中用不到，保留它是为了与动量法、Adam 等需要保存状态的优化器共用同一个接口（d2l 后续各节就是这样做的）。

# %%
def sgd(params, states, hyperparams):
    with torch.no_grad():
        for p in params:
            p -= hyperparams["lr"] * p.grad
            p.grad.zero_()


# %% [markdown]
# 训练函数 `course_utils.descent.train_minibatch(trainer_fn, states, hyperparams, data_iter, feature_dim, num_epochs)` 负责其余的事情：
#
# 1. 用带种子的生成器初始化 $\mathbf{w}\sim\mathcal{N}(0, 0.01^2)$、$b = 0$；
# 2. 对每个小批量：前向计算平方损失的平均、`backward()`、调用 `trainer_fn` 更新参数；
# 3. 每处理 100 个样本，就在**全部**训练数据上计算一次损失，记下此时的轮数（epoch）和已用的训练时间（计算这个损失的时间不计入）；
# 4. 返回 `(曲线, 平均每轮秒数)`，曲线含 `epochs`、`times`、`losses`、`updates` 四个数组；结果对象还提供 `final_loss`（最终损失）与 `updates_per_epoch`（每轮更新次数）。
#
# 下面按 d2l 的设置跑四组实验，学习率也取 d2l 的值。批量大小 1500 就是整个数据集，即梯度下降（GD）；批量大小 1 就是本章开头的 SGD。正式计时之前先空跑一小段，让 PyTorch 付清第一次调用的一次性开销（内存分配、算子调度的缓存等），否则它会算到第一组实验头上。

# %%
def run(batch_size, lr, num_epochs):
    data_iter, feature_dim = load_airfoil(batch_size)
    return train_minibatch(sgd, None, {"lr": lr}, data_iter, feature_dim, num_epochs)


run(100, 0.4, 1)                         # warm-up, result discarded
results = {
    "梯度下降 (1500)": run(1500, 1.0, 10),
    "SGD (1)": run(1, 0.005, 2),
    "小批量 SGD (100)": run(100, 0.4, 2),
    "小批量 SGD (10)": run(10, 0.05, 2),
}

# %% [markdown]
# 四组实验的最终损失与更新次数（与运行速度无关，每次运行结果相同）：

# %%
# NBVAL_CHECK_OUTPUT
for label, res in results.items():
    print(f"最终损失 {res.final_loss:.3f}，共 {res.curve.updates[-1]:>4} 次更新"
          f"（每轮 {res.updates_per_epoch:>4.0f} 次）：{label}")
gd = results["梯度下降 (1500)"].curve
print(f"训练前（第 0 轮）的损失: {gd.losses[0]:.4f}")
print("梯度下降每轮结束时的损失:", " ".join(f"{v:.4f}" for v in gd.losses[1:]))

# %% [markdown]
# 左图横轴是轮数（每轮把 1500 个样本都看一遍），右图横轴是实际的训练时间，两者都用对数刻度（所以图中没有第 0 轮、第 0 秒的起点；上面打印了训练前的损失）。虚线是最小二乘最优：

# %%
plot_loss_curves(results, best=least_squares_loss(features, labels));

# %% [markdown]
# 耗时的对比（第一张表的后两列和第二张表取决于机器和当时的负载，你的数字会不同）：

# %%
def first_reach(curve, target=0.25):
    """(epochs, seconds) when the loss first drops to ``target`` or below; (None, None) if never."""
    hit = np.flatnonzero(curve.losses <= target)
    return (curve.epochs[hit[0]], curve.times[hit[0]]) if len(hit) else (None, None)


display(results_table(results))
rows = []
for label, res in results.items():
    seconds = first_reach(res.curve)[1]
    rows.append({"label": label, "ms": None if seconds is None else seconds * 1e3})
table(rows, [("label", "设置"), ("ms", "损失首次降到 0.25 以下用时（毫秒）", ".3g")])

# %% [markdown]
# **向量化与更新次数之间的权衡。**
#
# - **按轮数看（左图）**：批量越小，每轮的更新次数越多（批量大小 1500、100、10、1 分别对应每轮 1、15、150、1500 次更新），所以三组小批量（含 SGD）在第一轮之内损失就降到 0.25 附近；梯度下降每轮只更新 1 次，第 1 轮结束时损失还是 0.2748，要到第 3 轮左右才追上。三组小批量的曲线几乎重合，是因为这里的学习率大致与批量大小成正比，每轮“走过的总步长”相近。四组实验的最终损失都是 0.246，与 d2l 报告的 0.24–0.25 一致，离最小二乘最优 0.2417 只差一点。
# - **梯度下降的损失在最后几轮略有回升**（见上面打印的每轮损失：最低 0.2445，第 10 轮升到 0.2458）。原因正是第4章的稳定性条件：这里 $\lambda_{\max} = 2.098$，$\eta = 1$ 已经超过稳定界 $2/\lambda_{\max} = 0.953$，最大特征方向上的误差每步被放大 $|1 - \eta\lambda_{\max}| \approx 1.1$ 倍。这个分量起初很小，10 轮内只表现为轻微回升，再多走几十轮就会明显发散；在 5.6 节的面板里把 $\eta$ 调到 1.58（$|1 - \eta\lambda_{\max}| \approx 2.3$），10 轮之内就能看到发散。
# - **按时间看（右图和上面两张表）**：这个问题只有 $1500\times 5$ 的数据，一次更新的时间主要花在固定开销上——Python 解释器、PyTorch 的算子调度和自动求导——而不是浮点运算本身。所以表中“毫秒/次更新”一列虽然随机器负载有波动，各组之间的差别却远小于批量大小本身 1500 倍的差别。于是每轮耗时主要由每轮的更新次数决定：SGD (1) 每轮要付 1500 次固定开销，是表中最慢的；梯度下降用一次矩阵乘法处理全部样本，把开销摊到了 1500 个样本上，这就是**向量化**的好处。在这个小问题上，梯度下降和批量 100 把损失降到 0.25 以下所需的时间都比 SGD (1) 少得多（见上面的第二张表）。
# - **反过来，更新次数决定了每轮能走多少步。** 在大数据集和深度网络上，一次完整梯度的计算量真的与 $n$ 成正比（5.1 节的计时），梯度下降每走一步都很慢；批量大小 1 则完全放弃了向量化。小批量（几十到几百）两头兼顾：每个小批量的计算被向量化（在 GPU 上尤为明显），每轮又有足够多次更新。实践中批量大小通常取 32–1024，再为它单独调学习率。

# %% [markdown]
# ### 简洁实现：`torch.optim.SGD`
#
# 在 PyTorch 中，模型用 `nn.Linear(5, 1)`，优化器用 `torch.optim.SGD`，训练循环换成标准的三步：`optimizer.zero_grad()`、`loss.backward()`、`optimizer.step()`。`course_utils.descent.train_concise(trainer_cls, hyperparams, data_iter, num_epochs)` 接受一个优化器**类**和它的超参数字典，因此以后换成 `torch.optim.Adam` 之类只需改一个参数。
#
# 它与从零实现使用相同的初始化（同一个种子）和相同的损失 $\frac12(\hat y-y)^2$。注意 d2l 的简洁实现用 `nn.MSELoss`，它没有 $\frac12$，梯度是我们的 2 倍，所以同样的学习率实际步长也翻倍。只要种子和小批量相同，两种实现的轨迹应当完全一致：

# %%
# NBVAL_CHECK_OUTPUT
data_iter, _ = load_airfoil(10)          # a fresh loader: same seed → same batches as above
concise = train_concise(torch.optim.SGD, {"lr": 0.05}, data_iter, num_epochs=2)
scratch = results["小批量 SGD (10)"]
gap = np.abs(concise.curve.losses - scratch.curve.losses).max()
print(f"torch.optim.SGD 最终损失 {concise.final_loss:.3f}，从零实现 {scratch.final_loss:.3f}")
print(f"两条损失曲线逐点一致（最大差 < 1e-6）: {gap < 1e-6}")

# %% [markdown]
# ## 5.6 交互：批量大小、学习率与学习率调度
#
# 下面的面板用 `course_utils.demos.ch5_sgd.fast_minibatch_sgd` 以闭式梯度（不经过自动求导）在 NumPy 中重跑小批量 SGD，计算量很小，拖动滑块后即可重画。它使用与 `train_minibatch` 相同的初始化和小批量顺序，因此同样的设置画出的曲线与上面相同。学习率调度按**已完成的轮数** $\tau$（可以是小数）计算：常数 $\eta$、指数衰减 $\eta e^{-\tau}$、多项式衰减 $\eta(1+\tau)^{-1/2}$。虚线是线性回归能达到的最小损失。先静态画出批量大小 10、$\eta = 0.05$ 的曲线：

# %%
X_all, y_all = airfoil_arrays()
draw_minibatch = make_minibatch_draw(X_all, y_all)
draw_minibatch(batch_size=10, lr=0.05, schedule="constant", num_epochs=2);

# %%
batch_panel = minibatch_panel(draw_minibatch, batch_size=10, lr=0.05, schedule="constant",
                              num_epochs=2)
batch_panel

# %% [markdown]
# 值得一试的操作：
#
# - 固定 $\eta = 0.05$，把批量大小从 10 调到 1：噪声明显变大；调到 1500：2 轮只有 2 次更新，几乎没动。
# - 批量大小 1500 时把 $\eta$ 调到 1、轮数调到 10，就是上面的梯度下降实验；再把 $\eta$ 调到 1.58 或 2（对数滑块上的相邻两档），对照 5.5 节算出的稳定界 $2/\lambda_{\max} = 0.953$。
# - 批量大小 1、$\eta = 0.05$（比上面的 0.005 大 10 倍）时，曲线抖得很厉害；换成多项式衰减或指数衰减，看后半段的抖动是否变小、最终损失是否降低。

# %% [markdown]
# ## 常见误区
#
# 每条误区后面都有一个单元格，用本章的工具演示或反驳它。

# %% [markdown]
# **误区 1：把 `np.random.normal(0.1)` 当成“标准差 0.1 的噪声”。** 它的第一个位置参数是均值，得到的是有偏梯度，结果是系统性漂移，而且学习率衰减也消除不了（5.4 节）。写成 `rng.normal(loc=0.0, scale=sigma, size=...)`，用关键字参数最不容易出错：

# %%
# 误区 1
# NBVAL_CHECK_OUTPUT
rng = np.random.default_rng(1)
buggy = rng.normal(0.1, size=50_000)                   # meant as "std 0.1", is mean 0.1
meant = rng.normal(loc=0.0, scale=0.1, size=50_000)    # keywords: what was meant
for label, sample, mu, sigma in (("rng.normal(0.1)", buggy, 0.1, 1.0),
                                 ("rng.normal(loc=0.0, scale=0.1)", meant, 0.0, 0.1)):
    P = final_points_2d("polynomial", num_runs=200, steps=1000, noise_mean=mu, noise_std=sigma)
    print(f"{label:>30}: 样本均值 {sample.mean():+.3f}、标准差 {sample.std():.3f}；"
          f"多项式衰减 1000 步后的平均终点 ({P[:, 0].mean():+.3f}, {P[:, 1].mean():+.3f})")

# %% [markdown]
# **误区 2：SGD 的损失曲线应当单调下降。** 常数学习率下，迭代点在最优点附近一直抖动，损失时升时降，这是梯度噪声的正常表现，不是程序错误；想要真正收敛，就要让学习率衰减（或增大批量）。下面数一数二维例子里 $f(\mathbf{x}_t)$ 上升的步数，以及翼型数据上批量大小 1 的损失曲线（每 100 个样本记录一次）上升的次数：

# %%
# 误区 2
# NBVAL_CHECK_OUTPUT
tr = sgd_trace_2d("constant", eta=0.1, steps=200, seed=0)
values = f_2d(tr[:, 0], tr[:, 1])
print(f"二维例子，常数学习率 200 步：f 上升的步数 {int((np.diff(values) > 0).sum())}，"
      f"后 100 步中 f 的最小值 {values[100:].min():.4f}、最大值 {values[100:].max():.4f}")
_, sgd1_losses = fast_minibatch_sgd(X_air, y_air, batch_size=1, lr=0.05, num_epochs=2)
print(f"翼型数据，批量大小 1、η = 0.05：{len(sgd1_losses) - 1} 次记录中损失上升 "
      f"{int((np.diff(sgd1_losses) > 0).sum())} 次")

# %% [markdown]
# **误区 3：学习率衰减得越快越好。** 指数衰减的 $\sum_t\eta_t$ 有限（0.951），会在到达最优点之前“冻住”；本章中它走了 1000 步，离最优点仍比走 50 步的常数学习率远（5.2 节的表）。衰减得慢的多项式衰减在更多步数下继续逼近最优点：

# %%
# 误区 3
# NBVAL_CHECK_OUTPUT
steps_grid = [50, 200, 1000, 5000]
for name in ("exponential", "polynomial", "constant"):
    d = mean_distance_2d(name, steps_grid, eta=0.1, num_runs=500)
    print(f"{names[name]:>5}：" + "  ".join(f"T = {T}: {v:.3f}" for T, v in zip(steps_grid, d)))

# %% [markdown]
# **误区 4：不同批量大小沿用同一个学习率。** 批量大小 1 能用的学习率比梯度下降小得多（本章分别是 0.005 和 1）：同样取 $\eta = 1$，梯度下降正常下降，批量大小 1 却很快发散；反过来，适合批量大小 1 的 $\eta = 0.005$ 用在梯度下降上，2 轮只有 2 次更新，损失几乎不动。比较批量大小时，要为每个批量大小分别调学习率（练习 4）：

# %%
# 误区 4
# NBVAL_CHECK_OUTPUT
rows = []
for bs in (1, 10, 100, 1500):
    for lr in (1.0, 0.005):
        final = fast_minibatch_sgd(X_air, y_air, batch_size=bs, lr=lr, num_epochs=2)[1][-1]
        rows.append({"bs": bs, "lr": lr, "loss": f"{final:.4f}" if math.isfinite(final) else "发散"})
same_lr = table(rows, [("bs", "批量大小", "d"), ("lr", "学习率 η", "g"), ("loss", "2 轮后的损失")])
same_lr.align[2] = "right"
same_lr

# %% [markdown]
# **误区 5：每轮耗时之比就是训练速度之比。** 每轮耗时少的设置，每轮的进展也可能少。真正要比较的是“达到目标损失所需的时间”≈ 每轮耗时 × 所需轮数（5.5 节的右图）。下表以梯度下降为基准：“所需轮数”一列与机器无关——梯度下降要 2 轮才把损失降到 0.25 以下，批量大小 100 只要 0.533 轮，批量大小 10 和 1 只要 0.467 轮；后两列的比值取决于机器和负载，而且“达到目标用时”之比约为“每轮耗时”之比乘以所需轮数之比（毫秒级的计时有波动，只是近似）。所以只看每轮耗时，会把梯度下降相对于批量大小 100 的优势夸大约 $2/0.533 \approx 3.8$ 倍（相对于批量大小 10 和 1 约为 $2/0.467 \approx 4.3$ 倍）。每轮耗时的差距不那么悬殊时（例如在 GPU 上，小批量也能充分向量化），这个因子就足以改变孰快孰慢：

# %%
# 误区 5
base = results["梯度下降 (1500)"]
base_time = first_reach(base.curve)[1]
rows = []
for label, res in results.items():
    epochs, seconds = first_reach(res.curve)
    rows.append({"label": label, "epochs": epochs,
                 "per_epoch": res.sec_per_epoch / base.sec_per_epoch,
                 "to_target": seconds / base_time if seconds is not None else None})
table(rows, [("label", "设置"), ("epochs", "降到 0.25 以下所需轮数", ".3g"),
             ("per_epoch", "每轮耗时（梯度下降 = 1）", ".3g"),
             ("to_target", "达到目标用时（梯度下降 = 1）", ".3g")])

# %% [markdown]
# **误区 6：评估时遍历带随机打乱的数据加载器也无妨。** 评估得到的损失本身没有错，但每遍历一次加载器，它就会为这一轮抽一个新的随机排列，消耗一次随机状态，从而改变之后训练的小批量顺序，使“同一个种子”的两次实验不再可比。`train_minibatch` 因此直接在全部数据张量上计算损失。下面用同一个种子训练两次（批量大小 10、$\eta = 0.05$、2 轮），第二次在第 1 轮结束后“顺手”用加载器评估一次：

# %%
# 误区 6
# NBVAL_CHECK_OUTPUT
def train_two_epochs(evaluate_with_loader):
    data_iter, dim = load_airfoil(10)                      # same seed every time
    w, b = init_linreg(dim)
    for epoch in range(2):
        for X, y in data_iter:
            squared_loss(X @ w + b, y).mean().backward()
            sgd([w, b], None, {"lr": 0.05})
        if evaluate_with_loader and epoch == 0:
            with torch.no_grad():                           # one extra pass = one extra shuffle
                losses = [squared_loss(X @ w + b, y).sum().item() for X, y in data_iter]
            print(f"第 1 轮后用加载器评估的损失 {sum(losses) / data_iter.num_examples:.6f}")
    with torch.no_grad():
        return squared_loss(X_all @ w + b, y_all).mean().item()


plain, with_eval = train_two_epochs(False), train_two_epochs(True)
print(f"不评估：最终损失 {plain:.6f}（与 5.5 节的从零实现一致: "
      f"{abs(plain - results['小批量 SGD (10)'].final_loss) < 1e-6}）")
print(f"用加载器评估一次：最终损失 {with_eval:.6f}，两次训练不同: {plain != with_eval}")

# %% [markdown]
# **误区 7：`nn.MSELoss` 就是本章的平方损失。** 本章（和 d2l 的从零实现）的损失是 $\frac12(\hat y - y)^2$ 的平均；`nn.MSELoss` 是 $(\hat y - y)^2$ 的平均，没有 $\frac12$，梯度大一倍，同样的学习率相当于步长翻倍。d2l 的简洁实现用的是 `nn.MSELoss`，所以它的学习率与从零实现不能直接对照：

# %%
# 误区 7
# NBVAL_CHECK_OUTPUT
w_probe = torch.zeros(5, 1, requires_grad=True)
squared_loss(X_all @ w_probe, y_all).mean().backward()
grad_half = w_probe.grad.clone()
w_probe.grad = None
torch.nn.MSELoss()(X_all @ w_probe, y_all.reshape(-1, 1)).backward()
print("MSELoss 的梯度 / ½ 平方损失的梯度（逐分量）:",
      np.round((w_probe.grad / grad_half).flatten().numpy(), 6))

# %% [markdown]
# ## 小结
#
# - 随机梯度下降每步只用一个样本的梯度，代价 $\mathcal{O}(1)$；均匀抽样保证它是真实梯度的无偏估计，误差按 $1/\sqrt{K}$ 随平均的样本数 $K$ 减小。
# - 常数学习率下，梯度噪声让迭代点停在最优点附近一团“云”里（方差可以精确算出）；学习率必须衰减，但不能衰减得太快：多项式衰减让迭代点逐渐逼近最优点，指数衰减的 $\sum_t \eta_t = 0.951$ 有限，在到达最优点之前就把迭代点“冻住”了。
# - 凸目标上，加权平均迭代点满足 $\mathbb{E}[f(\bar{\mathbf{x}}_T)] - f^* \le \big(r^2 + L^2\sum_t\eta_t^2\big)/\big(2\sum_t\eta_t\big)$：常数学习率留下 $L^2\eta/2$ 的下限，$\eta_t \propto t^{-1/2}$ 给出 $\mathcal{O}(\ln T/\sqrt{T})$。在强凸的二次函数上，实测的距离按 $T^{-1/4}$（$t^{-1/2}$ 衰减）和 $T^{-1/2}$（$1/t$ 衰减，$\eta_0$ 足够大）下降。
# - 梯度噪声必须零均值。有偏的梯度（例如 `np.random.normal(0.1)`）使 SGD 收敛到错误的点，漂移量与偏差成正比，学习率衰减无法消除。
# - 有放回抽样和无放回抽样（随机重排）的小批量梯度都无偏；有放回抽样一轮约有 $1/e \approx 36.8\%$ 的样本一次也抽不到，随机重排每轮恰好用每个样本一次。
# - 小批量 SGD 在向量化效率与更新次数之间折中。在翼型数据上，梯度下降、SGD 和两种小批量设置都达到约 0.246 的损失，但每轮的更新次数从 1 到 1500 不等，每轮耗时也相应地相差很大。
# - `torch.optim.SGD` 的简洁实现与从零实现在相同种子和小批量下给出同一条轨迹；换一个优化器类，就能把同样的实验用于动量法、Adam 等其他算法（见练习 5）。

# %% [markdown]
# ## 练习

# %% [markdown]
# **练习 1** 对 $f(x_1,x_2)=x_1^2+2x_2^2$ 与常数学习率 $\eta$，用 5.2 节的方差公式预测 $\eta = 0.05$ 和 $\eta = 0.2$ 时终点的标准差，再用 `final_points_2d` 验证。学习率减半，“云”的半径缩小多少？
#
# <details><summary>提示与答案</summary>
#
# 提示：$\operatorname{Var}(x_1) = \eta/(4(1-\eta))$，$\operatorname{Var}(x_2) = \eta/(8(1-2\eta))$；走足够多步（例如 200 步）让初值的影响消失。
#
# 答案：理论标准差 $\eta = 0.05$ 时为 $(0.115, 0.083)$，$\eta = 0.2$ 时为 $(0.250, 0.204)$，模拟值见下面的单元格，与理论相差几个百分点以内。$\eta$ 很小时方差近似与 $\eta$ 成正比，所以学习率减半，“云”的半径约缩小为原来的 $1/\sqrt2 \approx 0.71$ 倍。
#
# </details>

# %%
# 练习 1
# NBVAL_CHECK_OUTPUT
for eta in (0.05, 0.2):
    P = final_points_2d("constant", num_runs=500, eta=eta, steps=200)
    theory = np.sqrt([eta / (4 * (1 - eta)), eta / (8 * (1 - 2 * eta))])
    print(f"η = {eta}: 模拟标准差 {np.round(P.std(axis=0), 3)}，理论 {np.round(theory, 3)}")

# %% [markdown]
# **练习 2** 实现阶梯衰减（step decay）：每 $k$ 步学习率减半，写成函数 `lr_fn(t)`，与多项式衰减在相同步数下比较平均终点距离。
#
# <details><summary>提示与答案</summary>
#
# 提示：`lr_fn = lambda t: 0.5 ** ((t - 1) // k)`，可以直接传给 `sgd_trace_2d`、`final_points_2d` 或 `mean_distance_2d`。
#
# 答案：取 $\eta = 0.1$、$k = 50$、走 200 步，末段学习率是 $0.1/8 = 0.0125$，比多项式衰减的 $0.0218$ 小，平均距离也更小（下面的单元格：约 0.06 对 0.08）。但阶梯衰减的学习率按指数规律减小，$\sum_t \eta_t$ 有限（$= 2k\eta = 10$）。这里 10 已足够让迭代点走到最优点附近，所以 1000 步时它仍然领先（约 0.029 对 0.054）；但若 $k$ 太小或起点更远，它就会像指数衰减一样在途中“冻住”。实践中阶梯衰减只减半有限的几次（第1章的 `StepLR`/`MultiStepLR`）。
#
# </details>

# %%
# 练习 2
# NBVAL_CHECK_OUTPUT
def step_decay(t, k=50):
    return 0.5 ** ((t - 1) // k)


for label, fn in (("阶梯衰减（k = 50）", step_decay), ("多项式衰减", "polynomial")):
    d = mean_distance_2d(fn, [200, 1000], eta=0.1, num_runs=500)
    print(f"{label}：200 步后平均距离 {d[0]:.4f}，1000 步后 {d[1]:.4f}")

# %% [markdown]
# **练习 3** 把 5.4 节中的噪声换成 `np.random.normal(0.0, 0.1)`（均值 0、标准差 0.1）。终点的分布有什么变化？为什么这样的噪声“无害”？
#
# <details><summary>提示与答案</summary>
#
# 提示：`final_points_2d` 接受 `noise_mean` 和 `noise_std`。
#
# 答案：终点围绕原点，平均位置与原点的差只在千分位上；终点的标准差与噪声的标准差成正比，缩小到标准差 1 时的约十分之一。噪声均值为 0，随机梯度仍然无偏，所以期望梯度的零点仍是原点；噪声只决定“云”的大小，不改变它的中心。
#
# </details>

# %%
# 练习 3
# NBVAL_CHECK_OUTPUT
for std in (1.0, 0.1):
    P = final_points_2d("constant", num_runs=500, steps=200, noise_std=std)
    print(f"噪声标准差 {std}: 终点平均 ({P[:, 0].mean():+.4f}, {P[:, 1].mean():+.4f})，"
          f"终点标准差 {np.round(P.std(axis=0), 4)}")

# %% [markdown]
# **练习 4** 在翼型数据上，固定 2 轮训练，对批量大小 1、2、5、10、20、50、100、200、500 分别找到大致最好的学习率，画出“最终损失—批量大小”和“每轮耗时—批量大小”两条曲线。
#
# <details><summary>提示与答案</summary>
#
# 提示：对每个批量大小在对数网格（例如 0.001 到 2 之间的 12 个值）上试学习率；5.6 节的 `fast_minibatch_sgd` 很快，适合这种扫描。每轮耗时要用 `train_minibatch` 实测。
#
# 答案：下面的单元格给出每个批量大小在网格上的最佳学习率和 2 轮后的损失。最佳学习率大致与批量大小成正比：批量大小 1 时约为 0.002，批量大小每增大一倍，它也大约增大一倍，批量大小 500 时已到网格上的 1。这与大批量训练中常用的“线性缩放”经验一致（Goyal 等，2017）。把表中“2 轮后的损失”一列对批量大小画在对数横轴上，就是题目要的第一条曲线。学习率调好之后，2 轮后的损失都在 0.244–0.247 之间，离最小二乘最优 0.2417 都不远；批量大小 200 和 500 在 2 轮内只有 16 次和 6 次更新，损失略高。每轮耗时大致与每轮的更新次数成正比，所以随批量大小增大而迅速减小（用 `train_minibatch` 实测，具体数字取决于机器）。
#
# </details>

# %%
# 练习 4
# NBVAL_CHECK_OUTPUT
lr_grid = np.geomspace(0.001, 2.0, 12)
rows = []
for bs in BATCH_SIZES[:-1]:
    finals = [fast_minibatch_sgd(X_air, y_air, batch_size=bs, lr=lr, num_epochs=2)[1][-1]
              for lr in lr_grid]
    best = int(np.argmin(finals))
    rows.append({"bs": bs, "lr": lr_grid[best], "loss": finals[best], "updates": 2 * math.ceil(1500 / bs)})
table(rows, [("bs", "批量大小", "d"), ("updates", "2 轮的更新次数", "d"), ("lr", "最佳学习率", ".3g"),
             ("loss", "2 轮后的损失", ".4f")])

# %% [markdown]
# **练习 5** 用 `train_concise(torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}, ...)` 加入动量，与普通小批量 SGD 比较。需要把学习率调小吗？
#
# <details><summary>提示与答案</summary>
#
# 提示：动量 $\beta$ 让梯度的影响累积起来，稳态下的有效步长约为 $\eta/(1-\beta)$，$\beta = 0.9$ 时是 10 倍。
#
# 答案：需要。批量大小 10 时，$\eta = 0.05$ 加上动量 0.9 相当于把步长放大约 10 倍，噪声也跟着放大，最终损失比普通 SGD 差；把学习率调小到 $0.005$ 后，有效步长回到约 0.05，结果与普通 SGD 相近（下面的单元格）。
#
# </details>

# %%
# 练习 5
# NBVAL_CHECK_OUTPUT
for label, hp in (("普通 SGD，η = 0.05", {"lr": 0.05}),
                  ("动量 0.9，η = 0.05", {"lr": 0.05, "momentum": 0.9}),
                  ("动量 0.9，η = 0.005", {"lr": 0.005, "momentum": 0.9})):
    res = train_concise(torch.optim.SGD, hp, load_airfoil(10)[0], num_epochs=2)
    print(f"{label}: 最终损失 {res.final_loss:.4f}，曲线后半段的最大损失 "
          f"{res.curve.losses[len(res.curve.losses) // 2:].max():.4f}")

# %% [markdown]
# **练习 6** 5.5 节说明了有放回抽样和无放回抽样（随机重排）的小批量梯度**都是无偏的**。它们的方差有何不同？设单个样本梯度的方差（各分量方差之和）为 $\sigma^2$，分别写出批量大小为 $b$ 时小批量梯度的方差；$b = n$ 时各是多少？
#
# <details><summary>提示与答案</summary>
#
# 提示：有放回时各个下标独立；无放回时任意两个不同下标的协方差为 $-\sigma^2/(n-1)$（因为 $n$ 个样本梯度与均值之差的和为 0）。
#
# 答案：有放回时方差为 $\sigma^2/b$；无放回时为 $\dfrac{\sigma^2}{b}\cdot\dfrac{n-b}{n-1}$，多出的因子称为有限总体修正（finite population correction）。$b = n$ 时，有放回抽样的方差仍是 $\sigma^2/n$，而无放回抽样恰好取到全部样本，方差为 0，就是梯度下降。在翼型数据上（$n = 1500$），$b = 100$ 时修正因子为 $1400/1499 \approx 0.934$，$b = 750$ 时约为 0.5；下面的单元格用 20000 次抽样验证。
#
# </details>

# %%
# 练习 6
# NBVAL_CHECK_OUTPUT
per_example = example_grads(np.arange(n_air))
sigma2 = per_example.var(axis=0).sum()                     # variance of one example's gradient
rng = np.random.default_rng(0)
for b in (100, 750):
    for name, replace in (("有放回", True), ("无放回", False)):
        batch_means = np.stack([per_example[rng.choice(n_air, size=b, replace=replace)].mean(axis=0)
                                for _ in range(20_000)])
        theory = sigma2 / b * (1 if replace else (n_air - b) / (n_air - 1))
        print(f"b = {b:>3}，{name}：方差 {batch_means.var(axis=0).sum():.5f}，理论 {theory:.5f}")

# %% [markdown]
# **练习 7** 用 5.3 节的上界说明：若总步数 $T$ 事先已知，常数学习率的最佳取值是 $\eta = r/(L\sqrt{T})$，此时上界为 $rL/\sqrt{T}$。若 $\eta$ 取成它的 10 倍或十分之一，上界变为原来的多少倍？
#
# <details><summary>提示与答案</summary>
#
# 提示：常数学习率时上界为 $g(\eta) = \dfrac{r^2}{2\eta T} + \dfrac{L^2\eta}{2}$，对 $\eta$ 求导并令其为零。
#
# 答案：$g'(\eta) = -\dfrac{r^2}{2\eta^2 T} + \dfrac{L^2}{2} = 0$ 给出 $\eta^* = r/(L\sqrt{T})$，代回得 $g(\eta^*) = \dfrac{rL}{2\sqrt T} + \dfrac{rL}{2\sqrt T} = rL/\sqrt{T}$。取 $\eta = c\,\eta^*$ 时 $g = \dfrac{rL}{\sqrt T}\cdot\dfrac{1/c + c}{2}$，$c = 10$ 或 $0.1$ 时都是 $5.05$ 倍：上界对学习率偏大、偏小同样敏感。
#
# </details>

# %%
# 练习 7
# NBVAL_CHECK_OUTPUT
r, L, T = 1.0, 1.0, 10_000
eta_star = r / (L * math.sqrt(T))
for c in (0.1, 1.0, 10.0):
    bound = sgd_bound(np.full(T, c * eta_star), r=r, L=L)[-1]
    print(f"η = {c:>4} × η*: 上界 {bound:.5f} = {bound / (r * L / math.sqrt(T)):.3f} × rL/√T")

# %% [markdown]
# ## 参考文献
#
# - Zhang, A., Lipton, Z. C., Li, M., & Smola, A. J. *Dive into Deep Learning*, §12.4 随机梯度下降、§12.5 小批量随机梯度下降（中文版：《动手学深度学习》第11章）. https://d2l.ai
# - Robbins, H., & Monro, S. (1951). A stochastic approximation method. *The Annals of Mathematical Statistics*, 22(3), 400–407.
# - Nemirovski, A., Juditsky, A., Lan, G., & Shapiro, A. (2009). Robust stochastic approximation approach to stochastic programming. *SIAM Journal on Optimization*, 19(4), 1574–1609.
# - Bottou, L. (2009). Curiously fast convergence of some stochastic gradient descent algorithms. *Proceedings of the Symposium on Learning and Data Science*, Paris.
# - Gürbüzbalaban, M., Ozdaglar, A., & Parrilo, P. A. (2021). Why random reshuffling beats stochastic gradient descent. *Mathematical Programming*, 186, 49–84.
# - Goyal, P., Dollár, P., Girshick, R., et al. (2017). Accurate, large minibatch SGD: Training ImageNet in 1 hour. arXiv:1706.02677.
# - Bottou, L., Curtis, F. E., & Nocedal, J. (2018). Optimization methods for large-scale machine learning. *SIAM Review*, 60(2), 223–311.
# - Brooks, T., Pope, D., & Marcolini, M. (1989). *Airfoil self-noise and prediction*. NASA Reference Publication 1218. 数据来自 UCI Machine Learning Repository。
