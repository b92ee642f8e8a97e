# %% [markdown]
# # 第4章 凸优化与梯度下降
#
# [![在 Colab 中打开](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/dl-optim-course/course/blob/main/notebooks/04_convex_optimization.ipynb)
#
# 前几章从不同角度改进了训练：学习率调度、批量归一化、残差连接……它们都在回答同一个问题——**怎样让梯度下降更快、更稳地找到好的参数**。本章退后一步，在一维、二维的小函数上把梯度下降（gradient descent）和牛顿法（Newton's method）拆开来看：为什么学习率太大会发散、太小会停滞；为什么凸函数（convex function）这么“好对付”，而深度网络的损失面又为什么不是凸的。所有实验的计算量都很小，可以用滑块随意试验。
#
# **学习目标**
#
# 1. 区分优化（optimization）与泛化（generalization）：经验风险（empirical risk）与期望风险（expected risk）；
# 2. 认识深度学习优化的三大挑战：局部最小值（local minimum）、鞍点（saddle point）、梯度消失（vanishing gradient）；
# 3. 掌握凸集（convex set）、凸函数、詹森不等式（Jensen's inequality）及凸函数的三条性质，并能写出简短证明；
# 4. 理解约束优化的三种处理方式：拉格朗日函数（Lagrangian）、罚项（penalty，权重衰减是一例）、投影（projection，梯度裁剪是一例）；
# 5. 从泰勒展开推导一维和多维梯度下降，观察学习率 0.05 / 0.2 / 1.1 的不同结局；
# 6. 实现牛顿法，在数值上看到二次收敛（quadratic convergence），了解它在非凸函数上为何失败、阻尼如何补救；
# 7. 用预条件（preconditioning）和线搜索（line search）改进梯度下降。
#
# **先修**：一元与多元微积分（导数、梯度、泰勒展开、二阶偏导数），第0章的 `course_utils` 用法。本章不训练神经网络，不需要 GPU。

# %%
# 仅在 Colab 上运行：安装课程支持包并下载数据（本地环境会跳过）
import sys

if "google.colab" in sys.modules:
    !pip install -q "course-utils @ git+https://github.com/dl-optim-course/course.git"

# %%
from course_utils import env

device = env.setup_notebook()

# %%
import inspect
import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import patches

from course_utils.demos import ch4_convex_optimization as demos
from course_utils.descent import (
    backtracking_line_search,
    convergence_table,
    gd,
    gd_2d,
    gd_line_search,
    gradient,  # the submodule, to show its shared loop _run
    newton,
    preconditioned_gd,
    train_2d,
)
from course_utils.plotting import plot, plot_surface, show_trace, show_trace_2d
from course_utils.tables import table


def annotate(ax, text, xy, xytext):
    """Draw an arrow from ``xytext`` to ``xy`` with a Chinese label."""
    ax.annotate(text, xy=xy, xytext=xytext, arrowprops=dict(arrowstyle="->", color="k"))


# %% [markdown]
# ## 4.1 优化与泛化
#
# 训练一个模型时，我们真正关心的是它在**未见过的数据**上的表现，即**期望风险**（expected risk）
# $$R(\mathbf{w}) = \mathbb{E}_{(\mathbf{x}, y) \sim p}\,[\ell(f_{\mathbf{w}}(\mathbf{x}), y)],$$
# 但分布 $p$ 未知，我们能计算的只是训练集上的平均损失，即**经验风险**（empirical risk）
# $$\hat R(\mathbf{w}) = \frac{1}{n}\sum_{i=1}^{n} \ell(f_{\mathbf{w}}(\mathbf{x}_i), y_i).$$
#
# **优化**的目标是把 $\hat R$ 降到最低；**深度学习**的目标是让 $R$ 低。两者的最小值点一般不重合。下面用一个示意例子说明：设期望风险为 $f(x) = x\cos(\pi x)$，经验风险在它上面叠加了一点“训练集特有”的起伏 $g(x) = f(x) + 0.2\cos(5\pi x)$。

# %%
def risk(x):
    return x * np.cos(np.pi * x)


def empirical_risk(x):
    return risk(x) + 0.2 * np.cos(5 * np.pi * x)


x = np.arange(0.5, 1.5, 0.01)
ax = plot(x, [risk(x), empirical_risk(x)], xlabel="x", ylabel="风险",
          legend=[r"期望风险 $R$", r"经验风险 $\hat{R}$（训练集）"], figsize=(6, 3.6))
annotate(ax, "经验风险的最小值", (1.0, -1.2), (0.5, -1.1))
annotate(ax, "期望风险的最小值", (1.1, -1.05), (0.95, -0.5))
ax.set_title("优化只能看到经验风险")
print(f"期望风险的最小值点 x ≈ {x[risk(x).argmin()]:.2f}，"
      f"经验风险的最小值点 x ≈ {x[empirical_risk(x).argmin()]:.2f}")

# %% [markdown]
# 两个最小值点分别在 $x \approx 1.09$ 和 $x \approx 1.02$：即使优化器把训练损失降到了最低点，得到的也不是期望风险最低的参数。本章只讨论**优化**本身——如何高效地找到 $\hat R$ 的（近似）最小值；过拟合与正则化属于泛化问题，第 4.3 节的权重衰减会从“约束”的角度再次出现。

# %% [markdown]
# ## 4.2 深度学习中的优化挑战
#
# ### 局部最小值
#
# 对目标函数 $f(x)$，若 $f(x^*)$ 不大于 $x^*$ 某个邻域内所有点的函数值，则称 $x^*$ 为**局部最小值**；若它在整个定义域上最小，则称为**全局最小值**（global minimum）。例如 $f(x) = x\cos(\pi x)$ 在 $[-1, 2]$ 上有两个局部最小值，只有右边那个是全局最小值。在局部最小值附近梯度趋于 0，单靠梯度信息无法“跳出去”；小批量随机梯度自带的噪声有时反而能帮上忙（第5章）。

# %%
x = np.arange(-1.0, 2.0, 0.01)
ax = plot(x, risk(x), xlabel="x", ylabel="f(x)", figsize=(5.5, 3.4))
annotate(ax, "局部最小值", (-0.3, -0.2), (-0.77, -1.0))
annotate(ax, "全局最小值", (1.1, -0.95), (0.6, 0.8))
ax.set_title(r"$f(x)=x\cos(\pi x)$");

# %% [markdown]
# ### 鞍点
#
# **鞍点**指梯度为 0、但既不是局部最小值也不是局部最大值的点。一维的例子是 $f(x) = x^3$：$f'(0) = f''(0) = 0$，但 $x = 0$ 左侧的函数值都小于 $f(0)$，右侧的都大于 $f(0)$。（严格说，一维的这种点叫拐点（inflection point）；为与高维情形统一，这里也称它为鞍点。）

# %%
x = np.arange(-2.0, 2.0, 0.01)
ax = plot(x, x ** 3, xlabel="x", ylabel="f(x)", figsize=(5, 3.2))
annotate(ax, "鞍点", (0, -0.2), (-0.52, -5.0))
ax.set_title(r"$f(x)=x^3$");

# %% [markdown]
# 高维时鞍点更常见。$f(x, y) = x^2 - y^2$ 在 $(0, 0)$ 处梯度为零：沿 $x$ 方向是最小值，沿 $y$ 方向却是最大值，曲面形如马鞍。判断的工具是该点处**黑塞矩阵**（Hessian）$\mathbf{H}$（由全部二阶偏导数组成）的特征值：
#
# - 全部为正 → 局部最小值；全部为负 → 局部最大值；
# - 有正有负 → 鞍点；
# - 有零特征值 → 仅凭二阶信息无法判断（$x^3$ 在 0 处就是这种情况）。
#
# 对一个有 $d$ 个参数的网络，若粗略地把每个特征值的符号看成独立地“抛硬币”，全部为正的概率只有 $2^{-d}$。这个直觉与实证研究（Dauphin 等，2014）一致：高维损失面上梯度为零的点——驻点（stationary point）——绝大多数是鞍点而非局部最小值。

# %%
ax = plot_surface(lambda x, y: x ** 2 - y ** 2, (-1, 1), (-1, 1), points=[(0, 0)],
                  title=r"$f(x,y)=x^2-y^2$ 的鞍点（红叉）")

