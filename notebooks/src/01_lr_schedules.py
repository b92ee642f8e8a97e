# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 第1章 学习率衰减与调度
#
# [![在 Colab 中打开](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/dl-optim-course/course/blob/main/notebooks/01_lr_schedules.ipynb)
#
# 学习率（learning rate，LR）往往是训练神经网络时最重要的一个超参数。本章回答三个问题：学习率为什么要随训练
# 逐渐减小？该怎样减小？一开始又该选多大？
#
# **学习目标**
#
# - 解释固定学习率在小批量噪声下为什么只能在最优点附近振荡，而过大的学习率为什么会发散；
# - 会在 ×3 网格上手动选学习率，写出经典的学习率衰减（learning-rate decay）公式，并用两种方式在 PyTorch 中修改学习率；
# - 认识 `torch.optim.lr_scheduler` 中的每个学习率调度器（learning-rate scheduler），能读懂并画出它们的曲线；
# - 实现“线性预热（warmup）+ 保持阶段（hold phase）+ 余弦退火（cosine annealing）”调度，并按批次（per batch）在 PyTorch 中使用；
# - 用学习率范围测试（LR range test）选学习率；理解循环学习率、热重启与单周期策略；
# - 区分 L2 正则与解耦权重衰减（decoupled weight decay）：Adam + L2 与 AdamW、带动量 SGD 的 `weight_decay` 与 SGDW；
# - 在 Fashion-MNIST 上比较四种调度，并避开常见误区。
#
# **先修**：小批量随机梯度下降（SGD）与动量、PyTorch 的 `nn.Module` 与 `torch.optim` 基本用法、
# 第0章的环境配置。

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

import numpy as np
import torch
from torch import nn
from torch.optim import lr_scheduler as S

from course_utils import data, plotting, range_test, schedules
from course_utils.demos import ch1_lr_schedules as demos
from course_utils.models import small_bn_cnn
from course_utils.tables import table
from course_utils.train import fit

# %% [markdown]
# ## 1.1 为什么学习率要衰减
#
# 小批量随机梯度下降的更新是 $\mathbf{w}_{t+1} = \mathbf{w}_t - \eta_t\, \mathbf{g}_t$，其中
# $\mathbf{g}_t$ 是一个小批量上的梯度，它是全量梯度 $\nabla f(\mathbf{w}_t)$ 的**有噪声**的估计：
# $\mathbf{g}_t = \nabla f(\mathbf{w}_t) + \boldsymbol{\xi}_t$。即使走到了最优点 $\mathbf{w}^*$，
# $\nabla f(\mathbf{w}^*) = 0$，噪声 $\boldsymbol{\xi}_t$ 仍然不为零，每一步仍会被推开
# $\eta\,\boldsymbol{\xi}_t$ 的距离。所以**固定学习率**的 SGD 最终只会在最优点附近的一个“噪声球”里振荡：
# 对二次目标可以算出，到最优点的均方距离 $\mathbb{E}\|\mathbf{w}_t-\mathbf{w}^*\|^2$ 大致与 $\eta$ 成正比。
# 想要真正收敛，就要让 $\eta_t \to 0$，但又不能降得太快：经典的 Robbins–Monro 条件是
# $\sum_t \eta_t = \infty$（总步长无限，保证还能走得足够远）且 $\sum_t \eta_t^2 < \infty$（噪声的累积有限）。
# 另一方面，学习率太大时每一步都“跨过”谷底并越跳越高，损失变成 inf 或 NaN——这叫**发散**。
#
# 下面在一个二维线性回归问题（1000 个样本，批量大小 10）上用小批量 SGD 演示三种情况。纵轴是到最小二乘解
# $\hat{\mathbf{w}}$ 的距离（对数坐标）。单次运行的曲线噪声很大，所以同时做 20 次独立运行（各自抽取不同的小批量），
# 粗线画的是 20 次运行的均方根（RMS）距离，细线是其中一次运行。

# %%
# NBVAL_CHECK_OUTPUT
X, y = (v.double() for v in data.synthetic_linear([2.0, -3.4], 0.0, 1000, noise=0.5, seed=0))
w_hat = torch.linalg.lstsq(X, y.unsqueeze(1)).solution.squeeze(1)   # the least-squares solution


def sgd_linear_regression(lr_at, num_steps=1000, batch_size=10, num_runs=20):
    """num_runs independent minibatch-SGD runs on (X, y), vectorised over the runs.

    Returns the distances ||w_t - w_hat|| as an array of shape (num_steps, num_runs)."""
    g = torch.Generator().manual_seed(0)   # the same minibatches for every learning rate
    w = torch.zeros(num_runs, 2, dtype=torch.float64)
    dist = []
    for t in range(num_steps):
        idx = torch.randint(0, len(y), (num_runs, batch_size), generator=g)
        Xb, yb = X[idx], y[idx]                                  # (runs, batch, 2), (runs, batch)
        residual = torch.einsum("rbi,ri->rb", Xb, w) - yb
        grad = 2 * torch.einsum("rbi,rb->ri", Xb, residual) / batch_size
        w = w - lr_at(t) * grad
        dist.append(torch.linalg.norm(w - w_hat, dim=1).numpy())
    return np.array(dist)


runs = {
    "固定 η=0.1": sgd_linear_regression(lambda t: 0.1),
    "衰减 η=0.1/(1+0.05t)": sgd_linear_regression(
        lambda t: schedules.inverse_time(t, base_lr=0.1, decay_rate=0.05)),
    "固定 η=1.1（太大）": sgd_linear_regression(lambda t: 1.1, num_steps=40),
}
rms = {name: np.sqrt((d ** 2).mean(axis=1)) for name, d in runs.items()}
table([{"name": name, "t40": r[39], "steps": len(r), "last": r[-1]} for name, r in rms.items()],
      [("name", "学习率"), ("t40", "第 40 步的 RMS 距离", ".3g"), ("steps", "总步数"),
       ("last", "最后一步的 RMS 距离", ".3g")])

# %%
ax = plotting.plot([np.arange(1, len(r) + 1) for r in rms.values()], list(rms.values()),
                   xlabel="迭代步 t", ylabel=r"$\|\mathbf{w}_t-\hat{\mathbf{w}}\|$（对数坐标）",
                   legend=[f"{name}（RMS）" for name in rms], yscale="log", ylim=(1e-3, 1e3),
                   figsize=(6.0, 3.4), title="固定学习率振荡、衰减学习率收敛、过大学习率发散")
ax.plot(np.arange(1, 1001), runs["固定 η=0.1"][:, 0], color="C0", lw=0.5, alpha=0.5,
        label="固定 η=0.1（单次运行）")
ax.legend(fontsize=9);

# %% [markdown]
# 固定 $\eta=0.1$ 的 RMS 距离几十步内就降到约 0.08（第 40 步为 0.0776），之后基本不再下降：到第 1000 步仍是
# 0.0542，细线（单次运行）则大致在 $10^{-2}$ 与 $10^{-1}$ 之间不停地上下跳动——这就是噪声球。按
# $\eta_t = 0.1/(1+0.05t)$ 衰减的曲线一开始与它相差不大（第 40 步为 0.0614），之后却持续下降，第 1000 步降到 0.00871，
# 约为固定学习率的 1/6。这与“噪声球半径 $\propto\sqrt{\eta}$”的估计相符：第 1000 步时 $\eta_t\approx 0.1/51$，
# $\sqrt{51}\approx 7$。$\eta=1.1$ 则每一步都把误差放大，40 步后 RMS 距离已达 $3.66\times10^{6}$（图中纵轴截断在 $10^3$）。
# （对这个问题，损失 $\|\mathbf{X}\mathbf{w}-\mathbf{y}\|^2/n$ 的梯度是
# $2\mathbf{X}^\top(\mathbf{X}\mathbf{w}-\mathbf{y})/n$，黑塞矩阵（Hessian）$2\mathbf{X}^\top\mathbf{X}/n$
# 的特征值都接近 2（$\mathbf{X}$ 的元素是标准正态的）；全量梯度下降在二次函数上稳定的条件是 $\eta < 2/\lambda_{\max}$，
# 所以学习率超过约 $2/2=1$ 就会发散。小批量梯度的噪声还会让实际能用的上限更低一些。）

# %% [markdown]
# ## 1.2 手动选学习率：×3 网格
#
# 最朴素的办法是在对数尺度上**每隔约 3 倍**试一个值：…, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, …
# （相邻两格交替相差 3 倍和 3.33 倍，每个数量级两格，平均每格 $\sqrt{10}\approx 3.16$ 倍）。每个值只训练很短的时间，比较损失。
# 规则很简单：
#
# - 损失下降得很慢 → 学习率太小，往**上**走一格；
# - 损失不降反升、剧烈振荡或变成 NaN → 学习率太大，往**下**走一格；
# - 最好的值通常在“还能稳定下降”的最大学习率附近，之后再在它两侧细调。
#
# 下面在 Fashion-MNIST 的一个子集上用一个两层感知机（带动量 0.9 的 SGD）各训练 2 轮。

# %%
grid_subset = env.pick(smoke=2000, cpu=10000, full=20000)
grid_iter, grid_test = data.load_fashion_mnist(128, subset=grid_subset)
grid = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
grid_loss, grid_rows = [], []
for lr in grid:
    env.set_seed(0)
    grid_iter.generator.manual_seed(0)   # the same minibatch order for every learning rate
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    h = fit(mlp, grid_iter, grid_test, num_epochs=2, progress=False,
            optimizer=torch.optim.SGD(mlp.parameters(), lr=lr, momentum=0.9))
    grid_loss.append(h.train_loss[-1] if h.train_loss else float("nan"))
    grid_rows.append({"lr": lr, "loss": grid_loss[-1], "acc": h.test_acc[-1] if h.test_acc else None})
