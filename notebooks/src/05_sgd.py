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
# 3. 认出一个常见错误：`np.random.normal(0.1)` 产生的是均值为 0.1 的噪声，即**有偏**梯度，并看到它造成的系统性漂移；
# 4. 从零实现小批量 SGD，并用 `torch.optim.SGD` 给出简洁实现，在 NASA 翼型噪声数据上比较批量大小 1500（梯度下降）、1、10、100；
# 5. 用“每轮耗时”和“损失—时间”曲线解释向量化（vectorization）与更新次数之间的权衡。
#
# **先修**：第4章（梯度下降、学习率与条件数）；线性回归与平方损失；PyTorch 自动求导的基本用法。

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

from course_utils.data import airfoil_arrays, load_airfoil
from course_utils.descent import (LR_FUNCTIONS, constant_lr, exponential_lr, f_2d, f_2d_grad,
                                  final_points_2d, sgd_trace_2d, train_concise, train_minibatch)
from course_utils.plotting import show_trace_2d
from course_utils.demos.ch5_sgd import (draw_noisy_trace, least_squares_loss, make_minibatch_draw,
                                    minibatch_panel, noisy_trace_panel, plot_loss_curves,
                                    results_table)

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
print(f"{'n':>9} {'完整梯度 (ms)':>14} {'单样本梯度 (ms)':>16}")
for n in sizes:
    X, y = rng.normal(size=(n, 5)), rng.normal(size=n)
    full = min(timeit.repeat(lambda: X.T @ (X @ w - y) / n, number=5, repeat=5)) / 5
    i = int(rng.integers(n))
    one = min(timeit.repeat(lambda: X[i] * (X[i] @ w - y[i]), number=200, repeat=5)) / 200
    print(f"{n:>9} {full * 1e3:>14.4f} {one * 1e3:>16.4f}")

# %% [markdown]
# 完整梯度的耗时随 $n$ 增长：大致与 $n$ 成正比，$n$ 很大、数据装不进 CPU 缓存时还会增长得更快；单样本梯度的耗时则与 $n$ 无关。
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
print(" 步数 T    末步学习率 η_T   平均距离   平均 f   学习率函数")
for name, n_steps in [("constant", 50), ("constant", 200), ("exponential", 1000),
                      ("polynomial", 50), ("polynomial", 200)]:
    P = final_points_2d(name, num_runs=300, eta=0.1, steps=n_steps)
    eta_T = 0.1 * LR_FUNCTIONS[name](n_steps)
    print(f"{n_steps:>6} {eta_T:>16.4g} {np.linalg.norm(P, axis=1).mean():>10.4f}"
          f" {f_2d(P[:, 0], P[:, 1]).mean():>8.4f}   {names[name]}")

# %% [markdown]
# 表中最扎眼的是指数衰减：走了 1000 步，末步学习率已小到可以忽略，离最优点却比只走 50 步的常数学习率还远。原因是它的学习率之和有限：$\sum_{t\ge1} e^{-0.1t} = 1/(e^{0.1}-1)$。忽略噪声时，$x_1$ 每步乘以 $(1 - 2\eta_t)$，所以即使完全没有噪声，1000 步后 $x_1$ 也只剩初值的 $\prod_{t=1}^{1000} (1 - 0.2e^{-0.1t})$ 倍：