# %%
# NBVAL_CHECK_OUTPUT
H_saddle = np.array([[2.0, 0.0], [0.0, -2.0]])  # Hessian of x^2 - y^2 (constant)
print("鞍点处黑塞矩阵的特征值：", np.linalg.eigvalsh(H_saddle))

# %% [markdown]
# ### 梯度消失
#
# 即使没有局部最小值和鞍点，梯度也可能小到参数几乎不动。以 $f(x) = \tanh(x)$ 为例，$f'(x) = 1 - \tanh^2(x)$，在 $x = 4$ 处只有约 $0.0013$。若从这里开始梯度下降，要走很久才能离开平台。这正是早期网络使用 sigmoid / tanh 激活函数时难以训练的原因之一；ReLU、批量归一化（第2章）和残差连接（第3章）都在缓解这个问题。

# %%
x = np.arange(-2.0, 5.0, 0.01)
ax = plot(x, np.tanh(x), xlabel="x", ylabel="f(x)", figsize=(5, 3.2))
annotate(ax, "梯度消失", (4, 1), (2, 0.0))
ax.set_title(r"$f(x)=\tanh(x)$");

# %%
# NBVAL_CHECK_OUTPUT
print(f"tanh'(4) = 1 - tanh(4)^2 = {1 - math.tanh(4) ** 2:.6f}")
print(f"tanh'(0) = {1 - math.tanh(0) ** 2:.6f}")

# %% [markdown]
# ## 4.3 凸性
#
# 深度学习的损失函数几乎从不是凸的，但凸性（convexity）仍是理解优化算法的基石：优化算法的理论保证大多先在凸函数上建立；而且在局部最小值附近，损失面往往近似是凸的。
#
# ### 凸集
#
# 集合 $\mathcal{X}$ 称为**凸集**（convex set），如果对任意 $a, b \in \mathcal{X}$ 和 $\lambda \in [0, 1]$，都有
# $$\lambda a + (1-\lambda) b \in \mathcal{X},$$
# 即连接两点的线段完全落在集合内。两个凸集的交集仍是凸集（线段同时在两个集合里）；但并集一般不是。

# %%
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
# (a) an ellipse: convex
axes[0].add_patch(patches.Ellipse((0, 0), 3, 2, fc="C0", alpha=0.3))
axes[0].plot([-1.0, 0.9], [-0.5, 0.6], "k-o", ms=4)
axes[0].set_title("凸集：线段在集合内")
# (b) a polygon with a V-shaped notch: not convex
star = np.array([[-1.5, -1], [1.5, -1], [1.5, 1], [0.9, 1], [0, -0.2], [-0.9, 1], [-1.5, 1]])
axes[1].add_patch(patches.Polygon(star, fc="C1", alpha=0.3))
axes[1].plot([-1.2, 1.2], [0.8, 0.8], "k-o", ms=4)
axes[1].set_title("非凸集：线段跑出集合")
# (c) intersection of two discs: convex
for cx in (-0.5, 0.5):
    axes[2].add_patch(patches.Circle((cx, 0), 1.0, fc="none", ec="C2"))
t = np.linspace(-np.pi / 3, np.pi / 3, 50)
lens = np.concatenate([np.c_[-0.5 + np.cos(t), np.sin(t)],
                       np.c_[0.5 - np.cos(t[::-1]), np.sin(t[::-1])]])
axes[2].add_patch(patches.Polygon(lens, fc="C2", alpha=0.4))
axes[2].set_title("两个凸集的交集仍是凸集")
for a in axes:
    a.set_xlim(-2, 2)
    a.set_ylim(-1.5, 1.5)
    a.set_aspect("equal")
    a.axis("off")
fig.tight_layout()

# %% [markdown]
# ### 凸函数
#
# 定义在凸集 $\mathcal{X}$ 上的函数 $f$ 称为**凸函数**，如果对任意 $x, x' \in \mathcal{X}$ 和 $\lambda \in [0, 1]$，
# $$\lambda f(x) + (1-\lambda) f(x') \ge f(\lambda x + (1-\lambda) x').$$
# 几何意义：函数图像上任意两点之间的弦（chord，下图中的虚线）都不低于函数图像。下图中 $\frac12 x^2$ 与 $e^{0.5x}$ 是凸的，$\cos(\pi x)$ 不是——它的弦穿到了曲线下方。

# %%
funcs = [(lambda x: 0.5 * x ** 2, r"$\frac{1}{2}x^2$（凸）"),
         (lambda x: np.cos(np.pi * x), r"$\cos(\pi x)$（非凸）"),
         (lambda x: np.exp(0.5 * x), r"$e^{0.5x}$（凸）")]
x = np.arange(-2.0, 2.0, 0.01)
segment = np.array([-1.5, 1.0])
fig, axes = plt.subplots(1, 3, figsize=(9, 2.8))
for ax, (func, name) in zip(axes, funcs):
    plot([x, segment], [func(x), func(segment)], ax=ax, title=name)
fig.tight_layout()

# %% [markdown]
# ### 詹森不等式
#
# 把凸函数的定义推广到多个点（归纳法）或一个随机变量，就得到**詹森不等式**：对凸函数 $f$，
# $$\sum_i \alpha_i f(x_i) \ge f\Big(\sum_i \alpha_i x_i\Big)\quad (\alpha_i \ge 0,\ \textstyle\sum_i \alpha_i = 1),\qquad
# \mathbb{E}_X[f(X)] \ge f(\mathbb{E}_X[X]).$$
# 换句话说，“凸函数的期望 ≥ 期望的凸函数”。它的一个常见用法是给难算的量找下界，例如变分推断中的证据下界（ELBO）就来自对 $\log$（凹函数，不等号反向）用詹森不等式。下面在样本上做数值检验：

# %%
# NBVAL_CHECK_OUTPUT
rng = np.random.default_rng(0)
X = rng.normal(loc=1.0, scale=1.0, size=100_000)
for name, func in [("exp", np.exp), ("x^2", np.square), ("|x|", np.abs)]:
    lhs, rhs = func(X).mean(), func(X.mean())
    print(f"f={name:4s}: E[f(X)] = {lhs:.3f} >= f(E[X]) = {rhs:.3f} ? {lhs >= rhs}")
# for x^2 the gap is exactly the (sample) variance
print(f"x^2 的差值 {np.mean(X ** 2) - X.mean() ** 2:.4f} = 样本方差 {X.var():.4f}")

# %% [markdown]
# 对 $f = \exp$、$X \sim \mathcal{N}(1, 1)$，理论值是 $\mathbb{E}[e^X] = e^{1.5} \approx 4.48$，而 $e^{\mathbb{E}[X]} = e \approx 2.72$，与上面的样本结果吻合。
#
# ### 凸函数的三条性质
#
# **性质 1：局部最小值就是全局最小值。** *证明*（反证）：设 $x^*$ 是局部最小值，但存在 $x'$ 使 $f(x') < f(x^*)$。取很小的 $\lambda > 0$，点 $x_\lambda = \lambda x' + (1-\lambda) x^*$ 落在 $x^*$ 的邻域内，由凸性
# $$f(x_\lambda) \le \lambda f(x') + (1-\lambda) f(x^*) < f(x^*),$$
# 与 $x^*$ 是局部最小值矛盾。$\square$ 这正是凸优化“好对付”的原因：只要找到一个局部最小值就够了。（注意全局最小值可以不唯一，也可以不存在，例如 $e^x$。）
#
# **性质 2：下水平集（sublevel set）是凸集。** 定义 $\mathcal{S}_b = \{x \mid f(x) \le b\}$。*证明*：若 $x, x' \in \mathcal{S}_b$，则
# $$f(\lambda x + (1-\lambda) x') \le \lambda f(x) + (1-\lambda) f(x') \le \lambda b + (1-\lambda) b = b,$$
# 所以连线上的点也在 $\mathcal{S}_b$ 中。$\square$ 第 4.5 节二维梯度下降图里的椭圆等高线围出的区域，就是凸函数的下水平集。
#
# **性质 3：二阶条件。** 二阶可导的 $f$ 是凸函数，当且仅当 $f''(x) \ge 0$（多元时黑塞矩阵半正定，$\mathbf{H} \succeq 0$）。*证明概要*（一维，“⇐”方向）：$f'' \ge 0$ 说明 $f'$ 单调不减。取 $a < b$，$x = (1-\lambda)a + \lambda b$，由中值定理存在 $\alpha \in [a, x]$、$\beta \in [x, b]$ 使
# $$f(x) - f(a) = (x-a) f'(\alpha),\qquad f(b) - f(x) = (b-x) f'(\beta).$$
# 由 $x - a = \lambda(b-a)$、$b - x = (1-\lambda)(b-a)$ 得
# $$(1-\lambda) f(a) + \lambda f(b) - f(x) = -(1-\lambda)(x-a) f'(\alpha) + \lambda (b-x) f'(\beta) = \lambda(1-\lambda)(b-a)\big(f'(\beta) - f'(\alpha)\big) \ge 0,$$
# 最后一步用到单调性 $f'(\beta) \ge f'(\alpha)$。这正是凸函数的定义。“⇒”方向：凸性推出 $\frac{f(x+\epsilon) + f(x-\epsilon)}{2} \ge f(x)$，于是 $f''(x) = \lim_{\epsilon\to 0}\frac{f(x+\epsilon) + f(x-\epsilon) - 2f(x)}{\epsilon^2} \ge 0$。多元情形只需把 $f$ 限制在任意一条直线上，化为一维函数 $g(t) = f(\mathbf{x} + t\mathbf{v})$，其 $g''(0) = \mathbf{v}^\top \mathbf{H} \mathbf{v}$。$\square$
#
# 下面用证明里的那个中心差分公式，在网格上数值检查二阶条件：