table(grid_rows, [("lr", "学习率", "g"), ("loss", "第 2 轮训练损失", ".3f"), ("acc", "测试准确率", ".3f")])

# %%
plotting.plot(grid, grid_loss, xlabel="学习率（对数坐标）", ylabel="第 2 轮训练损失",
              xscale="log", fmts=("o-",), title="×3 网格：损失随学习率先降后升");

# %% [markdown]
# 损失随学习率先降后升：最左边两格（0.001、0.003）太小，2 轮后训练损失仍在 1.1 以上；
# 最右边的 1 和 3 太大，训练损失（2.274、2.362）停在随机猜测的水平附近（10 类时为 $\ln 10\approx 2.30$），
# 测试准确率只有约 10%（0.121、0.087）。遇到这种情况就沿网格往**下**走：0.3 已经能训练（损失 0.849），
# 再往下一格 0.1 的训练损失最低（0.553），而测试准确率最高的是 0.03（0.797，与 0.1 的 0.792 相差无几）。
# 一个好用的经验是：选“损失最低的那一格”或它左边一格（更稳），然后再配合下面的衰减策略。

# %% [markdown]
# ## 1.3 经典的衰减公式
#
# 设 $\alpha_0$ 为初始学习率，$e$ 为轮数（epoch），$t$ 为小批量（minibatch）序号：
#
# | 名称 | 公式 | `course_utils.schedules` |
# |---|---|---|
# | 反时间衰减（inverse-time decay） | $\alpha = \dfrac{\alpha_0}{1 + k\, e}$ | `inverse_time` |
# | 指数衰减（exponential decay） | $\alpha = 0.95^{e}\,\alpha_0$ | `exponential` |
# | 平方根衰减（inverse square-root decay） | $\alpha = \dfrac{k}{\sqrt{e}}\,\alpha_0$ 或 $\dfrac{k}{\sqrt{t}}\,\alpha_0$ | `inverse_sqrt` |
# | 阶梯衰减（step decay / staircase） | $\alpha = \gamma^{\lfloor e/s \rfloor}\,\alpha_0$ | `step_decay` |
#
# 平方根衰减既可以按轮计数（$e$），也可以按小批量计数（$t$，每个批次都变一点）；它在 0 处没有定义，
# 所以 `inverse_sqrt` 用从 1 开始的计数 $e+1$（或 $t+1$）。表中的 $k$、$0.95$、$\gamma$、$s$ 都是要调的超参数。
# 这些函数都是**纯函数**：输入步数（整数或 NumPy 数组），输出学习率，没有任何状态，便于画图和测试。
# 下面按分数轮（每轮 10 个点）计算，这样图中阶梯衰减的跳变是竖直的；打印的是整数轮处的值。

# %%
# NBVAL_CHECK_OUTPUT
epochs = np.arange(491) / 10   # 0, 0.1, ..., 49: fractional epochs, 10 points per epoch
classic = {
    r"反时间 $\alpha_0/(1+0.1e)$": schedules.inverse_time(epochs, base_lr=0.1, decay_rate=0.1),
    r"指数 $0.95^e\alpha_0$": schedules.exponential(epochs, base_lr=0.1, gamma=0.95),
    r"平方根 $\alpha_0/\sqrt{e+1}$": schedules.inverse_sqrt(epochs, base_lr=0.1),
    r"阶梯 $0.5^{\lfloor e/10\rfloor}\alpha_0$": schedules.step_decay(epochs, base_lr=0.1,
                                                                     step_size=10, gamma=0.5),
}
table([[name.split()[0]] + [v[10 * e] for e in (0, 10, 20, 49)] for name, v in classic.items()],
      [(0, "衰减")] + [(i + 1, f"第 {e} 轮", ".4f") for i, e in enumerate((0, 10, 20, 49))])

# %%
schedules.plot_lr_curves(classic, x=epochs, xlabel="轮",
                         title=r"经典衰减公式（$\alpha_0 = 0.1$）");

# %% [markdown]
# 从上面的输出和图中可以看到：平方根衰减一开始降得最快（第 10 轮已降到 0.0302），后面却降得最慢：从第 20 轮到第 49 轮
# 只从 0.0218 降到 0.0141，同一时段反时间衰减从 0.0333 降到 0.0169。按 $1/\sqrt{e}$ 与 $1/e$ 的速度，两条曲线在
# 第 80 轮相交（$\sqrt{e+1} = 1 + 0.1e$），之后平方根衰减的学习率反而更大。
# 指数衰减正好相反，起初在三条光滑曲线中降得最慢，到第 49 轮却降到 0.0081。阶梯衰减只在整十轮处突变，每次减半。

# %% [markdown]
# ## 1.4 在 PyTorch 中修改学习率的两种方式
#
# 优化器把超参数保存在 `optimizer.param_groups` 这个列表里，每个参数组（parameter group）是一个字典，
# `'lr'` 就是它的学习率。因此第一种方式是**直接改字典**；第二种方式是使用
# `torch.optim.lr_scheduler` 中的调度器，它替我们按公式修改同一个字典。下面先手动实现
# “每 5 轮乘以 0.9”的阶梯衰减。

# %%
# NBVAL_CHECK_OUTPUT
param = nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([param], lr=0.1)
manual = []
for epoch in range(20):
    if epoch > 0 and epoch % 5 == 0:          # 方式一：直接修改 param_groups
        for group in opt.param_groups:
            group["lr"] *= 0.9
    manual.append(opt.param_groups[0]["lr"])
    # ……这里是一轮训练：opt.zero_grad(); loss.backward(); opt.step() ……

opt = torch.optim.SGD([param], lr=0.1)
sched = S.StepLR(opt, step_size=5, gamma=0.9)  # 方式二：调度器
auto = []
for epoch in range(20):
    auto.append(opt.param_groups[0]["lr"])
    opt.step()                                 # 先 optimizer.step()
    sched.step()                               # 再 scheduler.step()
print("手动:", [round(v, 4) for v in manual[::5]])
print("StepLR:", [round(v, 4) for v in auto[::5]])
print("两者一致:", np.allclose(manual, auto))

# %% [markdown]
# 两种方式结果相同。调度器的好处是公式集中在一处、可以保存和恢复（`state_dict()`），并且 PyTorch
# 提供了大量现成的策略。

# %% [markdown]
# ## 1.5 PyTorch 的学习率调度器一览
#
# 下面每条曲线都来自**真实的优化器**：`schedules.record_lrs(make_scheduler, num_steps)` 在一个哑参数上
# 建一个 `SGD(lr=0.1, momentum=0.9)`，每一步记录当前学习率，再按正确的顺序调用
# `optimizer.step()` 和 `scheduler.step()`。

# %%
print(inspect.getsource(schedules.record_lrs))

# %% [markdown]
# | 调度器 | 规则（$\eta_0$ 为优化器的初始学习率，$t$ 为调用 `step()` 的次数） |
# |---|---|
# | `LambdaLR(opt, f)` | $\eta_t = \eta_0\, f(t)$，$f$ 可以是任何函数（下图用“线性预热 + $1/\sqrt{t}$ 衰减”） |
# | `StepLR(opt, step_size, gamma)` | 每 `step_size` 步乘一次 `gamma` |
# | `MultiStepLR(opt, milestones, gamma)` | 每到一个里程碑（milestone）乘一次 `gamma` |
# | `ExponentialLR(opt, gamma)` | 每步乘 `gamma` |
# | `CosineAnnealingLR(opt, T_max, eta_min)` | 从 $\eta_0$ 沿余弦降到 `eta_min`，`T_max` 是**半个**余弦周期 |
# | `ReduceLROnPlateau(opt, ...)` | 监控一个指标，停滞时把学习率乘以 `factor`（见下） |
# | `CyclicLR(opt, base_lr, max_lr, step_size_up)` | 在 `base_lr` 和 `max_lr` 之间三角形往返（循环学习率） |
# | `OneCycleLR(opt, max_lr, total_steps)` | 从 `max_lr/25` 升到 `max_lr`，再降到远小于起点的值（单周期策略）；默认还让动量在 0.95 与 0.85 之间反向变化 |
# | `CosineAnnealingWarmRestarts(opt, T_0, T_mult)` | 余弦退火 + 周期性重启（SGDR） |

# %%
# NBVAL_CHECK_OUTPUT
N = 100
plateau_metric = np.r_[np.linspace(1.0, 0.5, 30), np.full(70, 0.5)]  # 下降 30 步后停滞
makers = {
    "LambdaLR(预热10步+1/√t)": lambda o: S.LambdaLR(o, lambda t: min((t + 1) / 10,
                                                                  math.sqrt(10 / (t + 1)))),
    "StepLR(30, 0.5)": lambda o: S.StepLR(o, step_size=30, gamma=0.5),
    "MultiStepLR([30,80], 0.1)": lambda o: S.MultiStepLR(o, milestones=[30, 80], gamma=0.1),
    "ExponentialLR(0.97)": lambda o: S.ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR(T_max=50)": lambda o: S.CosineAnnealingLR(o, T_max=50),
    "ReduceLROnPlateau": lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=10),
    "CyclicLR(0.01→0.1, 10)": lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10),
    "OneCycleLR(max_lr=0.1)": lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=N),
    "WarmRestarts(T_0=10, T_mult=2)": lambda o: S.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2),
}
# metrics is used only by ReduceLROnPlateau (it receives plateau_metric[i] at step i)
curves = {name: schedules.record_lrs(make, N, metrics=plateau_metric) for name, make in makers.items()}
table([[name] + [lrs[t] for t in (0, 10, 30, 50, 99)] for name, lrs in curves.items()],
      [(0, "调度器")] + [(i + 1, f"t={t}", ".4f") for i, t in enumerate((0, 10, 30, 50, 99))])