# %%
# NBVAL_CHECK_OUTPUT
total = 1 / (math.exp(0.1) - 1)
shrink = np.prod([1 - 0.2 * exponential_lr(t) for t in range(1, 1001)])
print(f"Σ e^(-0.1t) = {total:.2f}，x1 的压缩因子 = {shrink:.3f}，"
      f"无噪声时从 x1 = -5 出发只能走到 x1 ≈ {-5 * shrink:.2f}")

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
# 要让这团“云”收缩，就必须让学习率随时间减小。但减小得太快也不行：
#
# - **指数衰减**时 $\sum_t \eta_t$ 是一个有限的数，参数能移动的“总路程”被锁死了。上面算出 $x_1$ 只能从 $-5$ 走到约 $-0.68$，与上表中指数衰减的平均距离 0.6801 相符：迭代点在到达最优点之前就被“冻住”了；
# - **多项式衰减** $\eta_t \propto t^{-1/2}$ 衰减得慢得多，$\sum_t \eta_t$ 发散，所以总能走到最优点附近，同时噪声的影响逐渐变小。上表中，多项式衰减的末步学习率从 50 步时的 0.04082 降到 200 步时的 0.02182，平均距离也从 0.1132 降到 0.0790。“云”的方差大致与当前学习率成正比，半径大致与 $\sqrt{\eta_t}$ 成正比：$\sqrt{0.04082/0.1}\times 0.1766 \approx 0.113$，与模拟结果吻合。
#
# 学习率衰减的经典充分条件（Robbins–Monro 条件）是 $\sum_t \eta_t = \infty$ 且 $\sum_t \eta_t^2 < \infty$，例如 $\eta_t \propto t^{-\alpha}$，$\tfrac12 < \alpha \le 1$。本章的 $\alpha = \tfrac12$ 恰好不满足第二个条件，但只要 $\eta_t \to 0$ 且 $\sum_t \eta_t = \infty$，在这个强凸二次函数上终点的均方误差仍然趋于 0，只是收敛较慢。
#
# 在第1章中我们已经见过各种学习率调度器，这里看到的正是它们存在的根本原因之一：**随机梯度的噪声**。

# %% [markdown]
# ## 5.3 常见错误：`np.random.normal(0.1)` 不是“标准差 0.1 的噪声”
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
# 下面的交互面板把本节和上一节放在一起：选择学习率函数，拖动学习率 $\eta$、噪声均值 $\mu$ 和步数，观察轨迹。先静态画一张夸张的情形：噪声均值 $\mu = 1$、多项式衰减、走 500 步。轨迹稳稳地停在有偏梯度的零点 $(-0.5, -0.25)$（红色叉号）附近，而不是原点（黑色星号）：

# %%
draw_noisy_trace(schedule="polynomial", eta=0.1, noise_mean=1.0, steps=500);

# %%
trace_panel = noisy_trace_panel(schedule="polynomial", eta=0.1, noise_mean=1.0, steps=500)
trace_panel

# %% [markdown]
# 可以试试：把 $\mu$ 拖回 0，轨迹就会收敛到原点附近；再换成常数学习率，或把 $\eta$ 调大，看终点周围的“云”如何变大。
#
# ## 5.4 小批量随机梯度下降
#
# 每步只用一个样本有两个问题：梯度噪声大；更糟的是在现代硬件上，一次处理一个样本极其浪费——CPU 的向量指令、GPU 的成千上万个核心都在“等活干”。折中的办法是小批量随机梯度下降（minibatch SGD）：每步随机抽取一个小批量 $\mathcal{B}_t$，其中样本的个数 $|\mathcal{B}_t|$ 称为批量大小（batch size），用这些样本的平均梯度更新：
#
# $$\mathbf{g}_t = \frac{1}{|\mathcal{B}_t|}\sum_{i\in\mathcal{B}_t} \nabla f_i(\mathbf{x}_{t-1}),\qquad \mathbf{x}_t = \mathbf{x}_{t-1} - \eta_t\, \mathbf{g}_t.$$
#
# $\mathbf{g}_t$ 仍是无偏估计；若小批量中的样本是有放回地独立抽取的，它的方差比单个样本梯度小 $|\mathcal{B}_t|$ 倍（标准差小 $\sqrt{|\mathcal{B}_t|}$ 倍，与 5.1 节的 $1/\sqrt{K}$ 是同一回事）。同时，一个小批量的梯度可以用一次矩阵乘法算完，充分利用向量化（vectorization）。
#
# ### 数据：NASA 翼型噪声
#
# 我们沿用 d2l 的设置：NASA 翼型自噪声（airfoil self-noise）数据集的前 1500 行，5 个特征、1 个标签（声压级），每一列都标准化为均值 0、方差 1。模型是线性回归 $\hat y = \mathbf{x}^\top\mathbf{w} + b$，损失是平方损失 $\frac12(\hat y - y)^2$ 的平均。

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
# 耗时的对比（后两列取决于机器和当时的负载，你的数字会不同）：