# %%
# NBVAL_CHECK_OUTPUT
xs, eps = np.linspace(-3, 3, 601), 1e-3
checks = {"0.5x^2（凸）": funcs[0][0], "cos(πx)（非凸）": funcs[1][0],
          "exp(0.5x)（凸）": funcs[2][0], "tanh(x)（非凸）": np.tanh}
for name, func in checks.items():
    second = (func(xs + eps) + func(xs - eps) - 2 * func(xs)) / eps ** 2  # central difference
    print(f"{name:16s} [-3, 3] 上 f''(x) 的最小值 = {second.min():+.3f}")

# %% [markdown]
# ### 约束
#
# 凸优化的一大用处是处理约束问题：
# $$\min_{\mathbf{x}} f(\mathbf{x})\quad \text{s.t.}\quad c_i(\mathbf{x}) \le 0,\ i = 1, \dots, n.$$
#
# **拉格朗日函数。** 引入拉格朗日乘子（Lagrange multiplier）$\alpha_i \ge 0$，构造
# $$L(\mathbf{x}, \alpha) = f(\mathbf{x}) + \sum_i \alpha_i c_i(\mathbf{x}).$$
# 对凸问题（且满足 Slater 条件之类的正则性条件时），原问题的解是 $L$ 的鞍点：对 $\mathbf{x}$ 取最小、对 $\alpha$ 取最大。直观地看，乘子 $\alpha_i$ 像一根弹簧：约束被违反得越多，它把 $\mathbf{x}$ 往可行域里拉得越紧。等式约束 $h(\mathbf{x}) = 0$ 也可以这样处理，只是乘子可正可负。例：$\min x^2 + y^2$ s.t. $x + y = 1$，拉格朗日函数为 $L = x^2 + y^2 + \lambda(x + y - 1)$。令 $\nabla L = 0$：$2x + \lambda = 0$，$2y + \lambda = 0$，$x + y = 1$——一个线性方程组：

# %%
# NBVAL_CHECK_OUTPUT
KKT = np.array([[2.0, 0.0, 1.0],
                [0.0, 2.0, 1.0],
                [1.0, 1.0, 0.0]])
x_opt, y_opt, lam = np.linalg.solve(KKT, [0.0, 0.0, 1.0])
print(f"x = {x_opt:.3f}, y = {y_opt:.3f}, 乘子 lambda = {lam:.3f}")

# %% [markdown]
# 解是 $x = y = 0.5$，乘子 $\lambda = -1$（等式约束的乘子为负并无不妥）。
#
# **罚项。** 与其严格满足约束，不如把 $\alpha_i c_i(\mathbf{x})$ 直接加进目标函数，违反越多罚得越重。深度学习中最常见的例子是**权重衰减**（weight decay）：在损失上加 $\frac{\lambda}{2}\|\mathbf{w}\|^2$，它对应约束 $\|\mathbf{w}\|^2 - r^2 \le 0$（$r^2$ 这一项是常数，求导时消失）。加上罚项后梯度多出 $\lambda \mathbf{w}$，所以对 SGD 而言，`torch.optim.SGD(..., weight_decay=λ)` 与手动加罚项完全等价（对 Adam 则不然，这正是解耦权重衰减（decoupled weight decay，AdamW）的出发点）：

# %%
# NBVAL_CHECK_OUTPUT
lam, lr = 0.1, 0.5
w0 = torch.tensor([1.0, -2.0, 3.0])
target = torch.tensor([0.5, 0.5, 0.5])

w_a = w0.clone().requires_grad_()  # (a) penalty written into the loss
loss = 0.5 * ((w_a - target) ** 2).sum() + lam / 2 * (w_a ** 2).sum()
loss.backward()
with torch.no_grad():
    w_a -= lr * w_a.grad

w_b = w0.clone().requires_grad_()  # (b) weight_decay in the optimizer
opt = torch.optim.SGD([w_b], lr=lr, weight_decay=lam)
(0.5 * ((w_b - target) ** 2).sum()).backward()
opt.step()
print("手动罚项:     ", w_a.detach().numpy().round(4))
print("weight_decay: ", w_b.detach().numpy().round(4))
print("相同？", torch.allclose(w_a, w_b))

# %% [markdown]
# **投影。** 另一种办法是每步更新后把点**投影**回约束集：$\mathrm{Proj}_{\mathcal{X}}(\mathbf{x}) = \operatorname{argmin}_{\mathbf{x}' \in \mathcal{X}} \|\mathbf{x} - \mathbf{x}'\|$。**梯度裁剪**（gradient clipping）就是把梯度投影到半径为 $\theta$ 的球上：
# $$\mathbf{g} \leftarrow \mathbf{g} \cdot \min\Big(1, \frac{\theta}{\|\mathbf{g}\|}\Big).$$
# 球是凸集，所以投影唯一。下面与 PyTorch 的 `clip_grad_norm_` 对比：

# %%
# NBVAL_CHECK_OUTPUT
def project_to_ball(g, theta):
    """Projection of g onto the ball {||g|| <= theta} (= gradient clipping)."""
    norm = g.norm()
    return g * min(1.0, theta / float(norm)) if norm > 0 else g


p = torch.nn.Parameter(torch.zeros(2))
p.grad = torch.tensor([3.0, 4.0])  # ||g|| = 5
ours = project_to_ball(p.grad.clone(), theta=1.0)
torch.nn.utils.clip_grad_norm_([p], max_norm=1.0)
print("投影：", ours.numpy().round(4), "  clip_grad_norm_：", p.grad.numpy().round(4))
print("球内的梯度保持不变：", project_to_ball(torch.tensor([0.3, 0.4]), 1.0).numpy())

# %% [markdown]
# ## 4.4 一维梯度下降
#
# ### 从泰勒展开出发
#
# 设 $f: \mathbb{R} \to \mathbb{R}$ 连续可导。一阶泰勒展开给出
# $$f(x + \epsilon) = f(x) + \epsilon f'(x) + O(\epsilon^2).$$
# 取 $\epsilon = -\eta f'(x)$，其中**学习率**（learning rate）$\eta > 0$，得到
# $$f(x - \eta f'(x)) = f(x) - \eta f'^2(x) + O(\eta^2 f'^2(x)).$$
# 只要 $f'(x) \ne 0$ 且 $\eta$ 足够小，一阶项 $-\eta f'^2(x) < 0$ 就压过高阶项，函数值下降。于是得到迭代
# $$x \leftarrow x - \eta f'(x).$$
# 用 $f(x) = x^2$ 做实验：$f'(x) = 2x$，最小值在 $x = 0$。先亲手写出这个循环：