# %%
demos.plot_scheduler_grid(curves, title="九种调度器的学习率曲线（优化器的初始学习率均为 0.1）");

# %% [markdown]
# 几点值得注意（数值见上面的输出）：
#
# - `CosineAnnealingLR(T_max=50)` 在第 50 步降到 0，之后又**升回去**（第 99 步回到 0.0999）：`T_max` 只是半个余弦周期，
#   训练步数超过 `T_max` 时它会周期性地重复。通常令 `T_max` 等于总步数，刚好走完半个周期。
# - `ReduceLROnPlateau` 收到的指标在第 29 步降到 0.5 后不再变化；默认 `patience=10`，连续 11 次没有改善之后
#   学习率才减半（第 50 步时为 0.05），此后每再停滞 11 次就再减半一次。
# - `CyclicLR` 和 `OneCycleLR` 不使用优化器的初始学习率 0.1：前者从 `base_lr=0.01` 开始，后者从
#   `max_lr/div_factor = 0.1/25 = 0.004` 开始（默认 `div_factor=25`）。两者默认还会与学习率反向地调节动量
#   （`CyclicLR` 在 0.8～0.9 之间，`OneCycleLR` 在 0.85～0.95 之间，见 1.9 节）。
# - `LambdaLR` 的曲线与 Transformer 论文的学习率公式同形：前 10 步线性升到 0.1，之后按 $1/\sqrt{t}$ 下降。
# - `CosineAnnealingWarmRestarts(T_0=10, T_mult=2)` 在第 10、30、70 步重启，周期长度依次为 10、20、40。
#
# ### `ReduceLROnPlateau` 的每个参数
#
# `ReduceLROnPlateau` 不看步数，而是看一个被监控的指标（例如验证损失），停滞（plateau）时才降低学习率。所以调用时
# **必须**传入指标：`scheduler.step(val_loss)`，通常每轮调用一次。它内部记录迄今最好的指标值 best 和
# “连续没有改善的次数”。参数逐个说明：
#
# | 参数 | 默认值 | 含义 |
# |---|---|---|
# | `mode` | `'min'` | `'min'`：指标越小越好（损失）；`'max'`：越大越好（准确率） |
# | `factor` | 0.1 | 降低时 $\eta \leftarrow \eta \times$ `factor` |
# | `patience` | 10 | 指标连续多少次“没有改善”之后才降低（第 `patience+1` 次没改善时降） |
# | `threshold` | 1e-4 | 多大的进步才算“改善” |
# | `threshold_mode` | `'rel'` | 相对还是绝对阈值。`mode='min'` 时，`'rel'` 要求新值 < best × (1 − threshold)，`'abs'` 要求新值 < best − threshold；`mode='max'` 时分别是 > best × (1 + threshold) 与 > best + threshold |
# | `cooldown` | 0 | 降低之后的冷却期：这么多次调用内不计“没有改善”的次数 |
# | `min_lr` | 0 | 学习率的下限（可以按参数组给一个列表） |
# | `eps` | 1e-8 | 新旧学习率之差不超过 `eps` 时放弃这次降低，避免无意义的微小变化 |
#
# 下面用一个人为的指标序列演示这些参数：指标每次只下降（改善）0.001，`factor=0.5`、`patience=3`。
# 打印的是学习率在哪些步变小（即从该步起使用降低后的学习率）。

# %%
# NBVAL_CHECK_OUTPUT
slow = 1.0 - 0.001 * np.arange(40)   # 每次改善 0.001（相对改善约 0.1%）
configs = {
    "rel, threshold=0.01": dict(threshold=0.01, threshold_mode="rel"),
    "abs, threshold=0.0005": dict(threshold=0.0005, threshold_mode="abs"),
    "rel, 0.01 + cooldown=5": dict(threshold=0.01, threshold_mode="rel", cooldown=5),
    "rel, 0.01 + min_lr=0.02": dict(threshold=0.01, threshold_mode="rel", min_lr=0.02),
    "rel, 0.01 + eps=0.03": dict(threshold=0.01, threshold_mode="rel", eps=0.03),
    "abs, 0.0005 + mode='max'": dict(threshold=0.0005, threshold_mode="abs", mode="max"),
}
plateau_rows = []
for name, kw in configs.items():
    lrs = schedules.record_lrs(lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=3, **kw),
                               40, metrics=slow)
    drops = [t for t in range(1, 40) if lrs[t] < lrs[t - 1]]
    plateau_rows.append({"name": name, "drops": ", ".join(map(str, drops)) or "（从不）",
                         "final": lrs[-1]})
table(plateau_rows, [("name", "设置"), ("drops", "学习率在哪些步变小"), ("final", "最终学习率", ".4g")])

# %% [markdown]
# - 相对阈值 1%：单次 0.1% 的改善“不算数”，连续 `patience+1 = 4` 次没有改善就降一次（第 1～4 步没有改善，
#   第 5 步起学习率减半）；只有当指标累计比最好值低 1% 以上时才算一次改善、计数清零，所以有的间隔是 4 步，有的更长；
# - 绝对阈值 0.0005：每次 0.001 的改善都算数，学习率从不降低；
# - `cooldown=5`：每次降低后先“冷却” 5 次，降低的间隔变长（7 次降低变成 4 次）；
# - `min_lr=0.02`：0.1 → 0.05 → 0.025 之后只能再降到 0.02，之后不再变；
# - `eps=0.03`：0.1 → 0.05 的变化量 0.05 大于 `eps`，照常降低；下一次 0.05 → 0.025 只变化 0.025，不超过 `eps`，
#   于是被放弃，学习率停在 0.05（实际使用时 `eps` 取默认的 1e-8 即可，它只用来忽略数值上可以忽略的变化）；
# - `mode='max'`：监控的是**损失**却写成 `'max'`，指标每下降一次都被当成“变差”，学习率每 4 步就减半一次——
#   `mode` 必须与指标的方向一致（损失用 `'min'`，准确率用 `'max'`）。

# %% [markdown]
# ## 1.6 余弦退火：公式与按批次更新
#
# 余弦退火（cosine annealing，Loshchilov & Hutter 2017）的学习率为
#
# $$\eta_t = \eta_{\min} + \tfrac12(\eta_{\max} - \eta_{\min})\left(1 + \cos\frac{\pi\, T_{cur}}{T_i}\right),$$
#
# 其中 $T_{cur}$ 是本周期内已经走过的“轮数”，$T_i$ 是本周期的长度：$T_{cur}=0$ 时 $\cos 0 = 1$，学习率为 $\eta_{\max}$；
# $T_{cur}=T_i$ 时 $\cos\pi=-1$，学习率降到 $\eta_{\min}$。对应到 `CosineAnnealingLR`，$\eta_{\max}$ 是优化器的初始学习率，
# $\eta_{\min}$ 是 `eta_min`，$T_i$ 是 `T_max`。$T_{cur}$ 不必是整数：
# 如果每个小批量都更新一次，$T_{cur}$ 就是分数轮（fractional epoch），曲线是光滑的而不是阶梯状。
# 最简单、也最不容易出错的做法是**以步（step）为单位**计数：令 `T_max = 轮数 × 每轮批次数`，每个批次调用一次
# `scheduler.step()`。下面验证 `CosineAnnealingLR` 与纯函数 `schedules.cosine` 一致。

# %%
# NBVAL_CHECK_OUTPUT
num_epochs, iters = 5, 40
T = num_epochs * iters
torch_lrs = schedules.record_lrs(lambda o: S.CosineAnnealingLR(o, T_max=T, eta_min=0.001), T + 1)
ours = schedules.cosine(np.arange(T + 1), base_lr=0.1, total_steps=T, min_lr=0.001)
print("与闭式公式的最大差:", f"{np.abs(torch_lrs - ours).max():.1e}")
print("第 0/100/200 步:", [round(float(v), 5) for v in ours[[0, 100, 200]]])

# %% [markdown]
# 为什么强调“按步计数”？若用浮点数累加分数轮，例如每个批次 `epoch += 1/iters`，舍入误差会让
# “整轮”的时刻差一点点。`CosineAnnealingWarmRestarts` 允许 `scheduler.step(epoch)` 传入分数轮，
# 下面看 10 个批次累加 0.1 后会发生什么：

# %%
# NBVAL_CHECK_OUTPUT
e = 0.0
for _ in range(10):
    e += 0.1
print("十次 0.1 相加 =", repr(e), "；是否等于 1.0:", e == 1.0)
p = nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([p], lr=0.1)
sgdr = S.CosineAnnealingWarmRestarts(opt, T_0=1)
opt.step()
sgdr.step(e)   # 应当是“第 1 轮开始”：刚刚重启，学习率应回到 0.1
print(f"step({e!r}) 之后 lr = {opt.param_groups[0]['lr']:.3e}（浮点累加：没有重启）")
sgdr.step(10 / 10)
print(f"step(10/10) 之后 lr = {opt.param_groups[0]['lr']:.3e}（按步计数再相除：正确重启）")

# %% [markdown]
# 累加得到的 0.9999999999999999 比 1 小一点点，于是周期“还没结束”，学习率停在几乎为 0 的位置，
# 错过了重启。用整数步 $t$ 计数、需要时再算 $t/\text{iters}$ 就没有这个问题：PyTorch 文档中的写法
# `scheduler.step(epoch + i / iters)`（`epoch`、`i` 都是整数）每次都从整数重新计算，不会累积误差；
# 更简单的是直接把周期写成步数，然后每个批次调用不带参数的 `scheduler.step()`。