# %%
print(results_table(results))
print()
for label, res in results.items():
    c = res.curve
    reached = np.flatnonzero(c.losses <= 0.25)
    when = f"{c.times[reached[0]] * 1e3:8.2f} 毫秒" if len(reached) else "    未达到"
    print(f"损失首次降到 0.25 以下用时 {when}：{label}")

# %% [markdown]
# **向量化与更新次数之间的权衡。**
#
# - **按轮数看（左图）**：批量越小，每轮的更新次数越多（批量大小 1500、100、10、1 分别对应每轮 1、15、150、1500 次更新），所以三组小批量（含 SGD）在第一轮之内损失就降到 0.25 附近；梯度下降每轮只更新 1 次，第 1 轮结束时损失还是 0.2748，要到第 3 轮左右才追上。三组小批量的曲线几乎重合，是因为这里的学习率大致与批量大小成正比，每轮“走过的总步长”相近。四组实验的最终损失都是 0.246，与 d2l 报告的 0.24–0.25 一致，离最小二乘最优 0.2417 只差一点。
# - **梯度下降的损失在最后几轮略有回升**（见上面打印的每轮损失：最低 0.2445，第 10 轮升到 0.2458）。原因正是第4章的稳定性条件：这里 $\lambda_{\max} = 2.098$，$\eta = 1$ 已经超过稳定界 $2/\lambda_{\max} = 0.953$，最大特征方向上的误差每步被放大 $|1 - \eta\lambda_{\max}| \approx 1.1$ 倍。这个分量起初很小，10 轮内只表现为轻微回升，再多走几十轮就会明显发散；在 5.5 节的面板里把 $\eta$ 调到 1.5，10 轮之内就能看到发散。
# - **按时间看（右图和上表）**：这个问题只有 $1500\times 5$ 的数据，一次更新的时间主要花在固定开销上——Python 解释器、PyTorch 的算子调度和自动求导——而不是浮点运算本身。所以表中“毫秒/次更新”一列虽然随机器负载有波动，各组之间的差别却远小于批量大小本身 1500 倍的差别。于是每轮耗时主要由每轮的更新次数决定：SGD (1) 每轮要付 1500 次固定开销，是表中最慢的；梯度下降用一次矩阵乘法处理全部样本，把开销摊到了 1500 个样本上，这就是**向量化**的好处。在这个小问题上，梯度下降和批量 100 都在几毫秒之内把损失降到 0.25 以下，所需时间比 SGD (1) 少一到两个数量级（见上面打印的“首次降到 0.25 以下用时”）。
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
# ## 5.5 交互：批量大小、学习率与学习率调度
#
# 下面的面板用闭式梯度（不经过自动求导）在 NumPy 中重跑小批量 SGD，一次重画通常只需不到一秒。它使用与 `train_minibatch` 相同的初始化和小批量顺序，因此同样的设置画出的曲线与上面相同。学习率调度按**已完成的轮数** $\tau$（可以是小数）计算：常数 $\eta$、指数衰减 $\eta e^{-\tau}$、多项式衰减 $\eta(1+\tau)^{-1/2}$。虚线是线性回归能达到的最小损失。先静态画出批量大小 10、$\eta = 0.05$ 的曲线：

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
# - 批量大小 1500 时把 $\eta$ 调到 1、轮数调到 10，就是上面的梯度下降实验；再把 $\eta$ 调到 1.5 或 2，对照 5.4 节算出的稳定界 $2/\lambda_{\max}$。
# - 批量大小 1、$\eta = 0.05$（比上面的 0.005 大 10 倍）时，曲线抖得很厉害；换成多项式衰减或指数衰减，看后半段的抖动是否变小、最终损失是否降低。
#
# ## 常见误区
#
# - **把 `np.random.normal(0.1)` 当成“标准差 0.1 的噪声”。** 它的第一个参数是均值，得到的是有偏梯度，结果是系统性漂移，而且学习率衰减也消除不了。写成 `rng.normal(loc=0.0, scale=sigma, size=...)`，用关键字参数最不容易出错。
# - **以为 SGD 的损失曲线应当单调下降。** 常数学习率下，迭代点在最优点附近一直抖动，这是梯度噪声的正常表现，不是程序错误；想要真正收敛，就要让学习率衰减（或增大批量）。
# - **学习率衰减得越快越好。** 指数衰减的 $\sum_t\eta_t$ 有限，会在到达最优点之前“冻住”；本章中它走了 1000 步，离最优点仍比常数学习率远。
# - **不同批量大小沿用同一个学习率。** 批量大小 1 能用的学习率比梯度下降小得多（本章分别是 0.005 和 1）；比较批量大小时，要为每个批量大小分别调学习率。
# - **用“每轮耗时”判断哪个算法更快。** 每轮耗时少的方法，每轮的进展也可能少；应当比较“达到目标损失所需的时间”，即右图。
# - **评估时遍历带随机打乱的数据加载器。** 这会消耗加载器的随机状态，改变下一轮的小批量顺序，使“同一种子”的两次实验不可比。`train_minibatch` 因此直接在全部数据张量上计算损失。
# - **混用 `nn.MSELoss` 与 $\frac12$ 平方损失。** `nn.MSELoss` 没有 $\frac12$，梯度大一倍，同样的学习率相当于步长翻倍。
#
# ## 小结
#
# - 随机梯度下降每步只用一个样本的梯度，代价 $\mathcal{O}(1)$；均匀抽样保证它是真实梯度的无偏估计，误差按 $1/\sqrt{K}$ 随平均的样本数 $K$ 减小。
# - 常数学习率下，梯度噪声让迭代点停在最优点附近一团“云”里（方差可以精确算出）；学习率必须衰减，但不能衰减得太快：多项式衰减让迭代点逐渐逼近最优点，指数衰减则在到达最优点之前就把迭代点“冻住”了。
# - 梯度噪声必须零均值。有偏的梯度（例如 `np.random.normal(0.1)`）使 SGD 收敛到错误的点，漂移量与偏差成正比，学习率衰减无法消除。
# - 小批量 SGD 在向量化效率与更新次数之间折中。在翼型数据上，梯度下降、SGD 和两种小批量设置都达到约 0.246 的损失，但每轮耗时相差两个数量级以上。
# - `torch.optim.SGD` 的简洁实现与从零实现在相同种子和小批量下给出同一条轨迹；换一个优化器类，就能把同样的实验用于动量法、Adam 等其他算法（见练习 5）。
#
# ## 练习
#
# 1. 对 $f(x_1,x_2)=x_1^2+2x_2^2$ 与常数学习率 $\eta$，用本章的方差公式预测 $\eta = 0.05$ 和 $\eta = 0.2$ 时终点的标准差，再用 `final_points_2d` 验证。学习率减半，“云”的半径缩小多少？
# 2. 实现阶梯衰减（step decay）：每 $k$ 步学习率减半，写成函数 `lr_fn(t)`，与多项式衰减在相同步数下比较平均终点距离。
# 3. 把 5.3 节中的噪声换成 `np.random.normal(0.0, 0.1)`（均值 0、标准差 0.1）。终点的分布有什么变化？为什么这样的噪声“无害”？
# 4. 在翼型数据上，固定 2 轮训练，对批量大小 1、2、5、10、20、50、100、200、500 分别找到大致最好的学习率，画出“最终损失—批量大小”和“每轮耗时—批量大小”两条曲线。
# 5. 用 `train_concise(torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}, ...)` 加入动量，与普通小批量 SGD 比较。需要把学习率调小吗？
# 6. （思考）无放回地按随机顺序遍历数据（本章的做法）与每步有放回地独立抽样，哪一个的小批量梯度是无偏的？两者的方差有何不同？
#
# ## 参考文献
#
# - Zhang, A., Lipton, Z. C., Li, M., & Smola, A. J. *Dive into Deep Learning*, §12.4 随机梯度下降、§12.5 小批量随机梯度下降（中文版：《动手学深度学习》第11章）. https://d2l.ai
# - Robbins, H., & Monro, S. (1951). A stochastic approximation method. *The Annals of Mathematical Statistics*, 22(3), 400–407.
# - Bottou, L., Curtis, F. E., & Nocedal, J. (2018). Optimization methods for large-scale machine learning. *SIAM Review*, 60(2), 223–311.
# - Brooks, T., Pope, D., & Marcolini, M. (1989). *Airfoil self-noise and prediction*. NASA Reference Publication 1218. 数据来自 UCI Machine Learning Repository。