# %%
# NBVAL_CHECK_OUTPUT
def gd_by_hand(eta, f_grad, x0=10.0, num_steps=10):
    x, results = x0, [x0]
    for _ in range(num_steps):
        x -= eta * f_grad(x)
        results.append(x)
    return results


def f(x):
    return x ** 2


def f_grad(x):
    return 2 * x


results = gd_by_hand(0.2, f_grad)
print(f"10 步后 x = {results[-1]:.6f}")

# %% [markdown]
# 课程包里的 `course_utils.descent.gd(grad, x0, lr, num_steps)` 做的是同一件事，只是多了输入检查，并且在迭代值变成 NaN/inf 或溢出时**停止并报告**（而不是让程序崩溃）。它返回一个列表（第一个元素是起点），列表还带有 `diverged` 与 `message` 两个属性。`gd` 本身只有一行更新公式，循环与发散检测放在各个优化器共用的内部函数 `_run` 里（牛顿法等后面的函数也用它）：

# %%
print(inspect.getsource(gd))
print(inspect.getsource(gradient._run))

# %% [markdown]
# 对 $f(x) = x^2$，一步更新是 $x \leftarrow (1 - 2\eta)\,x$，所以 $x_k = (1-2\eta)^k x_0$——可以拿闭式解核对：

# %%
# NBVAL_CHECK_OUTPUT
trace = gd(f_grad, 10.0, lr=0.2, num_steps=10)
print(f"gd(lr=0.2) 10 步后 x = {trace[-1]:.7f}；闭式解 10·0.6^10 = {10 * 0.6 ** 10:.7f}")
print("与手写循环一致：", trace == results)
for lr in (0.05, 0.2, 1.1):
    t = gd(f_grad, 10.0, lr=lr, num_steps=10)
    growing = all(abs(b) > abs(a) for a, b in zip(t, t[1:]))
    print(f"lr={lr:<4}: x_10 = {t[-1]:>10.4f}   |x| 每步都变大？{growing}")

# %% [markdown]
# ### 学习率：太小、合适、太大
#
# 三个学习率的轨迹画在一起：$\eta = 0.05$ 时每步只乘 0.9，10 步后还停在 $x \approx 3.49$；$\eta = 0.2$ 时每步乘 0.6，10 步后到了 $0.0605$；$\eta = 1.1$ 时每步乘 $-1.2$，来回越过最小值且越跳越远，$|x|$ 涨到 $61.9$——**发散**。一般地，对 $f(x) = \frac{L}{2}x^2$，一步更新是 $x \leftarrow (1 - \eta L)\,x$，需要 $0 < \eta < 2/L$ 才收敛，$\eta = 1/L$ 一步到位；这里 $L = 2$，所以临界值是 $\eta = 1$。

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
for ax, lr in zip(axes, (0.05, 0.2, 1.1)):
    show_trace(f, gd(f_grad, 10.0, lr=lr, num_steps=10), ax=ax, title=f"学习率 η = {lr}",
               legend=ax is axes[0])
fig.tight_layout()

# %% [markdown]
# 如果让 $\eta = 1.1$ 一直跑下去，$|x|$ 最终会超出浮点数的表示范围。`gd` 在 $|x|$ 超过 `max_abs`（默认 $10^{12}$）、出现 NaN/inf 或溢出时停下，把轨迹标记为 `diverged=True`，并发出一条中文的 `DivergenceWarning`（下面把它捕获后打印出来）：

# %%
# NBVAL_CHECK_OUTPUT
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    trace = gd(f_grad, 10.0, lr=1.1, num_steps=1000)
print("diverged =", trace.diverged, "| 实际走了", trace.num_steps, "步")
print(f"{caught[0].category.__name__}：{caught[0].message}")

# %% [markdown]
# ### 非凸函数：学习率大了会落进差的局部最小值
#
# 再看非凸函数 $f(x) = x\cos(cx)$，$c = 0.15\pi$。从 $x = 10$ 出发，左边不远处（$x \approx 7.27$）就有一个很深的局部最小值。学习率 $\eta = 0.2$ 时，梯度下降稳稳地滑了进去，$f(x_{10}) = -6.98$；$\eta = 2$ 时第一步就越过了山峰，落进原点左侧一个浅得多的局部最小值的山谷，并在谷底两侧来回振荡，$f(x_{10})$ 只有 $-1.15$。

# %%
c = 0.15 * np.pi


def f_nc(x):
    return x * np.cos(c * x)


def f_nc_grad(x):
    return np.cos(c * x) - c * x * np.sin(c * x)


fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for ax, lr in zip(axes, (0.2, 2.0)):
    show_trace(f_nc, gd(f_nc_grad, 10.0, lr=lr, num_steps=10), ax=ax, xlim=(-12, 12),
               title=f"学习率 η = {lr}", legend=ax is axes[0])
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
for lr in (0.2, 2.0):
    t = gd(f_nc_grad, 10.0, lr=lr, num_steps=10)
    print(f"lr={lr}: x_10 = {t[-1]:+.4f}, f(x_10) = {f_nc(t[-1]):+.4f}")

# %% [markdown]
# ### 动手试一试
#
# 拖动滑块：学习率（对数刻度）、起点与步数；下拉菜单可切换凸函数 $x^2$ 与上面的非凸函数。试着找出让 $x^2$ 一步到达最小值的学习率（$\eta = 0.5$；对数滑块上没有恰好 0.5 的刻度，最接近的一档略大于 0.5），以及开始发散的临界值（$\eta = 1$ 时 $x$ 在 $\pm x_0$ 之间来回跳，再大就发散）。在静态页面上看到的是下面这张默认参数的图；滑块要在运行中的内核里才能拖动。

# %%
demos.draw_gd_1d(lr=0.2, x0=10.0, steps=10);

# %%
panel_1d = demos.gd_1d_panel()
panel_1d

# %% [markdown]
# ## 4.5 多元梯度下降
#
# 对 $f: \mathbb{R}^d \to \mathbb{R}$，梯度 $\nabla f(\mathbf{x}) = [\partial f / \partial x_1, \dots, \partial f / \partial x_d]^\top$，泰勒展开为
# $$f(\mathbf{x} + \boldsymbol{\epsilon}) = f(\mathbf{x}) + \boldsymbol{\epsilon}^\top \nabla f(\mathbf{x}) + O(\|\boldsymbol{\epsilon}\|^2),$$
# 在所有长度相同的 $\boldsymbol{\epsilon}$ 中，$-\nabla f(\mathbf{x})$ 方向下降最快，于是
# $$\mathbf{x} \leftarrow \mathbf{x} - \eta \nabla f(\mathbf{x}).$$
# 以 $f(\mathbf{x}) = x_1^2 + 2x_2^2$ 为例，梯度是 $(2x_1, 4x_2)$。`train_2d(step_fn, x0, num_steps)` 反复调用一步更新函数并记录轨迹，`gd_2d(grad2d, lr)` 构造梯度下降的那一步：

# %%
print(inspect.getsource(gd_2d))

# %%
# NBVAL_CHECK_OUTPUT
def f_2d(x1, x2):
    return x1 ** 2 + 2 * x2 ** 2


def f_2d_grad(x1, x2):
    return 2 * x1, 4 * x2


trace_2d = train_2d(gd_2d(f_2d_grad, lr=0.1), x0=(-5, -2), num_steps=20)
x1, x2 = trace_2d[-1]
print(f"20 步后 (x1, x2) = ({x1:.6f}, {x2:.6f})")
print(f"闭式解 (-5·0.8^20, -2·0.6^20) = ({-5 * 0.8 ** 20:.6f}, {-2 * 0.6 ** 20:.6f})")

# %%
show_trace_2d(f_2d, trace_2d, aspect="equal", legend=True,
              title=r"$x_1^2 + 2x_2^2$ 上的梯度下降（η = 0.1）");