# %% [markdown]
# ## 1.7 预热：线性预热 + 保持 + 余弦衰减
#
# 训练刚开始时权重是随机的，梯度很大且方向很不稳定；如果立刻用一个大学习率，前几步就可能把网络推到很糟的区域
# （损失暴涨、BN 统计量失真、Adam 的二阶矩估计还不可靠）。**预热**（warmup）的做法是：前 `warmup_steps`
# 步把学习率从一个小值 `warmup_lr` **线性**升到 `base_lr`，可选地在 `base_lr` 上保持 `hold_steps` 步（保持阶段），
# 然后按余弦降到 0。记 $\eta_w$ = `warmup_lr`，$\eta_b$ = `base_lr`，$W$ = `warmup_steps`，$H$ = `hold_steps`，
# $T$ = `total_steps`，则
#
# $$\eta_t = \begin{cases}
# \eta_{w} + (\eta_{b} - \eta_{w})\, t / W, & t < W \\
# \eta_{b}, & W \le t \le W + H \\
# \tfrac12\eta_{b}\left(1 + \cos\dfrac{\pi (t - W - H)}{T - W - H}\right), & W + H < t \le T \\
# 0, & t > T
# \end{cases}$$
#
# 这正是 Keras 用户中广泛流传的 `cosine_decay_with_warmup` 配方（$H=0$ 时第二行不出现：余弦公式在 $t=W$ 处
# 恰好也等于 $\eta_b$，曲线是连续的）。支持包中的 `schedules.cosine_with_warmup` 是它的纯函数实现
# （对整数和 NumPy 数组都适用），并检查参数（`total_steps ≥ warmup_steps`、`base_lr ≥ warmup_lr`）：

# %%
print(inspect.getsource(schedules.cosine_with_warmup))

# %%
# NBVAL_CHECK_OUTPUT
kw = dict(base_lr=0.1, total_steps=1000, warmup_lr=0.001, warmup_steps=100, hold_steps=200)
for t in (0, 50, 100, 300, 650, 1000, 1001):
    print(f"t={t:<5d} lr={schedules.cosine_with_warmup(t, **kw):.5f}")
for bad in (dict(kw, total_steps=50), dict(kw, warmup_lr=0.5)):
    try:
        schedules.cosine_with_warmup(0, **bad)
    except ValueError as err:
        print("ValueError:", err)

# %% [markdown]
# 在 PyTorch 中按批次使用它有两种写法。第一种是继承 `LRScheduler`，在 `get_lr` 里调用纯函数
# （`self.last_epoch` 其实就是“已经调用过几次 `step()`”，按批次调用时它就是步数）：

# %%
class WarmupHoldCosineLR(S.LRScheduler):
    """Per-batch port of cosine_with_warmup (the optimizer's lr is ignored; base_lr is given)."""

    def __init__(self, optimizer, *, base_lr, total_steps, warmup_lr=0.0, warmup_steps=0,
                 hold_steps=0, last_epoch=-1):
        self.kw = dict(base_lr=base_lr, total_steps=total_steps, warmup_lr=warmup_lr,
                       warmup_steps=warmup_steps, hold_steps=hold_steps)
        schedules.cosine_with_warmup(0, **self.kw)  # validate the arguments early
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lr = schedules.cosine_with_warmup(self.last_epoch, **self.kw)
        return [lr for _ in self.optimizer.param_groups]

# %% [markdown]
# 第二种更省事：支持包的 `schedules.lambda_lr(optimizer, schedule, **kwargs)` 把任何纯函数包成一个
# `LambdaLR`（因子 = 纯函数的值 / 优化器的初始学习率）。两种写法应当给出同一条曲线：

# %%
# NBVAL_CHECK_OUTPUT
a = schedules.record_lrs(lambda o: WarmupHoldCosineLR(o, **kw), 1100)
b = schedules.record_lrs(lambda o: schedules.lambda_lr(o, schedules.cosine_with_warmup, **kw), 1100)
c = schedules.cosine_with_warmup(np.arange(1100), **kw)
print("子类 vs 纯函数:", f"{np.abs(a - c).max():.1e}", "| lambda_lr vs 纯函数:", f"{np.abs(b - c).max():.1e}")

# %% [markdown]
# 拖动滑块观察各参数的作用（基础学习率用对数滑块）。若 `warmup_steps` 大于 `total_steps`，图中直接显示
# 参数检查给出的错误信息。下面先用与滑块初始值相同的参数（预热 100 步、保持 200 步、共 1000 步）静态画一次：

# %%
demos.draw_warmup_cosine(base_lr=0.1, warmup_steps=100, hold_steps=200, total_steps=1000);

# %%
panel = demos.warmup_cosine_panel(hold_steps=200)
panel

# %% [markdown]
# ## 1.8 学习率范围测试
#
# ×3 网格要训练很多次。Leslie Smith（2015）提出的**学习率范围测试**（LR range test）只需**一次**短训练：
# 让学习率在几百个批次内从约 $10^{-7}$ **指数**增长到约 $10$，记录每一步（平滑后的）损失，
# 在对数横轴上画出“损失–学习率”曲线。曲线通常分为三段：
#
# 1. **太小**：学习率太小，损失几乎不动；
# 2. **快速下降**：损失迅速下降——好的学习率就在这一段，常取下降最陡处，或取最低点对应学习率的约 1/10；
# 3. **发散**：学习率过大，损失急剧上升甚至变成 NaN，此时提前停止。
#
# 这张图也是一次很好的**健全性检查**（sanity check）：如果曲线在第一段就出现断口或 NaN，或者根本没有下降段，
# 往往说明模型或数据有 bug（标签错位、忘了归一化、损失函数用错等）。测试结束后，模型参数、BN 统计量和
# 优化器状态（动量缓冲等）都必须恢复原状，否则后面的正式训练就不是从头开始的。支持包中的实现：

# %%
print(inspect.getsource(range_test.lr_range_test))

# %% [markdown]
# 本章的模型是一个带批量归一化（batch normalization，BN）的小卷积网络：两个步幅为 2 的 3×3 卷积（通道 16、32），
# 每个后接 BN 和 ReLU，最后一个全连接层。它在 CPU 上也足够快。

# %%
batch_size = 128
train_iter, test_iter = data.load_fashion_mnist(
    batch_size, subset=env.pick(smoke=3000, cpu=None, full=None))
print(f"训练样本 {train_iter.num_examples}，测试样本 {test_iter.num_examples}，每轮 {len(train_iter)} 个批次")
env.set_seed(0)
net = small_bn_cnn()
print(net)

# %%
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
before = {k: v.clone() for k, v in net.state_dict().items()}
lrs, losses = range_test.lr_range_test(net, nn.CrossEntropyLoss(), optimizer, train_iter,
                                       start_lr=1e-7, end_lr=10,
                                       num_iter=env.pick(smoke=40, cpu=300, full=300))
steepest = range_test.suggest_lr(lrs, losses)
lo, lr_min = range_test.range_test_regions(lrs, losses)
peak_lr = 0.05   # the peak LR of the experiment in 1.12 (why: see the text below)
print(f"测试了 {len(lrs)} 个学习率（最后一个 {lrs[-1]:.3g}），下降段约 {lo:.2g} ~ {lr_min:.2g}")
table([("下降最陡处", steepest, "偏保守"), ("平滑损失最低点", lr_min, "再大就进入停滞/发散段"),
       ("最低点的 1/10", lr_min / 10, "常用经验"), ("本章选用（1.12 节）", peak_lr, "略小于最低点")],
      [(0, "读法"), (1, "学习率", ".2g"), (2, "说明")])

# %%
range_test.plot_range_test(lrs, losses, marks={f"最陡处 {steepest:.2g}": steepest,
                                               f"最低点/10 ≈ {lr_min / 10:.2g}": lr_min / 10,
                                               f"本章选用 {peak_lr:g}": peak_lr});

# %%
# NBVAL_CHECK_OUTPUT
same = all(torch.equal(v, before[k]) for k, v in net.state_dict().items())
print("模型参数与 BN 统计量已恢复:", same, "| 优化器状态为空（与测试前相同）:", len(optimizer.state) == 0,
      "| 学习率恢复为", optimizer.param_groups[0]["lr"])

# %% [markdown]
# 上图中三段一目了然（阴影区域的边界由 `range_test_regions` 按“损失已下降总降幅的 10%”和“平滑损失最低点”自动确定）。
# 在这次测试里，最低点之后损失先停在略高的水平、不再下降，学习率接近 1 之后才急剧上升，
# 平滑损失超过最低值的 5 倍时测试提前停止（最后一个学习率见上面的输出）。
#
# 怎样从图中读出学习率？图中三条竖线是三种读法：
#
# - **下降最陡处**（黑色虚线，约 0.0015）：损失对 $\log_{10}\eta$ 的导数最负的地方，最保守；
# - **最低点的 1/10**（紫色点划线，约 0.0057）：平滑损失最低点（约 0.057）对应学习率的约 1/10，是最常见的经验；
# - **本章选用的 0.05**（橙色实线）：单周期策略的作者 Smith 更大胆，建议把**峰值**学习率取在“损失仍在下降的最大学习率”
#   附近，即最低点附近、略小于它。1.12 节的四种调度都会从峰值退火到很小的学习率，所以本章采用这个建议，
#   取比最低点略小的整齐数值 0.05 作为所有调度的峰值学习率。
#
# 三种读法相差一个多数量级，这很正常：由于损失经过指数平滑、学习率又在不断增大，曲线相对真实损失有少许滞后，
# 这些读数都只是量级上的参考。为了只比较调度本身，1.12 节的四种调度（包括恒定学习率）都用同一个峰值 0.05。