# %% [markdown]
# 轨迹在 $x_2$ 方向很快收敛（每步乘 $1 - 4\eta = 0.6$），在 $x_1$ 方向却慢得多（每步乘 $1 - 2\eta = 0.8$）。两个方向的曲率不同，而学习率只有一个：它受曲率最大的方向限制（这里要求 $\eta < 2/4 = 0.5$），于是曲率小的方向只能慢慢走。这就是**病态条件**（ill-conditioning）问题，第 4.7 节的预条件就是针对它的。（两幅图都按相同比例画坐标轴，所以等高线是真实形状的椭圆。）下面的滑块可以验证：$\eta = 0.5$ 时 $x_2$ 在 $\pm 2$ 之间来回跳（对数滑块上最接近 0.5 的一档略大于 0.5，所以振幅会缓慢增大），再大就发散。

# %%
demos.draw_gd_2d(lr=0.1, x1=-5.0, x2=-2.0, steps=20);

# %%
panel_2d = demos.gd_2d_panel()
panel_2d

# %% [markdown]
# ## 4.6 牛顿法
#
# 梯度下降只用了一阶信息。若再用上二阶导数，即黑塞矩阵 $\mathbf{H} = \nabla^2 f(\mathbf{x})$（$H_{ij} = \partial^2 f / \partial x_i \partial x_j$），泰勒展开为
# $$f(\mathbf{x} + \boldsymbol{\epsilon}) = f(\mathbf{x}) + \boldsymbol{\epsilon}^\top \nabla f(\mathbf{x}) + \tfrac12 \boldsymbol{\epsilon}^\top \mathbf{H} \boldsymbol{\epsilon} + O(\|\boldsymbol{\epsilon}\|^3).$$
# 对 $\boldsymbol{\epsilon}$ 求导并令其为零：$\nabla f(\mathbf{x}) + \mathbf{H}\boldsymbol{\epsilon} = 0$，即
# $$\boldsymbol{\epsilon} = -\mathbf{H}^{-1} \nabla f(\mathbf{x}),\qquad \mathbf{x} \leftarrow \mathbf{x} - \mathbf{H}^{-1}\nabla f(\mathbf{x}).$$
# （只有当 $\mathbf{H}$ 正定时，这个驻点才是二次模型的最小值点。）对二次函数，二阶泰勒展开是精确的，牛顿法**一步**就到最小值。代价是：$d$ 维问题的黑塞矩阵有 $d^2$ 个元素，求解线性方程组要 $O(d^3)$ 次运算——对有数百万参数的网络完全不可行。但它是理解后续自适应优化算法的钥匙。

# %%
print(inspect.getsource(newton))

# %% [markdown]
# ### 凸函数：$f(x) = \cosh(cx)$
#
# 取 $c = 0.5$，$f'(x) = c\sinh(cx)$，$f''(x) = c^2\cosh(cx) > 0$，最小值在 $x = 0$。从 $x = 10$ 出发：

# %%
# NBVAL_CHECK_OUTPUT
c_cosh = 0.5
trace_newton = newton(lambda x: c_cosh * math.sinh(c_cosh * x),
                      lambda x: c_cosh ** 2 * math.cosh(c_cosh * x), 10.0, num_steps=10)
for k, x in enumerate(trace_newton):
    print(f"step {k:2d}: x = {x:+.6e}")
first = next(k for k, x in enumerate(trace_newton) if abs(x) < 1e-6)
print(f"第 {first} 步起 |x| < 1e-6")

# %%
show_trace(lambda x: np.cosh(c_cosh * x), trace_newton, title="牛顿法：cosh(0.5x)");

# %% [markdown]
# 开头几步（远离最小值时）$x$ 每步只减少约 2：牛顿步长是 $f'(x)/f''(x) = \tanh(cx)/c$，$x$ 较大时 $\tanh(cx) \approx 1$，步长约为 $1/c = 2$——那里 $\cosh$ 近似指数函数，二次模型并不准；一旦进入最小值附近，误差从 $10^{-2}$ 一步跳到 $10^{-7}$，再一步到 $10^{-22}$。这种“越接近越快”的行为就是下面要分析的二次收敛。
#
# ### 非凸函数：牛顿法走错方向
#
# 对 $f(x) = x\cos(cx)$（$c = 0.15\pi$），从 $x = 10$ 出发。牛顿法只是在找 $f'(x) = 0$ 的点，它分不清最小值与最大值：$f''(x) < 0$ 时，$-f'(x)/f''(x)$ 指向**上坡**方向；$f''(x)$ 接近 0 时，步长又会大得离谱。下面的输出里两件事都发生了：第一步从 10 跳到 5，越过了 $7.27$ 处的最小值；在 $x = 5$ 处 $f''$ 只有 $0.119$，第二步一下子跳到 $x \approx 25$；那里 $f'' < 0$，此后的迭代收敛到 $x \approx 26.83$ 的一个局部**最大值**。一个简单的修正是**阻尼**（damping）：只走牛顿步的一部分，$x \leftarrow x - \eta\, f'(x)/f''(x)$，取 $\eta = 0.5$ 时它停在了 $x \approx 7.27$ 的局部最小值。（另一种常见修正是用 $|f''(x)|$ 代替 $f''(x)$。）

# %%
# NBVAL_CHECK_OUTPUT
def f_nc_hess(x):
    return -2 * c * np.sin(c * x) - x * c ** 2 * np.cos(c * x)


print("η=1 的前 4 个迭代点:", [round(x, 3) for x in newton(f_nc_grad, f_nc_hess, 10.0, num_steps=3)],
      f"| f''(5) = {f_nc_hess(5.0):.3f}")
for lr in (1.0, 0.5):
    t = newton(f_nc_grad, f_nc_hess, 10.0, lr=lr, num_steps=10)
    kind = "局部最小值" if f_nc_hess(t[-1]) > 0 else "局部最大值"
    print(f"lr={lr}: x_10 = {t[-1]:.4f}, f(x_10) = {f_nc(t[-1]):+.4f}, "
          f"f''(x_10) = {f_nc_hess(t[-1]):+.3f} → {kind}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for ax, lr in zip(axes, (1.0, 0.5)):
    t = newton(f_nc_grad, f_nc_hess, 10.0, lr=lr, num_steps=10)
    show_trace(f_nc, t, ax=ax, xlim=(-30, 30), title=f"牛顿法，η = {lr}", legend=ax is axes[0])
fig.tight_layout()

# %% [markdown]
# ### 收敛性分析
#
# 设 $f$ 凸且三阶可导，$f''(x^*) > 0$，记误差 $e_k = x_k - x^*$。在 $x_k$ 处把 $f'(x^*) = 0$ 做泰勒展开：
# $$0 = f'(x_k - e_k) = f'(x_k) - e_k f''(x_k) + \tfrac12 e_k^2 f'''(\xi_k),\qquad \xi_k \in [x_k - e_k, x_k].$$
# 两边除以 $f''(x_k)$，注意 $x_{k+1} = x_k - f'(x_k)/f''(x_k)$，即 $e_{k+1} = e_k - f'(x_k)/f''(x_k)$，得到
# $$e_{k+1} = \frac{f'''(\xi_k)}{2 f''(x_k)}\, e_k^2.$$
# 在 $x^*$ 附近 $\big|f'''/(2f'')\big| \le M$，所以 $|e_{k+1}| \le M e_k^2$：**误差每步大致平方**，有效数字位数每步翻倍，这叫**二次收敛**。与之对比，梯度下降在 $x^2$ 上是 $|e_{k+1}| = |1-2\eta|\,|e_k|$，只是**线性收敛**（linear convergence）。
#
# 用 $f(x) = e^x - 2x$（最小值 $x^* = \ln 2$，$f''' / (2f'') = 1/2$）验证：比值 $e_{k+1}/e_k^2$ 应当趋于 $0.5$。

# %%
# NBVAL_CHECK_OUTPUT
trace_exp = newton(lambda x: math.exp(x) - 2, math.exp, 1.5, num_steps=5)
rows = [(k, x, err, None if math.isnan(ratio) else ratio)
        for k, x, err, ratio in convergence_table(trace_exp, math.log(2))]
table(rows, [(0, "k", "d"), (1, "x_k", ".15f"), (2, "|e_k|", ".3e"), (3, "|e_k| / |e_{k-1}|²", ".4f")])

# %% [markdown]
# 误差依次约为 $2.5\times 10^{-1},\ 2.9\times 10^{-2},\ 4.3\times 10^{-4},\ 9.3\times 10^{-8},\ 4.3\times 10^{-15}$：指数大致每步翻倍，比值从 $0.39$ 逐步趋于理论值 $0.5$（最后一步的 $0.5036$ 已受双精度浮点数舍入的影响）。在 $\cosh(cx)$ 上牛顿法更快，因为那里 $f'''(0) = 0$，误差的主项消失了，收敛甚至是三次的（见上面 $10^{-2} \to 10^{-7} \to 10^{-22}$）。

# %% [markdown]
# ## 4.7 预条件与线搜索
#
# ### 预条件
#
# 牛顿法太贵，但可以只取它的一部分：用黑塞矩阵的**对角线**近似整个黑塞矩阵，
# $$\mathbf{x} \leftarrow \mathbf{x} - \eta\, \operatorname{diag}(\mathbf{H})^{-1} \nabla f(\mathbf{x}).$$
# 这相当于给每个坐标配一个自己的学习率，叫做**预条件**（preconditioning）。它消除了量纲和尺度的差异：比如一个参数以米为单位、另一个以毫米为单位，普通梯度下降的学习率只能迁就曲率最大的那个坐标。Adagrad、RMSProp、Adam 等自适应优化器都可以看作在构造这样一个对角预条件矩阵，只不过它们用的不是黑塞矩阵的对角线，而是梯度平方的（滑动）平均的平方根。
#
# 看一个病态的例子 $f(\mathbf{x}) = \frac12(x_1^2 + 100\,x_2^2)$，条件数（condition number）为 100。普通梯度下降的学习率必须小于 $2/100$（下面取 $0.019$，接近这种情形下的最优固定学习率 $2/(1+100)$），于是 $x_1$ 方向每步只缩小不到 $2\%$（50 步后 $x_1$ 仍约为 $0.38$）；用黑塞矩阵的对角线 $(1, 100)$ 的倒数做预条件后，两个方向一视同仁：

# %%
# NBVAL_CHECK_OUTPUT
def f_ill(x1, x2):
    return 0.5 * (x1 ** 2 + 100 * x2 ** 2)


def f_ill_grad(x):
    return np.array([x[0], 100 * x[1]])


x0 = np.array([1.0, 1.0])
plain = gd(f_ill_grad, x0, lr=0.019, num_steps=50)
pre = preconditioned_gd(f_ill_grad, x0, lr=0.5, num_steps=50, precond=[1.0, 1 / 100])
for name, t in [("普通 GD, lr=0.019", plain), ("预条件 GD, lr=0.5", pre)]:
    x = t[-1]
    print(f"{name:18s}: 50 步后 x = ({x[0]:.2e}, {x[1]:.2e}), f = {f_ill(*x):.2e}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for ax, (name, t) in zip(axes, [("普通 GD（η = 0.019）", plain), ("对角预条件 GD（η = 0.5）", pre)]):
    show_trace_2d(f_ill, t[:20], ax=ax, xlim=(-0.2, 1.2), ylim=(-1.2, 1.2),
                  levels=np.geomspace(1e-3, 60, 15), title=name + "，前 20 步")
fig.tight_layout()

# %% [markdown]
# 左图的轨迹在陡峭的 $x_2$ 方向上来回振荡，同时在平缓的 $x_1$ 方向上爬行；右图每步把两个坐标的误差都减半。这里黑塞矩阵恰好是对角的，所以对角预条件（取 $\eta = 1$ 时）就是牛顿法；一般情况下对角近似只能部分修正病态条件：例如把这个椭圆旋转 45°，黑塞矩阵的两个对角元就相等了，对角预条件完全帮不上忙。
#
# ### 线搜索
#
# 另一个思路是不固定学习率，而是每步沿着 $-\nabla f$ 方向**搜索**一个合适的步长。精确搜索 $\min_\eta f(\mathbf{x} - \eta \nabla f)$ 太贵，常用的是**回溯线搜索**（backtracking line search）：从一个大胆的 $\eta_0$ 开始，只要函数值下降得不够，即 Armijo 条件（又称充分下降条件，sufficient decrease condition）
# $$f(\mathbf{x} - \eta \mathbf{g}) \le f(\mathbf{x}) - c\,\eta\,\|\mathbf{g}\|^2\qquad (\mathbf{g} = \nabla f(\mathbf{x}),\ 0 < c < 1)$$
# 不成立，就把 $\eta$ 减半：

# %%
print(inspect.getsource(backtracking_line_search))

# %% [markdown]
# 线搜索最有用的场合是**曲率沿途变化很大**的函数。例如 $f(x) = \sqrt{1 + x^2}$：远处它几乎是直线（$f'' \approx 0$，梯度的绝对值接近 1），在 0 附近却像抛物线（$f''(0) = 1$）。固定学习率必须迁就 0 附近的曲率（$\eta < 2$），于是在远处每步只能挪动约 1；线搜索在远处敢用大步长，到了近处自动缩小。下面从 $\eta_0 = 64$ 开始回溯，并比较两个 Armijo 常数：较严格的 $c = 0.3$ 与常用的默认值 $c = 10^{-4}$。

# %%
# NBVAL_CHECK_OUTPUT
def f_huber(x):
    return np.sqrt(1 + x ** 2)


def f_huber_grad(x):
    return x / np.sqrt(1 + x ** 2)


fixed = gd(f_huber_grad, 20.0, lr=1.0, num_steps=40)
ls = gd_line_search(f_huber, f_huber_grad, 20.0, num_steps=40, lr0=64.0, c=0.3)
ls_loose = gd_line_search(f_huber, f_huber_grad, 20.0, num_steps=40, lr0=64.0, c=1e-4)
for name, t in [("固定 lr=1", fixed), ("线搜索 c=0.3", ls), ("线搜索 c=1e-4", ls_loose)]:
    k = next((k for k, x in enumerate(t) if abs(x) < 1e-3), None)
    reached = f"第 {k:2d} 步达到 |x| < 1e-3" if k is not None else "40 步内未达到 |x| < 1e-3"
    print(f"{name:13s}: {reached}；前 6 个迭代点", [round(float(x), 3) for x in t[:6]])
print("c=0.3 时前 4 步选出的步长：", ls.lrs[:4], "| c=1e-4 时前 6 步：", ls_loose.lrs[:6])

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
show_trace(f_huber, fixed[:8], ax=axes[0], xlim=(-21, 21), title="固定 η = 1，前 8 步",
           legend=True)
show_trace(f_huber, ls[:8], ax=axes[1], xlim=(-21, 21), title="线搜索 c = 0.3，前 8 步")
show_trace(f_huber, ls_loose[:8], ax=axes[2], xlim=(-21, 21), title="线搜索 c = 1e-4，前 8 步")
fig.tight_layout()

# %% [markdown]
# 固定学习率用了 22 步才使 $|x| < 10^{-3}$，$c = 0.3$ 的线搜索只用了 4 步（步长依次选了 16、4、1、1）。$c = 10^{-4}$ 的版本则暴露了一个细节：Armijo 条件只要求函数值下降 $c\,\eta\,\|\mathbf{g}\|^2$，$c$ 太小时几乎“只要下降就行”。到了 0 附近，$f(x) \approx 1 + x^2/2$，步长 $\eta = 2$ 恰好把 $x$ 变成约 $-x$，函数值只降了一丁点却仍被接受，于是迭代在 $\pm 0.09$ 附近来回跳，40 步也没能使 $|x| < 10^{-3}$。（最右图只看得出它头几步就大幅越过最小值；此后的小幅振荡在这个比例尺下看不清，要看上面打印的迭代点。）实践中的线搜索因此常改用强 Wolfe 条件（strong Wolfe conditions）：除了充分下降，还要求新点处梯度的绝对值明显变小，这样的来回跳就会被拒绝。
#
# 线搜索的代价是每次尝试步长都要多算一次函数值。在全批量（full batch）时这可以接受；但小批量上算出的函数值本身带噪声，所以线搜索在深度学习中很少直接使用——这也是深度学习更依赖学习率调度（第1章）的原因之一。

# %% [markdown]
# ## 常见误区
#
# 每条误区后面都有一个单元格，用本章的例子演示或反驳它。

# %% [markdown]
# **误区 1：训练损失最低，模型就最好。** 优化只看经验风险；泛化要看验证集（4.1 节）。在 4.1 节的例子里，把经验风险降到最低的点，期望风险反而比期望风险的最小值点高：

# %%
# 误区 1
# NBVAL_CHECK_OUTPUT
x = np.arange(0.5, 1.5, 0.01)
x_emp, x_true = x[empirical_risk(x).argmin()], x[risk(x).argmin()]
print(f"经验风险的最小值点 x = {x_emp:.2f}：期望风险 R = {risk(x_emp):.4f}")
print(f"期望风险的最小值点 x = {x_true:.2f}：期望风险 R = {risk(x_true):.4f}")

# %% [markdown]
# **误区 2：梯度为零就是找到了最小值。** 也可能是鞍点或最大值；高维时鞍点远比局部最小值多。牛顿法甚至会被吸引到最大值（4.6 节）。下面三个点的梯度（导数）都是 0，只有二阶信息能把它们区分开：

# %%
# 误区 2
# NBVAL_CHECK_OUTPUT
x_newton = newton(f_nc_grad, f_nc_hess, 10.0, num_steps=10)[-1]
print(f"x^2 - y^2 在 (0, 0)：梯度 (0, 0)，黑塞矩阵的特征值 {np.linalg.eigvalsh(H_saddle)} → 鞍点")
print("x^3 在 0：f'(0) = 0，f''(0) = 0 → 二阶信息不足，实为拐点")
print(f"牛顿法在 x cos(cx) 上的终点 x = {x_newton:.4f}：f'(x) = {f_nc_grad(x_newton):+.1e}，"
      f"f''(x) = {f_nc_hess(x_newton):+.3f} → 局部最大值")

# %% [markdown]
# **误区 3：学习率越大收敛越快。** 在二次函数 $\frac{L}{2}x^2$ 上，这只在 $\eta \le 1/L$ 时成立；$1/L < \eta < 2/L$ 时迭代来回越过最小值，反而变慢，$\eta \ge 2/L$ 则不再收敛。在非凸问题上，大学习率还可能跳进差的局部最小值（4.4 节）。在 $x^2$（$L = 2$）上数一数从 $x_0 = 10$ 到 $|x| < 10^{-3}$ 要多少步：

# %%
# 误区 3
# NBVAL_CHECK_OUTPUT
for lr in (0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0):
    t = gd(f_grad, 10.0, lr=lr, num_steps=2000)
    k = next((k for k, x in enumerate(t) if abs(x) < 1e-3), None)
    print(f"η = {lr:<4}：每步乘以 {1 - 2 * lr:+.2f}，" +
          (f"{k} 步到达 |x| < 1e-3" if k is not None else "2000 步内到不了（|x| 始终是 10）"))

# %% [markdown]
# **误区 4：发散了就是代码有 bug。** 常常只是学习率太大或曲率太大：同一段代码、同一个函数，只把学习率除以 10，发散就变成了收敛。`gd` 会报告 `diverged=True`，训练函数 `fit` 在损失变成 NaN 或爆炸式增长时也会给出同样的提示——先试着把学习率除以 10：

# %%
# 误区 4
# NBVAL_CHECK_OUTPUT
for lr in (1.1, 0.11):
    t = gd(f_grad, 10.0, lr=lr, num_steps=200, warn=False)
    print(f"η = {lr}: diverged = {t.diverged}，走了 {t.num_steps} 步，最后的 |x| = {abs(t[-1]):.3g}")

# %% [markdown]
# **误区 5：牛顿法总是更好。** 它需要黑塞矩阵正定，离最小值远时可能很慢甚至走错方向；高维时每步的代价为 $O(d^3)$。在 4.4 节的非凸函数上，从同一个起点出发，普通梯度下降停在局部最小值，牛顿法却走到了局部最大值：

# %%
# 误区 5
# NBVAL_CHECK_OUTPUT
for name, t in (("梯度下降 η = 0.2", gd(f_nc_grad, 10.0, lr=0.2, num_steps=10)),
                ("牛顿法 η = 1", newton(f_nc_grad, f_nc_hess, 10.0, num_steps=10))):
    x = t[-1]
    kind = "局部最小值" if f_nc_hess(x) > 0 else "局部最大值"
    print(f"{name:>12}: 10 步后 x = {x:.3f}，f(x) = {f_nc(x):+.3f} → {kind}")
d = 10 ** 6                                        # parameters of a small network
print(f"d = 10^6 个参数：黑塞矩阵有 {d ** 2:.0e} 个元素，以 float32 存储要 {d ** 2 * 4 / 2 ** 40:.1f} TiB")

# %% [markdown]
# **误区 6：按值裁剪（`clip_grad_value_`）和按范数裁剪一样，只缩短梯度、不改变方向。** 按范数裁剪（`clip_grad_norm_`）是投影到球上（4.3 节），方向不变，只缩短长度；按值裁剪则把每个分量分别截断到 $[-\theta, \theta]$，大分量被截得多、小分量不动，方向一般会因此改变。下面比较两种裁剪后的梯度与原梯度的夹角（$\theta = 1$）：

# %%
# 误区 6
# NBVAL_CHECK_OUTPUT
def angle_deg(a, b):
    cos = float(a @ b / (a.norm() * b.norm()))
    return math.degrees(math.acos(min(1.0, max(-1.0, cos))))


for g in (torch.tensor([3.0, 4.0]), torch.tensor([0.3, 4.0])):
    p_norm, p_value = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    p_norm.grad, p_value.grad = g.clone(), g.clone()
    torch.nn.utils.clip_grad_norm_([p_norm], max_norm=1.0)
    torch.nn.utils.clip_grad_value_([p_value], clip_value=1.0)
    print(f"g = {g.numpy()}: clip_grad_norm_ → {p_norm.grad.numpy().round(4)}"
          f"（夹角 {angle_deg(g, p_norm.grad):.1f}°）；clip_grad_value_ → {p_value.grad.numpy().round(4)}"
          f"（夹角 {angle_deg(g, p_value.grad):.1f}°）")

# %% [markdown]
# ## 小结
#
# - 优化最小化经验风险，深度学习关心的是期望风险；两者的最小值点一般不同。
# - 非凸优化的挑战：局部最小值、鞍点（黑塞矩阵的特征值有正有负）、梯度消失。
# - 凸函数的局部最小值就是全局最小值，下水平集是凸集，二阶条件是 $f'' \ge 0$ / $\mathbf{H} \succeq 0$；詹森不等式 $\mathbb{E}[f(X)] \ge f(\mathbb{E}[X])$。
# - 约束可以用拉格朗日函数、罚项（权重衰减）或投影（按范数的梯度裁剪）处理。
# - 梯度下降来自一阶泰勒展开；在 $x^2$ 上学习率 0.05 太慢、0.2 合适、1.1 发散；在二次函数上需要 $\eta < 2/L$。
# - 牛顿法用二阶信息，在最小值附近二次收敛，但非凸时可能走向最大值，阻尼步可以缓解。
# - 预条件给每个坐标不同的学习率，对付病态条件；线搜索自动选择步长。

# %% [markdown]
# ## 练习
#
# 先自己算，再展开“提示与答案”核对；数值答案由紧随其后的单元格算出。

# %% [markdown]
# **练习 1** 在 $f(x) = x^2$ 上从 $x_0 = 10$ 出发，学习率 $\eta = 0.2$，至少需要多少步才能使 $|x| < 10^{-3}$？$\eta = 0.05$ 呢？先用闭式解 $|x_k| = 10\,|1-2\eta|^k$ 手算，再用 `gd` 验证。
#
# <details><summary>提示与答案</summary>
#
# 提示：解不等式 $10\,|1-2\eta|^k < 10^{-3}$，即 $k > \ln(10^{-4})/\ln|1-2\eta|$。
#
# 答案：$\eta = 0.2$ 时每步乘以 0.6，需要 $\lceil \ln 10^{-4} / \ln 0.6\rceil = 19$ 步；$\eta = 0.05$ 时每步乘以 0.9，需要 88 步。`gd` 给出同样的步数（下面的单元格）。
#
# </details>

# %%
# 练习 1
# NBVAL_CHECK_OUTPUT
def steps_to_reach(lr, tol=1e-3, x0=10.0):
    t = gd(f_grad, x0, lr=lr, num_steps=1000)
    return next(k for k, x in enumerate(t) if abs(x) < tol)


for lr in (0.2, 0.05):
    closed = math.ceil(math.log(1e-4) / math.log(abs(1 - 2 * lr)))
    print(f"η = {lr}: gd 用了 {steps_to_reach(lr)} 步；闭式解 ceil(ln 1e-4 / ln {1 - 2 * lr:.1f}) = {closed}")

# %% [markdown]
# **练习 2** 对 $f(\mathbf{x}) = x_1^2 + 2x_2^2$，学习率小于多少时梯度下降收敛？使较慢的那个方向收敛得最快的学习率 $\eta^*$ 是多少？此时每步误差缩小到原来的几分之几？
#
# <details><summary>提示与答案</summary>
#
# 提示：两个方向每步分别乘以 $1 - 2\eta$ 和 $1 - 4\eta$；收敛要求两个因子的绝对值都小于 1，速度由较大的那个决定。
#
# 答案：需要 $\eta < 2/4 = 0.5$。$\max(|1-2\eta|, |1-4\eta|)$ 在 $1 - 2\eta = -(1 - 4\eta)$ 即 $\eta^* = 1/3$ 时最小，此时两个方向每步都乘以 $\pm 1/3$，误差每步缩小到原来的三分之一。一般地，$\eta^* = 2/(\lambda_{\min} + \lambda_{\max})$，收敛因子为 $(\kappa - 1)/(\kappa + 1)$，$\kappa = \lambda_{\max}/\lambda_{\min} = 2$。
#
# </details>

# %%
# 练习 2
# NBVAL_CHECK_OUTPUT
etas = np.linspace(0.01, 0.5, 4901)  # grid step 1e-4
rates = np.maximum(abs(1 - 2 * etas), abs(1 - 4 * etas))  # slower of the two directions
print(f"网格搜索：η* ≈ {etas[rates.argmin()]:.4f}，每步乘以 {rates.min():.4f}；"
      f"公式 2/(2+4) = {2 / 6:.4f}，(κ-1)/(κ+1) = {1 / 3:.4f}")

# %% [markdown]
# **练习 3** 设 $X$ 在 $\{0, 1, 2\}$ 上均匀分布，$f(x) = x^2$。计算 $\mathbb{E}[f(X)] - f(\mathbb{E}[X])$，并说明它为什么等于方差。
#
# <details><summary>提示与答案</summary>
#
# 提示：$\mathbb{E}[X^2] = (0 + 1 + 4)/3$，$\mathbb{E}[X] = 1$。
#
# 答案：$\mathbb{E}[X^2] - (\mathbb{E}[X])^2 = 5/3 - 1 = 2/3 \approx 0.6667$。这正是方差的定义 $\operatorname{Var}(X) = \mathbb{E}[(X - \mathbb{E}X)^2] = \mathbb{E}[X^2] - (\mathbb{E}X)^2$ 展开后的形式；它非负，正是詹森不等式对 $f(x) = x^2$ 的特例。
#
# </details>

# %%
# 练习 3
# NBVAL_CHECK_OUTPUT
Xs = np.array([0.0, 1.0, 2.0])
print(f"E[X^2] - (E[X])^2 = {np.mean(Xs ** 2) - np.mean(Xs) ** 2:.4f}，Var(X) = {Xs.var():.4f}")

# %% [markdown]
# **练习 4** 梯度 $\mathbf{g} = (3, 4)$ 按范数裁剪到 $\theta = 1$ 后是多少？$\mathbf{g} = (0.3, 0.4)$ 呢？
#
# <details><summary>提示与答案</summary>
#
# 提示：$\|(3, 4)\| = 5$，$\|(0.3, 0.4)\| = 0.5$；裁剪因子是 $\min(1, \theta/\|\mathbf{g}\|)$。
#
# 答案：$(3, 4)$ 乘以 $1/5$ 得 $(0.6, 0.8)$，方向不变、长度变为 1；$(0.3, 0.4)$ 已在球内，保持不变。
#
# </details>

# %%
# 练习 4
# NBVAL_CHECK_OUTPUT
for g in ([3.0, 4.0], [0.3, 0.4]):
    print(f"g = {g} → {project_to_ball(torch.tensor(g), 1.0).numpy().round(4)}")

# %% [markdown]
# **练习 5** 求 $\min_w (w-3)^2 + \frac{\lambda}{2} w^2$ 在 $\lambda = 1$ 时的解，并解释权重衰减为什么把解“拉向 0”。
#
# <details><summary>提示与答案</summary>
#
# 提示：目标是凸的二次函数，令导数 $2(w - 3) + \lambda w = 0$。
#
# 答案：$w^* = 6/(2 + \lambda)$，$\lambda = 1$ 时 $w^* = 2$（没有罚项时是 3）。罚项的梯度 $\lambda w$ 总指向远离 0 的方向，梯度下降沿它的反方向走，于是每一步都把 $w$ 往 0 拉；$\lambda$ 越大，解越靠近 0。
#
# </details>

# %%
# 练习 5
# NBVAL_CHECK_OUTPUT
lam = 1.0
w_closed = 6 / (2 + lam)
w_gd = gd(lambda w: 2 * (w - 3) + lam * w, 0.0, lr=0.1, num_steps=200)[-1]
print(f"闭式解 w* = 6/(2+λ) = {w_closed:.4f}；梯度下降 200 步后 w = {w_gd:.4f}")

# %% [markdown]
# **练习 6** 用牛顿法求 $\sqrt{2}$：对 $f(x) = \frac{x^3}{3} - 2x$（$x > 0$ 时凸），从 $x_0 = 1$ 出发，几步之后误差小于 $10^{-10}$？打印每步误差，观察有效数字翻倍。
#
# <details><summary>提示与答案</summary>
#
# 提示：$f'(x) = x^2 - 2$，$f''(x) = 2x$，牛顿步 $x \leftarrow x - (x^2 - 2)/(2x) = (x + 2/x)/2$，正是古老的巴比伦开方法。
#
# 答案：从起点（第 0 步）开始，误差依次约为 $4.1\times10^{-1}, 8.6\times10^{-2}, 2.5\times10^{-3}, 2.1\times10^{-6}, 1.6\times10^{-12}$，第 4 步就小于 $10^{-10}$；误差的指数每步大致翻倍，这就是二次收敛。再往后误差已到双精度浮点数的舍入误差（$10^{-16}$）量级，不再减小。
#
# </details>

# %%
# 练习 6
# NBVAL_CHECK_OUTPUT
t = newton(lambda x: x ** 2 - 2, lambda x: 2 * x, 1.0, num_steps=6)
errs = [abs(x - math.sqrt(2)) for x in t]
print("误差:", " ".join(f"{e:.1e}" for e in errs), "→ 第",
      next(k for k, e in enumerate(errs) if e < 1e-10), "步小于 1e-10")

# %% [markdown]
# ## 参考文献
#
# 1. Zhang, A., Lipton, Z. C., Li, M., & Smola, A. J. *Dive into Deep Learning*, 第 12.1–12.3 节（优化与深度学习、凸性、梯度下降；中文版《动手学深度学习》第 11.1–11.3 节）. https://d2l.ai
# 2. Boyd, S., & Vandenberghe, L. (2004). *Convex Optimization*. Cambridge University Press.（凸集、凸函数、拉格朗日对偶）
# 3. Nocedal, J., & Wright, S. J. (2006). *Numerical Optimization* (2nd ed.). Springer.（牛顿法、线搜索、收敛速度）
# 4. Nesterov, Y. (2018). *Lectures on Convex Optimization* (2nd ed.). Springer.
# 5. Armijo, L. (1966). Minimization of functions having Lipschitz continuous first partial derivatives. *Pacific Journal of Mathematics*, 16(1), 1–3.
# 6. Dauphin, Y. N., et al. (2014). Identifying and attacking the saddle point problem in high-dimensional non-convex optimization. *NeurIPS*.
# 7. Pascanu, R., Mikolov, T., & Bengio, Y. (2013). On the difficulty of training recurrent neural networks. *ICML*.（梯度裁剪）