# %% [markdown]
# ## 1.9 循环学习率、热重启与单周期策略
#
# - **循环学习率**（cyclical learning rate，CLR，Smith 2017）：学习率在 `base_lr` 与 `max_lr` 之间按三角形往返
#   （`CyclicLR`，纯函数 `schedules.triangular`）。两个端点正好可以从范围测试读出：下降段的起点与终点。
#   周期性地调大学习率有助于跳出尖锐的极小值与鞍点附近的平坦区。
# - **热重启**（warm restarts，SGDR，Loshchilov & Hutter 2017）：余弦退火到底后把学习率**重新调高**，但
#   **保留权重**，从当前位置开始新的一轮退火。`CosineAnnealingWarmRestarts(T_0, T_mult)` 中 `T_0` 是第一个周期的长度，
#   之后每个周期长度乘以 `T_mult`（`T_mult=2` 时周期为 $T_0, 2T_0, 4T_0, \dots$，重启发生在 $T_0, 3T_0, 7T_0, \dots$）。
#   每次重启前的权重都可以保存下来做集成（snapshot ensemble）。
# - **单周期策略**（one-cycle policy，1cycle，Smith 2018）：整个训练只有一个周期——先从 `max_lr/div_factor` 升到 `max_lr`
#   （`OneCycleLR` 默认 `div_factor=25`，上升段占 `pct_start=0.3` 即 30% 的步数），再按余弦降到
#   `max_lr/div_factor/final_div_factor`（默认 `final_div_factor=1e4`）。`OneCycleLR` 默认（`cycle_momentum=True`，
#   `base_momentum=0.85`，`max_momentum=0.95`）还**同时调度动量**，方向与学习率相反：学习率上升时动量从 0.95 降到 0.85，
#   学习率下降时再回到 0.95（见下面的单元格）。它改写的是优化器的 `momentum`（Adam 类优化器则是 `betas` 的第一项），
#   所以与固定动量 0.9 的其他调度比较时，差别不只来自学习率。
#   Smith 发现用很大的 `max_lr` 时，有些问题能以少得多的轮数训练到同样精度，称为**超收敛**（super-convergence）。
#   支持包的 `schedules.one_cycle` 与 `OneCycleLR` 逐步一致（测试中已验证）。

# %%
# NBVAL_CHECK_OUTPUT
p = nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
one_cycle = S.OneCycleLR(opt, max_lr=0.1, total_steps=100)
cycle_rows = []
for t in range(100):
    if t in (0, 15, 30, 65, 99):
        group = opt.param_groups[0]
        cycle_rows.append({"t": t, "lr": group["lr"], "momentum": group["momentum"]})
    opt.step()
    one_cycle.step()
table(cycle_rows, [("t", "步 t"), ("lr", "学习率", ".4f"), ("momentum", "动量", ".3f")])

# %% [markdown]
# 第 0 步动量是 0.95；学习率在第 29 步（上升段共 $0.3\times100 = 30$ 步，从第 0 步数起）到达峰值 0.1，此时动量降到 0.85，
# 表中紧随其后的第 30 步学习率为 0.0999、动量仍为 0.850（保留三位小数）；最后一步动量又回到 0.95。
# 优化器构造时写的 `momentum=0.9` 被 `OneCycleLR` 覆盖了。
#
# 用滑块观察 `StepLR` 的 `gamma`/`step_size` 与 SGDR 的 `T_0`/`T_mult`：

# %%
demos.draw_step_lr(base_lr=0.1, gamma=0.5, step_size=10);

# %%
step_panel = demos.step_lr_panel()
step_panel

# %%
demos.draw_warm_restarts(base_lr=0.1, T_0=10, T_mult=2);

# %%
sgdr_panel = demos.warm_restarts_panel()
sgdr_panel

# %% [markdown]
# ## 1.10 L2 正则与解耦权重衰减：AdamW 与 SGDW
#
# 对**不带动量**的 SGD 来说，L2 正则 $\frac{\lambda}{2}\|\mathbf{w}\|^2$ 与权重衰减（weight decay）是一回事：梯度多出一项
# $\lambda\mathbf{w}$，更新变成 $\mathbf{w} \leftarrow (1-\eta\lambda)\mathbf{w} - \eta\mathbf{g}$。
# 但对 Adam 不是这样，对带动量的 SGD 也不是（本节最后讨论）。`torch.optim.Adam(weight_decay=λ)` 把 $\lambda\mathbf{w}$ 加进梯度，
# 这一项随后和梯度一起被**自适应分母** $\sqrt{\hat v}+\epsilon$ 除掉（下式中 $\hat m(\cdot)$、$\hat v(\cdot)$
# 表示对括号里的量逐步做一阶、二阶矩的指数滑动平均并做偏差修正）：
#
# $$\text{Adam + L2：}\ \mathbf{w} \leftarrow \mathbf{w} - \eta\,\frac{\hat m(\mathbf{g} + \lambda \mathbf{w})}{\sqrt{\hat v(\mathbf{g}+\lambda\mathbf{w})}+\epsilon},
# \qquad \text{AdamW：}\ \mathbf{w} \leftarrow \mathbf{w} - \eta\left(\frac{\hat m(\mathbf{g})}{\sqrt{\hat v(\mathbf{g})}+\epsilon} + \lambda\mathbf{w}\right).$$
#
# 于是梯度历来很大的参数几乎不被衰减，梯度很小的参数反而被衰减得很厉害。Loshchilov & Hutter（2019）提出
# **解耦**（decoupled）的权重衰减：把 $\eta\lambda\mathbf{w}$ 直接从权重里减掉，不经过自适应分母——这就是
# `AdamW`（对 SGD 的对应版本称 SGDW）。用两个参数演示一步更新：第一个梯度很大，第二个梯度为 0。

# %%
# NBVAL_CHECK_OUTPUT
def one_step(opt_cls, lam, grad=(10.0, 0.0)):
    w = nn.Parameter(torch.tensor([1.0, 1.0]))
    opt = opt_cls([w], lr=0.01, weight_decay=lam)
    w.grad = torch.tensor(grad)
    opt.step()
    return (torch.tensor([1.0, 1.0]) - w.detach()).tolist()   # 这一步的下降量


rows = []
for lam in (0.01, 0.1):
    adam, adamw = one_step(torch.optim.Adam, lam), one_step(torch.optim.AdamW, lam)
    rows.append([lam, *adam, *adamw, 0.01 * lam])
table(rows, [(0, "λ", "g"), (1, "Adam+L2：参数 1", ".6f"), (2, "Adam+L2：参数 2", ".6f"),
             (3, "AdamW：参数 1", ".6f"), (4, "AdamW：参数 2", ".6f"), (5, "η·λ·w", ".6f")],
      caption="一步更新中每个参数的下降量（参数 1 的梯度为 10，参数 2 的梯度为 0）")

# %% [markdown]
# 梯度为 0 的第二个参数在 Adam+L2 下一步就下降了整整 $\eta = 0.01$：分子和分母里都只有 $\lambda w$，
# 相除约等于 1，与 $\lambda$ 取 0.01 还是 0.1 **无关**——L2 的强度被自适应分母“归一化”掉了。
# AdamW 中它只下降 $\eta\lambda w$（0.0001 或 0.001），与 $\lambda$ 成正比，正是我们想要的衰减；
# 梯度很大的第一个参数在 AdamW 里得到“梯度步 + 同样的衰减”（0.0101 与 0.011），在 Adam+L2 里却恰好也只下降 0.01：
# $\lambda w$ 与梯度 10 相加后被分母一起除掉，衰减完全被淹没。（Adam 的第一步经过偏差修正后
# $\hat m/\sqrt{\hat v} = \pm 1$，所以每个坐标都恰好走 $\eta$；之后的步不再这么整齐，但“被同一个分母缩放”的结论不变。）
#
# 再做一个小实验：同一个两层感知机（隐藏层 256 个单元），在 Fashion-MNIST 子集上分别用 Adam（无正则）、Adam + L2（λ = 0.05）
# 和 AdamW（λ = 0.05）训练，比较测试准确率与权重的范数。

# %%
wd_subset = env.pick(smoke=2000, cpu=20000, full=60000)
wd_epochs = env.pick(smoke=1, cpu=5, full=10)
wd_train, wd_test = data.load_fashion_mnist(128, subset=wd_subset)
wd_results = {}
for name, make in {"Adam（无正则）": lambda p: torch.optim.Adam(p, lr=1e-3),
                   "Adam + L2，λ=0.05": lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=0.05),
                   "AdamW，λ=0.05": lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.05)}.items():
    env.set_seed(0)
    wd_train.generator.manual_seed(0)
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    h = fit(mlp, wd_train, wd_test, num_epochs=wd_epochs, optimizer=make(mlp.parameters()),
            progress=False)
    norm = torch.sqrt(sum((p.detach() ** 2).sum() for p in mlp.parameters())).item()
    wd_results[name] = {"name": name, "loss": h.train_loss[-1], "acc": h.test_acc[-1], "norm": norm}
table(wd_results.values(), [("name", "优化器"), ("loss", "训练损失", ".3f"), ("acc", "测试准确率", ".3f"),
                            ("norm", "权重范数", ".1f")])

# %% [markdown]
# 结果见上面的输出（cpu 模式：2 万个训练样本、5 轮）。Adam + L2 在 λ = 0.05 时把权重范数从无正则的 20.0
# 压到 3.9，训练损失（0.751）和测试准确率（0.755）都明显变差：L2 项与梯度被同一个自适应分母缩放，
# 对梯度小的权重来说，每步可能被拉向 0 接近一个学习率 $\eta$ 的距离，远大于 $\eta\lambda$，正则强度也就无法与学习率分开调。
# AdamW 在同一个名义 λ 下每步只按比例 $\eta\lambda = 5\times10^{-5}$ 温和地衰减，权重范数（19.7）略小于无正则，
# 训练损失（0.385 对 0.382）和测试准确率（0.853 对 0.851）与无正则相近。注意这只是一个小子集上的短实验：它说明两者的**行为**不同，
# 并不说明哪个 λ 最好——AdamW 的好处在于 λ 与学习率可以（近似）独立地调。
#
# ### 带动量的 SGD：`weight_decay` 也不是解耦的
#
# `torch.optim.SGD(momentum=β, weight_decay=λ)` 同样是把 $\lambda\mathbf{w}$ **加进梯度**，然后这个和进入动量缓冲：
#
# $$\text{SGD + 动量 + L2：}\ \mathbf{b} \leftarrow \beta\mathbf{b} + (\mathbf{g} + \lambda\mathbf{w}),\quad
# \mathbf{w} \leftarrow \mathbf{w} - \eta\,\mathbf{b};
# \qquad \text{SGDW：}\ \mathbf{b} \leftarrow \beta\mathbf{b} + \mathbf{g},\quad
# \mathbf{w} \leftarrow \mathbf{w} - \eta\,\mathbf{b} - \eta\lambda\mathbf{w}.$$
#
# 左边的衰减项和梯度一样被动量累积：它被放大约 $1/(1-\beta)$ 倍（$\beta=0.9$ 时约 10 倍），还带着“惯性”，
# 前几步攒下的衰减会继续推着权重走。右边是 Loshchilov & Hutter 提出的解耦版本 SGDW：衰减不经过动量缓冲，
# 每步恰好是 $\eta\lambda\mathbf{w}$。（论文中衰减项乘的是调度乘子 $\eta_t$ 而不是学习率本身，这样 λ 与学习率
# 完全无关；这里沿用 PyTorch `AdamW` 的写法，用学习率 $\eta$ 乘 λ。）PyTorch 的 `SGD` 没有解耦选项，下面手动实现 SGDW（在 `step()` 之前把权重乘以
# $1-\eta\lambda$），并让数据梯度为 0，只看衰减本身（$\eta=0.1$，$\beta=0.9$）：

# %%
# NBVAL_CHECK_OUTPUT
def decay_only(lam, steps, decoupled, lr=0.1, beta=0.9):
    """w_t of one weight whose data gradient is 0, so that only the weight decay acts."""
    w = nn.Parameter(torch.ones(1, dtype=torch.float64))
    opt = torch.optim.SGD([w], lr=lr, momentum=beta, weight_decay=0.0 if decoupled else lam)
    ws = [1.0]
    for _ in range(steps):
        w.grad = torch.zeros_like(w)
        if decoupled:                       # SGDW: w ← (1 − ηλ)w, outside the momentum buffer
            with torch.no_grad():
                w.mul_(1 - lr * lam)
        opt.step()
        ws.append(w.item())
    return np.array(ws)


decay_rows = []
for lam, steps in ((5e-4, 1000), (0.1, 100)):
    for decoupled in (False, True):
        ws = decay_only(lam, steps, decoupled)
        decay_rows.append({"lam": lam, "kind": "SGDW（解耦）" if decoupled else "SGD + 动量 + L2",
                           "w_end": ws[-1], "per_step": 1 - abs(ws[-1] / ws[-101]) ** (1 / 100),
                           "min": ws.min()})
table(decay_rows, [("lam", "λ", "g"), ("kind", "写法"), ("w_end", "最后的 w", ".4f"),
                   ("per_step", "最后 100 步 |w| 平均每步缩小的比例", ".2e"), ("min", "w 的最小值", ".4f")],
      caption="从 w=1 出发、数据梯度为 0：λ=5e-4 走 1000 步，λ=0.1 走 100 步")

# %%
plotting.plot(np.arange(101), [decay_only(0.1, 100, False), decay_only(0.1, 100, True)],
              xlabel="迭代步 t", ylabel="w", legend=["SGD + 动量 + L2", "SGDW（解耦）"],
              fmts=("-", "--"), figsize=(5.6, 3.0), title="只有权重衰减时的 w（λ=0.1，η=0.1，β=0.9）");

# %% [markdown]
# 典型取值 λ = 5e-4 时，SGDW 每步恰好衰减 $\eta\lambda = 5\times10^{-5}$，耦合写法的稳态衰减却约为
# $\eta\lambda/(1-\beta) = 5\times10^{-4}$，大了 10 倍（上表 5.02e-04 对 5.00e-05）。λ 很大时差别更明显：
# λ = 0.1 的耦合写法像一个带动量的小球，衰减**冲过了 0**，w 变成负数（最小值 −0.1532）后再振荡回来；SGDW 则单调地按
# $(1-\eta\lambda)^t$ 衰减。所以同一个名义 λ 在两种写法里含义不同：经典的 `SGD(momentum=0.9, weight_decay=5e-4)`
# 是 L2 正则，5e-4 这类经验值正是针对这种耦合写法调出来的；换成 SGDW 时，λ 大约要乘以 $1/(1-\beta)$ 才能得到
# 相近的衰减强度。

# %% [markdown]
# ## 1.11 推荐的工作流程
#
# 1. **范围测试**：一次短训练画出损失–学习率曲线，检查三段是否正常（顺便发现 bug），读出快速下降段；
# 2. **选调度**：峰值学习率取下降段内（最陡处附近、或最低点的约 1/10；大胆一些可取到最低点略左），配合
#    “线性预热 + 余弦退火”并**按批次**更新；
# 3. **优化器**：Adam 类优化器用 **AdamW**（解耦权重衰减）；带动量的 SGD 可以直接用它的 `weight_decay`，
#    但要知道那是经过动量缓冲的 L2 正则而不是解耦的权重衰减（见 1.10 节），λ 的经验值不能与 SGDW/AdamW 混用；
# 4. **可选**：训练预算很紧时试试**单周期策略**（`OneCycleLR`），它把预热、退火和动量调度合在一起。

# %% [markdown]
# ## 1.12 实验：Fashion-MNIST 上的四种调度
#
# 同一个小 BN 卷积网络、同样的轮数、同样的峰值学习率 0.05（来自 1.8 节的范围测试；SGD，动量 0.9，
# 权重衰减 5e-4），只改变学习率调度：
#
# - **恒定**：全程 0.05；
# - **阶梯衰减**：`MultiStepLR`，在总轮数的 1/2 和 3/4 处（向下取整，至少为第 1 轮；实际的里程碑见输出）各乘 0.1，按轮更新；
# - **预热 + 余弦**：`schedules.lambda_lr(..., cosine_with_warmup)`，预热半轮，按批次更新；
# - **单周期**：`OneCycleLR(max_lr=0.05)`，按批次更新。注意它默认还会在 0.85～0.95 之间反向调节动量，
#   而其他三种调度的动量固定为 0.9（见 1.9 节）。
#
# 四次训练使用相同的随机种子和相同的小批量顺序。

# %%
exp_epochs = env.pick(smoke=1, cpu=3, full=10)
target_acc = 0.89
steps_per_epoch = len(train_iter)
total = exp_epochs * steps_per_epoch
milestones = sorted({max(1, exp_epochs // 2), max(1, 3 * exp_epochs // 4)})
print(f"{exp_epochs} 轮 × {steps_per_epoch} 批次 = {total} 步；阶梯衰减的里程碑（轮）：{milestones}")


def make_setup(kind, lr=peak_lr):
    """A fresh model, its optimizer, the scheduler of `kind` (peak LR `lr`) and how often to step it."""
    env.set_seed(0)
    train_iter.generator.manual_seed(0)   # every run sees the same minibatch order
    model = small_bn_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    if kind == "恒定":
        return model, opt, None, "epoch"
    if kind == "阶梯衰减":
        return model, opt, S.MultiStepLR(opt, milestones=milestones, gamma=0.1), "epoch"
    if kind == "预热+余弦":
        return model, opt, schedules.lambda_lr(opt, schedules.cosine_with_warmup, base_lr=lr,
                                               total_steps=total,
                                               warmup_steps=steps_per_epoch // 2), "batch"
    return model, opt, S.OneCycleLR(opt, max_lr=lr, total_steps=total), "batch"


histories = {}
for kind in ("恒定", "阶梯衰减", "预热+余弦", "单周期"):
    model, opt, sched, interval = make_setup(kind)
    histories[kind] = fit(model, train_iter, test_iter, num_epochs=exp_epochs, optimizer=opt,
                          scheduler=sched, scheduler_interval=interval, progress=False)
    print(f"{kind}：{histories[kind].summary()}")
print(f"四次训练共用时 {sum(sum(h.seconds) for h in histories.values()):.0f} s")

# %%
demos.results_table(histories, target_acc)

# %%
steps = np.arange(total)
lr_curves = {  # the same schedules as pure functions of the step
    "恒定": schedules.constant(steps, base_lr=peak_lr),
    "阶梯衰减": schedules.multistep(steps // steps_per_epoch, base_lr=peak_lr,
                                 milestones=milestones, gamma=0.1),
    "预热+余弦": schedules.cosine_with_warmup(steps, base_lr=peak_lr, total_steps=total,
                                          warmup_steps=steps_per_epoch // 2),
    "单周期": schedules.one_cycle(steps, max_lr=peak_lr, total_steps=total),
}
demos.plot_schedule_comparison(lr_curves, histories, target_acc=target_acc);

# %% [markdown]
# 上表与上图说明了以下几点（单个随机种子、3 轮）：
#
# - **最终精度**：两种“按批次退火到接近 0”的调度最高——预热 + 余弦 0.9020，单周期 0.9007；阶梯衰减 0.8923；
#   恒定学习率最低（0.8843），3 轮内没有达到 89%。最终训练损失也是这两种调度最低（预热 + 余弦 0.241、单周期 0.251），
#   其次是阶梯衰减 0.265 和恒定 0.282（见训练输出中的 loss）。
# - **达到目标的轮**：最早达到 89% 的反而是阶梯衰减（第 2 轮，0.8909）。它在第 1 轮之后就把学习率降到 0.005，
#   立刻得到了衰减带来的提升；而预热 + 余弦和单周期在第 2 轮时学习率仍然较高，测试准确率分别只有 0.8862
#   和 0.8725，直到第 3 轮学习率退火到接近 0 时才超过其他调度。
#   可见“多快达到目标”和“最终能到多高”衡量的是不同的东西：余弦类调度的收益集中在训练末尾，所以它的总步数
#   （`total_steps`）必须与真实的训练长度一致。
# - 恒定学习率与阶梯衰减在第 1 轮的测试准确率完全相同（0.8692）：两者第 1 轮的初始化、学习率与批次顺序都相同，
#   结果逐位可复现，所以之后的差别来自调度本身，而不是随机性。
#
# 需要提醒的是，这只是一个种子上的短实验：预热 + 余弦与单周期之间 0.13 个百分点的差别很可能在不同随机种子之间的
# 波动范围以内，不能据此断言哪一个更好（何况单周期还同时调节了动量）；换用更多轮数（`full` 模式为 10 轮）时
# 各条曲线的相对位置也可能改变。

# %% [markdown]
# ## 常见误区
#
# 每个误区都用紧随其后的一段代码来反驳。

# %% [markdown]
# **误区 1：`StepLR` 每一轮都乘以 `gamma`。** 实际上它每 `step_size` 轮才乘一次：

# %%
# 误区 1
# NBVAL_CHECK_OUTPUT
lrs = schedules.record_lrs(lambda o: S.StepLR(o, step_size=3, gamma=0.5), 10, lr=1.0)
print("StepLR(step_size=3, gamma=0.5):", lrs.tolist())

# %% [markdown]
# **误区 2：`MultiStepLR` 过了第一个里程碑之后每轮都乘。** 实际上它只在每个里程碑处各乘**一次**：

# %%
# 误区 2
# NBVAL_CHECK_OUTPUT
lrs = schedules.record_lrs(lambda o: S.MultiStepLR(o, milestones=[2, 5], gamma=0.1), 8, lr=1.0)
print("MultiStepLR(milestones=[2, 5], gamma=0.1):", [f"{v:g}" for v in lrs])

# %% [markdown]
# **误区 3：随手写一个 `LambdaLR(opt, lambda e: math.sin(e) / e)`。** `LambdaLR` 在构造时就会以 $e=0$
# 调用一次这个函数——除以零；即使绕开 0，$\sin(e)/e$ 在 $e>\pi$ 后还会变成**负数**，负学习率意味着沿梯度**上升**：

# %%
# 误区 3
# NBVAL_CHECK_OUTPUT
p = nn.Parameter(torch.zeros(1))
try:
    S.LambdaLR(torch.optim.SGD([p], lr=0.1), lambda e: math.sin(e) / e)
except ZeroDivisionError as err:
    print("ZeroDivisionError:", err)
lrs = schedules.record_lrs(lambda o: S.LambdaLR(o, lambda e: math.sin(e + 1) / (e + 1)), 6)
print("改成 sin(e+1)/(e+1) 后的学习率:", [f"{v:.4f}" for v in lrs])

# %% [markdown]
# **误区 4：先 `scheduler.step()` 再 `optimizer.step()`。** 自 PyTorch 1.1 起顺序必须反过来，否则调度会
# 跳过第一个学习率值，PyTorch 也会发出警告：

# %%
# 误区 4
# NBVAL_CHECK_OUTPUT
p = nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([p], lr=0.1)
sched = S.StepLR(opt, step_size=1, gamma=0.5)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    sched.step()      # 错误：在 optimizer.step() 之前
    p.grad = torch.ones_like(p)
    opt.step()
for w in caught:
    print(f"{w.category.__name__}: {str(w.message)[:86]}……")
print("第一步实际使用的学习率:", opt.param_groups[0]["lr"], "（应当是 0.1）")

# %% [markdown]
# **误区 5：`ReduceLROnPlateau` 和其他调度器一样调用 `step()`。** 它需要被监控的指标：

# %%
# 误区 5
# NBVAL_CHECK_OUTPUT
opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
plateau = S.ReduceLROnPlateau(opt)
try:
    plateau.step()
except TypeError as err:
    print("TypeError:", err)
plateau.step(0.5)   # 正确：传入验证损失等指标
print("传入指标后正常，lr =", opt.param_groups[0]["lr"])

# %% [markdown]
# **误区 6：用 `verbose=True` 打印学习率。** 很多旧教程这样写，但这个参数自 PyTorch 2.2 起被弃用（传入只会得到一条
# 弃用警告，不再打印任何东西），自 2.7 起被彻底移除：在本课程使用的版本里传入它会直接抛出 `TypeError`
# （下面的代码两种情况都能处理）。想查看学习率，请用 `scheduler.get_last_lr()` 或直接读 `optimizer.param_groups`：

# %%
# 误区 6
opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        S.StepLR(opt, step_size=1, verbose=True)
        print("verbose 仍被接受，但已弃用：")
    except TypeError as err:
        print("TypeError:", err)
for w in caught:
    print(f"{w.category.__name__}: {w.message}")
print("推荐写法：", S.StepLR(opt, step_size=1).get_last_lr())

# %% [markdown]
# ## 小结
#
# - 小批量梯度有噪声：固定学习率只能在最优点附近振荡，学习率必须衰减才能收敛；太大的学习率会发散。
# - 手动选学习率用 ×3 网格，损失升高或 NaN 时往下走一格；经典衰减公式有反时间、指数、平方根和阶梯几种。
# - PyTorch 中改学习率：直接改 `optimizer.param_groups[i]['lr']`，或用 `lr_scheduler`；
#   每步先 `optimizer.step()` 再 `scheduler.step()`，`ReduceLROnPlateau` 要传指标，`mode` 要与指标方向一致。
# - 余弦退火按步（批次）计数最稳妥；预热 + 保持 + 余弦是一个纯函数，可以按批次包装成调度器。
# - 学习率范围测试一次短训练就给出可用的学习率范围，也能暴露 bug；测试后必须恢复模型和优化器状态。
# - 循环学习率、热重启（SGDR）与单周期策略都让学习率周期性地或先升后降地变化；`OneCycleLR` 默认还反向调度动量（0.95→0.85→0.95）。
# - L2 正则只在不带动量的 SGD 上等于权重衰减：Adam 要用解耦权重衰减（AdamW）；带动量 SGD 的 `weight_decay` 经过动量缓冲，
#   也不是解耦的（SGDW），同一个 λ 在两种写法里强度约差 $1/(1-\beta)$ 倍。
# - 比较调度时要分清“多快达到目标”与“最终能到多高”；余弦类调度的 `total_steps` 必须等于真实的训练步数。

# %% [markdown]
# ## 练习
#
# 每道练习下面都有折叠的“提示与答案”；先自己试一试再展开。答案中的数字来自紧随其后的代码单元格。

# %% [markdown]
# **练习 1** 把 1.1 节的衰减改为 $\eta_t = 0.1/\sqrt{t+1}$，与 $0.1/(1+0.05t)$ 比较最后 50 步的平均距离。为什么
# $\sum_t \eta_t = \infty$、$\sum_t \eta_t^2 < \infty$ 这两个条件都重要？
#
# <details><summary>提示与答案</summary>
#
# 提示：`sgd_linear_regression(lambda t: schedules.inverse_sqrt(t, base_lr=0.1))`；“平均距离”取 20 次运行、最后 50 步的均方根。
#
# 答案（见下一个单元格的输出）：$0.1/\sqrt{t+1}$ 最后 50 步的 RMS 距离为 0.0098，比 $0.1/(1+0.05t)$ 的 0.0083 略大：
# 到第 1000 步它的学习率仍有 0.0032（后者为 0.0020），噪声球也就大一些。两个条件各管一件事：
# $\sum_t \eta_t = \infty$ 保证总步长足够长，无论从多远的地方出发都能走到最优点附近（例如 $\eta_t = 0.1\cdot 0.9^t$
# 的总和只有 1，离最优点远时半路就“走不动”了）；$\sum_t \eta_t^2 < \infty$ 保证噪声的累积方差有限，
# 在经典的证明中它让噪声球缩到 0。$1/(1+0.05t)$ 两个条件都满足；$1/\sqrt{t+1}$ 满足前者，却不满足后者：
# $\sum_t 0.01/(t+1)$ 像调和级数一样发散，只是增长得很慢（前 1000 步才 0.0749，甚至小于 $0.1/(1+0.05t)$ 的 0.2012——
# 有限步的部分和说明不了收敛条件，条件说的是 $t\to\infty$ 时的行为）。注意 Robbins–Monro 条件是**充分**而非必要条件：
# 对这个强凸的二次问题，均方距离大致与 $\eta_t$ 成正比，所以 $0.1/\sqrt{t+1}$ 的噪声球同样在缩小，
# 只是因为学习率降得更慢而缩得更慢。
#
# </details>

# %%
# 练习 1
tail_rms = {}
for name, lr_at in {"0.1/√(t+1)": lambda t: schedules.inverse_sqrt(t, base_lr=0.1),
                    "0.1/(1+0.05t)": lambda t: schedules.inverse_time(t, base_lr=0.1, decay_rate=0.05)}.items():
    d = sgd_linear_regression(lr_at)
    etas = np.array([lr_at(t) for t in range(1000)])
    tail_rms[name] = {"name": name, "rms": np.sqrt((d[-50:] ** 2).mean()), "eta": etas[-1],
                      "sum": etas.sum(), "sum2": (etas ** 2).sum()}
table(tail_rms.values(), [("name", "学习率"), ("rms", "最后 50 步的 RMS 距离", ".4f"),
                          ("eta", "第 1000 步的 η", ".4f"), ("sum", "前 1000 步 Σηt", ".2f"),
                          ("sum2", "前 1000 步 Σηt²", ".4f")])

# %% [markdown]
# **练习 2** 写出 `schedules.polynomial` 的公式，并用 `record_lrs` 验证它与 `torch.optim.lr_scheduler.PolynomialLR` 一致。
#
# <details><summary>提示与答案</summary>
#
# 提示：`PolynomialLR(opt, total_iters=T, power=p)`；也看看 $t > T$ 之后的值。
#
# 答案：$\alpha_t = (\alpha_0 - \alpha_{\text{end}})\,(1 - \min(t, T)/T)^{p} + \alpha_{\text{end}}$，$t \ge T$ 之后停在
# $\alpha_{\text{end}}$。`PolynomialLR` 没有 $\alpha_{\text{end}}$ 参数，相当于 $\alpha_{\text{end}} = 0$。下一个单元格对
# $p = 1, 2$ 各比较 120 步（$T = 100$），最大差都在 $10^{-17}$ 量级（浮点舍入），两者一致。
#
# </details>

# %%
# 练习 2
# NBVAL_CHECK_OUTPUT
for power in (1.0, 2.0):
    theirs = schedules.record_lrs(lambda o: S.PolynomialLR(o, total_iters=100, power=power), 120)
    ours = schedules.polynomial(np.arange(120), base_lr=0.1, total_steps=100, power=power)
    print(f"power={power:g}: 最大差 {np.abs(theirs - ours).max():.1e}，第 50 步 {ours[50]:.4f}，"
          f"第 110 步 {ours[110]:.4f}")

# %% [markdown]
# **练习 3** 用 `CosineAnnealingWarmRestarts(T_0=1, T_mult=2)` 按批次训练 1.12 节的模型 3 轮（提示：`T_0` 要换算成步数），
# 与“预热 + 余弦”比较。
#
# <details><summary>提示与答案</summary>
#
# 提示：按批次调用 `scheduler.step()` 时，`T_0` 的单位是批次，所以“1 轮”是 `T_0=steps_per_epoch`；`T_mult=2` 时周期为
# 1 轮、2 轮，3 轮训练恰好在第二个周期的末尾结束，学习率退火到接近 0。
#
# 答案（见下一个单元格的输出）：SGDR 在第 1 轮末就把学习率退火到接近 0，所以第 1 轮的测试准确率（0.8774）高于
# 预热 + 余弦（0.8718）；第 2 轮开始时学习率重启回 0.05，第 2 轮（0.8823 对 0.8862）和最终（0.8970 对 0.9020）
# 都略低于预热 + 余弦，两者都在第 3 轮达到 89%；差别只有零点几个百分点，在单个种子的波动范围内。SGDR 的好处是每个周期末都有一个“退火好的”模型可用（可以保存下来做快照集成）；
# 只看最终精度时，一个与训练长度相符的余弦周期已经足够。
#
# </details>

# %%
# 练习 3
model, opt, _, _ = make_setup("恒定")      # fresh model, same seed and minibatch order
sgdr = S.CosineAnnealingWarmRestarts(opt, T_0=steps_per_epoch, T_mult=2)
ex3 = {"SGDR（T_0=1 轮，T_mult=2）": fit(model, train_iter, test_iter, num_epochs=exp_epochs,
                                         optimizer=opt, scheduler=sgdr, scheduler_interval="batch",
                                         progress=False),
       "预热+余弦（1.12 节）": histories["预热+余弦"]}
demos.results_table(ex3, target_acc)

# %% [markdown]
# **练习 4** 对 1.12 节的模型用 Adam 做一次范围测试，比较它与 SGD 的建议学习率相差几个数量级。
#
# <details><summary>提示与答案</summary>
#
# 提示：换成 `torch.optim.Adam(net.parameters())`，其余参数与 1.8 节相同；比较“最陡处”和“平滑损失最低点”两种读数。
#
# 答案（见下一个单元格的输出）：Adam 的最陡处约 0.00081、平滑损失最低点约 0.02，SGD（动量 0.9）分别约 0.0015 和 0.057。
# 按最低点算，两者只差约 0.45 个数量级（约 3 倍），不到一个数量级；Adam 的最陡处则正好落在它的默认学习率 $10^{-3}$ 附近。
# 常说的“Adam 用 $10^{-3}$、SGD 用 0.1”相差两个数量级，只是粗略的经验；对这个带 BN 的小网络，范围测试给出的差距要小得多——
# 这正是要为每个模型和优化器单独做一次范围测试的原因。
#
# </details>

# %%
# 练习 4
env.set_seed(0)
train_iter.generator.manual_seed(0)
net = small_bn_cnn()
rt_rows = [{"opt": "SGD（动量 0.9，1.8 节）", "steep": steepest, "min": lr_min}]
lrs_adam, losses_adam = range_test.lr_range_test(
    net, nn.CrossEntropyLoss(), torch.optim.Adam(net.parameters()), train_iter, start_lr=1e-7,
    end_lr=10, num_iter=env.pick(smoke=40, cpu=300, full=300))
rt_rows.append({"opt": "Adam", "steep": range_test.suggest_lr(lrs_adam, losses_adam),
                "min": range_test.range_test_regions(lrs_adam, losses_adam)[1]})
for row in rt_rows:
    row["log_ratio"] = math.log10(rt_rows[0]["min"] / row["min"])
table(rt_rows, [("opt", "优化器"), ("steep", "最陡处", ".2g"), ("min", "平滑损失最低点", ".2g"),
                ("log_ratio", "最低点比 SGD 小几个数量级", ".2f")])

# %% [markdown]
# **练习 5** 把单周期策略的 `max_lr` 从 0.05 提高到 0.2、0.5，观察准确率如何变化；这与“超收敛”的说法一致吗？
#
# <details><summary>提示与答案</summary>
#
# 提示：`make_setup("单周期", lr=0.2)` 给出同一初始化与批次顺序下的模型、优化器和 `OneCycleLR`。
#
# 答案（见下一个单元格的输出）：3 轮后的测试准确率为 0.9007（`max_lr=0.05`）、0.9007（0.2）和 0.8933（0.5）：
# 把峰值提高到 4 倍，最终精度不变，提高到 10 倍才变差，而且前两轮的准确率也更低（0.8345、0.8569）。
# 单周期策略确实让很大的峰值学习率也能稳定训练（0.5 远高于 1.8 节范围测试中平滑损失的最低点），这与 Smith 的观察一致；
# 但在这个小网络和 3 轮的预算下，更大的学习率并没有带来更快或更好的收敛。“超收敛”是在特定模型与数据（例如 CIFAR-10 上的
# ResNet）上观察到的现象，并不保证处处出现，也不能从一个种子的短实验里下结论。
#
# </details>

# %%
# 练习 5
ex5 = {"max_lr=0.05（1.12 节）": histories["单周期"]}
for max_lr in (0.2, 0.5):
    model, opt, sched, interval = make_setup("单周期", lr=max_lr)
    ex5[f"max_lr={max_lr:g}"] = fit(model, train_iter, test_iter, num_epochs=exp_epochs, optimizer=opt,
                                     scheduler=sched, scheduler_interval=interval, progress=False)
demos.results_table(ex5, target_acc)

# %% [markdown]
# ## 参考文献
#
# - Smith, L. N. (2017). Cyclical learning rates for training neural networks. *WACV*（arXiv:1506.01186, 2015）.
# - Smith, L. N., & Topin, N. (2019). Super-convergence: Very fast training of neural networks using large learning rates. arXiv:1708.07120.
# - Smith, L. N. (2018). A disciplined approach to neural network hyper-parameters: Part 1. arXiv:1803.09820.
# - Loshchilov, I., & Hutter, F. (2017). SGDR: Stochastic gradient descent with warm restarts. *ICLR*.
# - Loshchilov, I., & Hutter, F. (2019). Decoupled weight decay regularization. *ICLR*.
# - Vaswani, A. et al. (2017). Attention is all you need. *NeurIPS*（预热 + $1/\sqrt{t}$ 的学习率公式）.
# - Robbins, H., & Monro, S. (1951). A stochastic approximation method. *The Annals of Mathematical Statistics*, 22(3), 400–407.
# - Goyal, P. et al. (2017). Accurate, large minibatch SGD: Training ImageNet in 1 hour. arXiv:1706.02677（线性预热）.
# - Zhang, A., Lipton, Z. C., Li, M., & Smola, A. J. *Dive into Deep Learning*（《动手学深度学习》）, 第 11.11 节 学习率调度器.
# - PyTorch 文档：`torch.optim.lr_scheduler`，https://pytorch.org/docs/stable/optim.html
