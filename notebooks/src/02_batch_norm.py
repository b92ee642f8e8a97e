# %% [markdown]
# # 第2章 批量归一化
#
# [![在 Colab 中打开](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/dl-optim-course/course/blob/main/notebooks/02_batch_norm.ipynb)
#
# 训练深层网络时，学习率（learning rate）稍大就发散、稍小又几乎不动，初始化换一种方式结果就天差地别——这些都是“优化难”的表现。批量归一化（batch normalization，BN）是 2015 年提出的一个看似简单的技巧：在每一层里用当前小批量（minibatch）的均值和方差把中间结果标准化，再用两个可学习的参数把尺度还回去。它让很多网络可以用大得多的学习率训练，对初始化也不再那么敏感，至今仍是卷积网络的标准组件。本章先回顾训练流水线中与之相关的几个环节（激活函数、输入标准化、权重初始化），再从公式、从零实现、反向传播、推理时的统计量一路讲到实践中的坑。
#
# **学习目标**
#
# 1. 说明 sigmoid 饱和、输入尺度和权重初始化如何影响每层激活值的分布（小随机数 / 过大 / Xavier / He）；
# 2. 写出批量归一化的前向公式，解释为什么需要 $\gamma,\beta$，以及卷积层为什么“每个通道一对 $\gamma,\beta$”；
# 3. 从零实现 `batch_norm` 与 `BatchNorm` 模块，在训练和评估两种模式下与 `nn.BatchNorm1d/2d` 数值一致（含两种 momentum 约定与无偏方差）；
# 4. 推导 BN 的反向传播，并用 `torch.autograd.gradcheck` 在 float64 下验证；
# 5. 理解推理时的总体统计量，亲眼看到忘记 `model.eval()` 的后果；
# 6. 会用 `nn.BatchNorm1d/2d/3d`，知道 BN 放在哪里、什么时候会帮倒忙、迁移学习时怎么处理统计量；
# 7. 在 Fashion-MNIST 上对比有无 BN 的 LeNet 在不同学习率下的表现。
#
# **先修**：第0章（`course_utils` 的用法），多层感知机与卷积网络的基本结构，链式法则。

# %%
# 仅在 Colab 上运行：安装课程支持包并下载数据（本地环境会跳过）
import sys

if "google.colab" in sys.modules:
    !pip install -q "course-utils @ git+https://github.com/dl-optim-course/course.git"

# %%
from course_utils import env

device = env.setup_notebook()

# %%
import copy
import inspect

import matplotlib.pyplot as plt
import torch
from IPython.display import display
from torch import nn

from course_utils import models, plotting
from course_utils.data import fashion_mnist_arrays, load_fashion_mnist
from course_utils.demos import ch2_batch_norm as demos
from course_utils.models import lenet
from course_utils.models.batchnorm import BatchNormFunction, batch_norm_backward
from course_utils.tables import table
from course_utils.train import evaluate, fit
from course_utils.widgets import int_slider, interactive, log_slider

# %% [markdown]
# ## 2.1 训练流水线回顾
#
# 一次训练要做对很多事：选激活函数、预处理输入、初始化权重、加正则化、检查梯度。批量归一化与前三项关系最密切，我们逐一看。
#
# ### 激活函数
#
# **激活函数**（activation function）给网络带来非线性。sigmoid $\sigma(x)=1/(1+e^{-x})$ 曾是默认选择，但它的导数 $\sigma'(x)=\sigma(x)(1-\sigma(x))$ 最大只有 $0.25$，而且当 $|x|$ 较大时几乎为零——这叫**饱和**（saturation）。反向传播时每经过一个 sigmoid 层，梯度除了乘上权重，还要乘上一个不超过 0.25 的导数因子，层数一多梯度就越来越小，这就是**梯度消失**（vanishing gradient）。tanh 的导数最大为 1，但同样会饱和。ReLU（rectified linear unit）$\max(0,x)$ 在正半轴导数恒为 1，计算也最便宜，是今天的默认选择；LeakyReLU 给负半轴一个小斜率，避免神经元“死亡”；GELU 是 Transformer 中常用的平滑版本。下图左边是函数 $\phi(x)$，右边是用自动微分算出的导数 $\phi'(x)$。注意 $x>0$ 时 ReLU 与 LeakyReLU 完全相同，左图中两条线重合，右图中两者的导数都恒为 1，红线（LeakyReLU）盖住了绿线（ReLU）；它们只在负半轴上分开（导数 0 与 0.1）。

# %%
fig = demos.plot_activations()

# %% [markdown]
# ### 输入标准化
#
# 若输入特征的尺度相差很大，损失函数的等高线会被拉得又细又长，梯度下降只能用很小的学习率（第4章会详细分析）。最常见的预处理是**标准化**（standardization）：对每个特征减去训练集均值、除以训练集标准差，
# $$x' = \frac{x-\mu_{\text{train}}}{\sigma_{\text{train}}}.$$
# 注意统计量只能来自训练集，测试时沿用同一组数。批量归一化可以看作把这个想法搬进网络内部、逐层去做。下面计算 Fashion-MNIST 训练集像素（缩放到 $[0,1]$ 后）的均值和标准差：

# %%
# NBVAL_CHECK_OUTPUT
Xtr_u8, _, _, _ = fashion_mnist_arrays()
pixels = torch.from_numpy(Xtr_u8.copy()).float() / 255
mu, sigma = pixels.mean().item(), pixels.std().item()
print(f"训练集像素：均值 {mu:.4f}，标准差 {sigma:.4f}")
standardised = (pixels[:1000] - mu) / sigma
print(f"标准化后（前 1000 张）：均值 {standardised.mean():.3f}，标准差 {standardised.std():.3f}")

# %% [markdown]
# ### 权重初始化
#
# **权重初始化**（weight initialization）决定了训练起点处各层信号的尺度。设某层的预激活值为 $z_j = \sum_{i=1}^{n_{\text{in}}} w_{ji} x_i$，激活值为 $h_j = \phi(z_j)$；权重独立同分布、均值为零、方差为 $s^2$，且与输入 $x$ 独立。因为 $\mathbb E[w_{ji}]=0$，每一项的方差是 $\mathbb E[w_{ji}^2 x_i^2] = s^2\,\mathbb E[x_i^2]$，所以
# $$\operatorname{Var}[z_j] = n_{\text{in}}\, s^2\, \mathbb E[x^2].$$
# 注意这里出现的是输入的**二阶矩** $\mathbb E[x^2]$，而不是方差 $\operatorname{Var}[x]$；两者只在输入均值为零时相等。要让信号逐层传播时既不爆炸也不消失，需要 $n_{\text{in}} s^2\,\mathbb E[x^2] \approx \operatorname{Var}[z]$（上一层的预激活方差）：
#
# * **Xavier/Glorot 初始化**针对 tanh 这类关于原点对称、在零点附近近似恒等的激活：此时 $h\approx z$、均值近似为零，$\mathbb E[h^2]\approx\operatorname{Var}[z]$，条件变成 $n_{\text{in}} s^2\approx 1$；再兼顾反向传播（要求 $n_{\text{out}} s^2\approx 1$），折中取 $s^2 = \dfrac{2}{n_{\text{in}}+n_{\text{out}}}$。sigmoid 严格说不满足这个前提（零点附近 $\sigma(z)\approx\tfrac12+\tfrac z4$，均值为 $\tfrac12$、斜率只有 $\tfrac14$），但实践中也常用 Xavier 初始化它，本章的 sigmoid LeNet 就是这样。
# * **He/Kaiming 初始化**针对 ReLU。ReLU 的输出非负、均值不为零，必须用二阶矩：若 $z$ 关于零对称、方差为 $v$，则 $h=\max(0,z)$ 在 $z\le0$ 时为 0，在 $z>0$ 时等于 $z$。由对称性，$z>0$ 与 $z<0$ 两部分对 $\mathbb E[z^2]$ 的贡献相等，而 $h^2$ 只保留前一部分，所以 $\mathbb E[h^2] = \tfrac12\mathbb E[z^2] = v/2$。代入上式得 $\operatorname{Var}[z_{\text{下一层}}] = n_{\text{in}} s^2\, v/2$，要它等于 $v$ 就取 $s^2 = \dfrac{2}{n_{\text{in}}}$。（ReLU 输出的**方差**比 $v/2$ 还小：对高斯的 $z$，$\operatorname{Var}[h] = \tfrac v2 - \tfrac{v}{2\pi}\approx 0.34\,v$；逐层保持不变的是二阶矩，不是方差。）
#
# 下面把一批经过标准化的随机输入送过 8 个宽 256 的全连接层，记录每层激活值的标准差（对数坐标）。四种初始化：小随机数 $\mathcal N(0,0.01^2)$、过大 $\mathcal N(0,1)$、Xavier、He。

# %%
fig = demos.plot_init_statistics()

# %% [markdown]
# 逐层数字更直观。表中“饱和比例”对 tanh 是第 8 层 $|h|>0.99$（导数小于 0.02）的比例，对 ReLU 是第 8 层输出恰为 0 的比例；最后一列是第 8 层激活值的二阶矩 $\mathbb E[h^2]$。“初始化”一列中的 small、large、xavier、he 依次是上图中的小随机数、过大、Xavier、He：

# %%
# NBVAL_CHECK_OUTPUT
rows = []
for act in ("tanh", "relu"):
    for init in demos.INITS:
        s = demos.init_statistics(init, activation=act)
        rows.append({"act": act, "init": init, "std1": s["std"][0], "std4": s["std"][3],
                     "std8": s["std"][7], "sat": s["saturated"][7], "m2": s["second_moment"][7]})
table(rows, [("act", "激活函数"), ("init", "初始化"), ("std1", "第 1 层标准差", ".2e"),
             ("std4", "第 4 层标准差", ".2e"), ("std8", "第 8 层标准差", ".2e"),
             ("sat", "第 8 层饱和比例", ".2f"), ("m2", "第 8 层 E[h²]", ".2e")])

# %% [markdown]
# 小随机数让信号逐层缩小，到第 8 层标准差只剩 $10^{-7}$ 到 $10^{-8}$ 量级（反向传播的梯度同样会消失）；方差为 1 的初始化让 tanh 网络第 8 层 86% 的单元饱和（导数几乎为零），让 ReLU 网络的激活值指数级爆炸（第 8 层标准差约 $2\times10^{8}$）；Xavier 在 tanh 网络中只让尺度缓慢下降（第 1 层 0.63，第 8 层 0.26），但在 ReLU 网络里每层都让二阶矩减半，8 层之后 $\mathbb E[h^2]$ 只剩 $3.6\times10^{-3}$（约为 $2^{-8}\approx3.9\times10^{-3}$），标准差只剩 0.05；He 初始化正是为 ReLU 设计的：第 8 层的二阶矩仍为 0.93，标准差逐层保持在 0.8 左右——与上面的公式相符：$\mathbb E[h^2]=v/2=1$ 时 $v=2$，ReLU 输出的方差只有 $\tfrac v2-\tfrac v{2\pi}=1-1/\pi$，标准差 $\sqrt{1-1/\pi}\approx0.83$。ReLU 网络中无论哪种初始化，第 8 层都约有一半（0.50）的输出为 0——这是 ReLU 作用在零均值对称输入上的必然结果，与初始化无关，所以对 ReLU 来说真正要看的是尺度（二阶矩或标准差）。
#
# 好的初始化只能保证**训练开始时**各层分布合适；训练过程中权重不断变化，分布也随之漂移。批量归一化的思路是：不只在开始时，而是**每一步**都把中间层的分布拉回到合适的尺度。
#
# ### 正则化与梯度检验
#
# 流水线里还有两个环节：**正则化**（regularization，如权重衰减、暂退法 dropout、数据增强）控制过拟合；**梯度检验**（gradient checking）用有限差分验证手写的反向传播。后面我们会看到，批量归一化本身也有轻微的正则化效果（每个样本的输出依赖于同一批的其他样本，相当于注入噪声），而我们手写的 BN 反向传播正是用梯度检验来验证的。

# %% [markdown]
# ## 2.2 动机：内部协变量偏移及其争议
#
# Ioffe 和 Szegedy（2015）提出 BN 时给出的动机是**内部协变量偏移**（internal covariate shift，ICS）：训练中前面各层的参数在变，导致后面每一层的输入分布也在不断变化，后面的层只好不停地“追赶”一个移动的目标。把每层输入固定为均值 0、方差 1（再加可学习的缩放与平移），就能减轻这种偏移，从而可以用更大的学习率。
#
# 这个解释直观，但后来受到质疑。Santurkar 等（2018，*How Does Batch Normalization Help Optimization?*）做了两个实验：(1) 在 BN 层之后**故意**加入随时间变化的随机噪声，人为制造严重的分布偏移，网络依旧训练得和普通 BN 网络一样好；(2) 直接测量发现，BN 网络的“内部协变量偏移”并不比普通网络小。他们认为 BN 真正的作用是让**损失函数曲面更平滑**：损失和梯度的利普希茨常数（Lipschitz constant）变小，梯度方向在更大的步长范围内保持可靠，于是大学习率也不会跳出去。
#
# 公平地说，两种观点都有价值：“把每层输入标准化”是理解 BN 如何实现的好起点，也是它名字的来源；而“平滑损失曲面”更好地解释了它为什么有效。至今仍没有被普遍接受的完整理论，BN 也有正则化、对学习率尺度不敏感（权重缩放不变性）等其他解释。

# %% [markdown]
# ## 2.3 批量归一化的公式
#
# 设小批量 $\mathcal B$ 中某个特征的取值为 $x_1,\dots,x_m$。训练时，BN 先计算批量均值和（有偏）方差，
# $$\hat\mu_{\mathcal B} = \frac1m\sum_{i=1}^m x_i,\qquad \hat\sigma^2_{\mathcal B} = \frac1m\sum_{i=1}^m (x_i-\hat\mu_{\mathcal B})^2,$$
# 再标准化并做缩放和平移：
# $$\hat x_i = \frac{x_i-\hat\mu_{\mathcal B}}{\sqrt{\hat\sigma^2_{\mathcal B}+\epsilon}},\qquad y_i = \gamma\,\hat x_i + \beta .$$
# 其中 $\epsilon>0$（PyTorch 默认 $10^{-5}$）防止除以零；**拉伸参数** $\gamma$（scale）和**偏移参数** $\beta$（shift）是与其他权重一起学习的参数，初值分别为 1 和 0。
#
# **为什么需要 $\gamma,\beta$？** 只做标准化会限制网络的表达能力，例如 sigmoid 的输入被固定在零附近的近似线性区。有了 $\gamma,\beta$，网络可以学到任何需要的均值和尺度；特别地，取 $\gamma=\sqrt{\sigma^2+\epsilon}$、$\beta=\mu$（$\mu,\sigma^2$ 为该特征的均值和方差）就恢复了恒等变换，所以从表达能力上说，加入 BN 不会让网络“变差”。（严格地说，训练时每个批量的 $\hat\mu_{\mathcal B},\hat\sigma^2_{\mathcal B}$ 都略有不同，固定的 $\gamma,\beta$ 只能近似恢复恒等变换；推理时用固定的总体统计量，则可以精确恢复。）
#
# **统计量沿哪些维度计算？**
# * 全连接层：输入形状 $(N, C)$，对每个特征（列）在批量维 $N$ 上求均值和方差，共 $C$ 对 $\gamma,\beta$；
# * 卷积层：输入形状 $(N, C, H, W)$，对每个**通道**在 $N\times H\times W$ 个值上求统计量（$m=N\cdot H\cdot W$），仍然只有 $C$ 对 $\gamma,\beta$——同一通道的所有像素位置共享，不是每个像素一对。这与卷积“同一个卷积核在所有位置共享”的精神一致。

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
X = torch.randn(8, 6, 5, 5) * 3 + 2          # (N, C, H, W)
mean = X.mean(dim=(0, 2, 3), keepdim=True)   # 每个通道一个均值
var = X.var(dim=(0, 2, 3), keepdim=True, unbiased=False)
print("均值的形状", tuple(mean.shape), "；每个通道参与统计的值的个数 m =", 8 * 5 * 5)
print("nn.BatchNorm2d(6) 的参数：", {k: tuple(v.shape) for k, v in nn.BatchNorm2d(6).named_parameters()})
X_hat = (X - mean) / torch.sqrt(var + 1e-5)
print("归一化后每个通道的均值 ≈ 0:", torch.allclose(X_hat.mean(dim=(0, 2, 3)), torch.zeros(6), atol=1e-6))
gamma, beta = torch.sqrt(var + 1e-5), mean    # 选这样的 γ、β 就能恢复恒等变换
print("γ = sqrt(σ²+ε), β = μ 时 y == x:", torch.allclose(gamma * X_hat + beta, X, atol=1e-5))

# %% [markdown]
# ## 2.4 从零实现
#
# 训练和预测时 BN 的行为不同。**训练模式**（training mode）下用当前批量的统计量，同时维护**运行均值**（running mean）`running_mean` 和**运行方差**（running variance）`running_var`——它们是各批量均值、方差的**滑动平均**（moving average），用来估计整个数据集的**总体统计量**（population statistics）；**评估模式**（evaluation mode）下不再看当前批量，直接用这两个估计值。
#
# 这里的**动量**（momentum）只是滑动平均的系数，与优化器中的动量无关。关于它有两个容易混淆的约定：
#
# * **PyTorch 的 `momentum`（默认 0.1）是新批量统计量的权重**：$\;\text{running} \leftarrow (1-\text{momentum})\cdot\text{running} + \text{momentum}\cdot\text{batch}$；
# * 另一些地方的 momentum 指的是**旧值的权重**，如《动手学深度学习》从零实现中的 `momentum=0.9`：$\;\text{running} \leftarrow 0.9\cdot\text{running} + 0.1\cdot\text{batch}$；TensorFlow/Keras 也是这个约定（默认 0.99）。两种写法描述的是同一件事，两个数字之和为 1：PyTorch 的 0.1 相当于 d2l 的 0.9。
#
# 本课程沿用 PyTorch 的约定。另一个细节：标准化时用**有偏**方差（除以 $m$），而更新 `running_var` 时 PyTorch 用的是**无偏**方差（除以 $m-1$），即乘以原论文中的 $m/(m-1)$ 因子。原因是 $\mathbb E[\hat\sigma^2_{\mathcal B}] = \frac{m-1}{m}\sigma^2$：单个小批量的有偏方差系统性地低估了总体方差，推理时要用的是总体方差的**无偏估计**（unbiased estimate）。`running_var` 初值为 **1**（`running_mean` 为 0），这样在还没见过任何数据时，评估模式下的 BN（$\gamma=1,\beta=0$）就是恒等变换（只差一个 $\epsilon$）。
#
# 先把函数写出来。它是**纯函数**：返回输出和更新后的运行均值、运行方差，不修改传入的张量。课程包里的 `course_utils.models.batch_norm` 与它相同，只多了输入检查（下面会验证两者结果一致）。

# %%
def batch_norm(X, gamma, beta, running_mean, running_var, *, eps=1e-5, momentum=0.1,
               training=True):
    """Return (Y, new_running_mean, new_running_var) for X of shape (N, C) or (N, C, H, W)."""
    if X.ndim not in (2, 4):
        raise ValueError(f"批量归一化的输入 X 应为 2 或 4 维，收到 {X.ndim} 维")
    shape = (1, X.shape[1]) if X.ndim == 2 else (1, X.shape[1], 1, 1)
    if not training:  # 预测：用总体统计量的估计
        X_hat = (X - running_mean.reshape(shape)) / torch.sqrt(running_var.reshape(shape) + eps)
        return gamma.reshape(shape) * X_hat + beta.reshape(shape), running_mean, running_var
    dims = (0,) if X.ndim == 2 else (0, 2, 3)          # 全连接：按特征；卷积：按通道
    m = X.numel() // X.shape[1]
    mean = X.mean(dim=dims, keepdim=True)
    var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)  # 有偏方差（除以 m）
    X_hat = (X - mean) / torch.sqrt(var + eps)
    Y = gamma.reshape(shape) * X_hat + beta.reshape(shape)
    with torch.no_grad():  # 滑动平均不参与求导
        new_mean = (1 - momentum) * running_mean + momentum * mean.reshape(-1)
        new_var = (1 - momentum) * running_var + momentum * var.reshape(-1) * m / (m - 1)
    return Y, new_mean, new_var


# %% [markdown]
# 再把它包装成模块。模块负责保存状态，这正是 `__init__` 里要做的事：
#
# * $\gamma,\beta$ 是 `nn.Parameter`，初值分别为全 1 和全 0，会出现在 `parameters()` 里、被优化器更新；
# * 两个滑动平均用 `register_buffer` 注册为**缓冲区**（buffer）——它们不是参数、不求梯度，但会随 `.to(device)` 移动、会被写进 `state_dict()`。`running_mean` 初值为 0，**`running_var` 初值为 1**（不是 0：若初值为 0，还没训练就切到评估模式时，BN 会除以 $\sqrt{0+\epsilon}$，把输入放大 $1/\sqrt{10^{-5}}\approx 316$ 倍）。
#
# `forward` 只是调用上面的函数；`self.training` 由 `model.train()` / `model.eval()` 切换，训练模式下把新的滑动平均原地写回缓冲区。`num_dims` 说明输入是全连接层的 $(N, C)$（2）还是卷积层的 $(N, C, H, W)$（4），与《动手学深度学习》的写法相同。

# %%
class BatchNorm(nn.Module):
    """Batch normalization for (N, C) input (num_dims=2) or (N, C, H, W) input (num_dims=4)."""

    def __init__(self, num_features, num_dims, eps=1e-5, momentum=0.1):
        super().__init__()
        self.num_features, self.num_dims = num_features, num_dims
        self.eps, self.momentum = eps, momentum
        # 可学习的参数：拉伸参数 γ 初值为 1，偏移参数 β 初值为 0
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        # 缓冲区：不求梯度，但随 .to(device) 移动、写进 state_dict()
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))   # 初值为 1

    def forward(self, X):
        Y, new_mean, new_var = batch_norm(
            X, self.gamma, self.beta, self.running_mean, self.running_var,
            eps=self.eps, momentum=self.momentum, training=self.training)
        if self.training:                      # 评估模式下缓冲区保持不变
            self.running_mean.copy_(new_mean)
            self.running_var.copy_(new_var)
        return Y


# %% [markdown]
# 课程包里的 `course_utils.models.BatchNorm`（本章 LeNet 用的就是它）与上面的类相同，只在 `__init__` 和 `forward` 里多了参数与输入检查，出错时给出中文说明。先确认两者的参数、缓冲区和初值完全一样：

# %%
# NBVAL_CHECK_OUTPUT
ours, course = BatchNorm(6, num_dims=4), models.BatchNorm(6, num_dims=4)
for name, a, b in (("参数", ours.named_parameters(), course.named_parameters()),
                   ("缓冲区", ours.named_buffers(), course.named_buffers())):
    a, b = dict(a), dict(b)
    same = a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    print(f"{name}：{ {k: v[:3].tolist() for k, v in a.items()} }（只列前 3 个通道），与课程包相同：{same}")
print("state_dict 的键：", list(ours.state_dict()))

# %% [markdown]
# 下面验证三份实现（内联的 `batch_norm` 函数、内联的 `BatchNorm` 类和课程包中的 `models.BatchNorm`）与 PyTorch 完全一致：用 5 个均值不断漂移的小批量，在每一步比较**训练模式**的输出和两个缓冲区，再比较**评估模式**的输出。

# %%
# NBVAL_CHECK_OUTPUT
def compare_with_torch(num_dims, steps=5, C=4):
    torch.manual_seed(0)
    modules = [BatchNorm(C, num_dims=num_dims), models.BatchNorm(C, num_dims=num_dims)]
    ref = nn.BatchNorm1d(C) if num_dims == 2 else nn.BatchNorm2d(C)
    with torch.no_grad():
        g, b = torch.rand(C) + 0.5, torch.randn(C)
        for m in modules:
            m.gamma.copy_(g), m.beta.copy_(b)
        ref.weight.copy_(g), ref.bias.copy_(b)
    rm, rv = torch.zeros(C), torch.ones(C)   # 内联函数自己的滑动平均
    worst = 0.0
    for step in range(steps):
        X = torch.randn((16, C) if num_dims == 2 else (16, C, 5, 5)) * 2 + step
        ref.train()
        Y_ref = ref(X)
        Y_inline, rm, rv = batch_norm(X, g, b, rm, rv, training=True)
        pairs = [(Y_inline, Y_ref), (rm, ref.running_mean), (rv, ref.running_var)]
        for m in modules:
            m.train()
            pairs += [(m(X), Y_ref), (m.running_mean, ref.running_mean), (m.running_var, ref.running_var)]
        ref.eval()
        Xe = torch.randn(X.shape) + step
        Y_ref = ref(Xe)
        pairs.append((batch_norm(Xe, g, b, rm, rv, training=False)[0], Y_ref))
        for m in modules:
            m.eval()
            pairs.append((m(Xe), Y_ref))
        worst = max([worst] + [(a - r).abs().max().item() for a, r in pairs])
    return worst


for nd, name in ((2, "nn.BatchNorm1d"), (4, "nn.BatchNorm2d")):
    print(f"{name}: 5 步训练 + 评估，三份实现的输出与缓冲区的最大误差 < 1e-5：{compare_with_torch(nd) < 1e-5}")

# %% [markdown]
# 如果更新 `running_var` 时忘了 $m/(m-1)$ 因子会怎样？批量越小差得越多：

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
rows = []
for m in (4, 16, 256):
    X = torch.randn(m, 3)
    ref = nn.BatchNorm1d(3, momentum=1.0)   # momentum=1：running_var 就等于本批量的估计
    ref(X)
    biased = X.var(dim=0, unbiased=False)
    rows.append((m, (biased / ref.running_var).mean().item(), (m - 1) / m))
table(rows, [(0, "批量大小 m"), (1, "有偏方差 / running_var", ".4f"), (2, "(m−1)/m", ".4f")])

# %% [markdown]
# ## 2.5 反向传播
#
# 自动微分会替我们求导，但推导一遍能看清 BN 的梯度为什么“好”。记 $\sigma=\sqrt{\hat\sigma^2_{\mathcal B}+\epsilon}$，上游梯度为 $g_i = \partial L/\partial y_i$。对参数：
# $$\frac{\partial L}{\partial \beta} = \sum_i g_i,\qquad \frac{\partial L}{\partial \gamma} = \sum_i g_i\,\hat x_i .$$
# 对输入，关键是 $\hat\mu$ 和 $\hat\sigma^2$ 本身都依赖于**每一个** $x_i$。由 $\partial \hat x_j/\partial x_i = \frac1\sigma\big(\delta_{ij} - \frac1m - \frac1m \hat x_i \hat x_j\big)$（用到了 $\partial\hat\mu/\partial x_i = 1/m$ 和 $\partial\hat\sigma^2/\partial x_i = 2(x_i-\hat\mu)/m$），得到
# $$\frac{\partial L}{\partial x_i} = \frac{\gamma}{\sigma}\Big(g_i - \frac1m\sum_j g_j - \hat x_i\cdot\frac1m\sum_j g_j\,\hat x_j\Big).$$
# 括号里从 $g$ 中减去了它的均值，以及它在 $\hat x$ 方向上的分量（因为 $\sum_j \hat x_j^2 = m\,\hat\sigma^2_{\mathcal B}/(\hat\sigma^2_{\mathcal B}+\epsilon)\approx m$，这近似就是向 $\hat x$ 的投影）。于是传回去的梯度 $\partial L/\partial \mathbf x$ 各分量之和为零，且（在 $\epsilon\to0$ 时）与 $\hat{\mathbf x}$ 正交：它在“整体平移”和“整体缩放”这两个方向上没有分量。这正是 BN 的平移不变性与尺度不变性在梯度上的体现——输入整体平移或放缩时输出不变，损失沿这两个方向的导数自然为零。由此还能推出（练习 4）：把 BN 前一层的权重整体放大 $a$ 倍，输出不变，而该层权重的梯度缩小为原来的 $1/a$，所以 BN 网络对权重的尺度不敏感。
#
# 课程包中的 `batch_norm_backward` 实现了这个公式，`BatchNormFunction` 把前向和手写的反向包装成 `torch.autograd.Function`。`gradcheck` 用有限差分（在 float64 下才足够精确）检查反向传播：

# %%
print(inspect.getsource(batch_norm_backward))

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
for shape in ((8, 3), (4, 3, 5, 5)):
    X = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    gamma = (torch.rand(3, dtype=torch.float64) + 0.5).requires_grad_()
    beta = torch.randn(3, dtype=torch.float64, requires_grad=True)
    ok_manual = torch.autograd.gradcheck(BatchNormFunction.apply, (X, gamma, beta))
    zeros, ones = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    ok_autograd = torch.autograd.gradcheck(
        lambda X, g, b: models.batch_norm(X, g, b, zeros, ones, training=True)[0], (X, gamma, beta))
    print(f"输入形状 {shape}: 手写反向 gradcheck {ok_manual}，自动微分 gradcheck {ok_autograd}")

# %% [markdown]
# ## 2.6 推理：总体统计量
#
# 训练结束后，我们希望模型对单个样本的预测是确定的，不应依赖于它恰好和哪些样本分在同一批（预测时批量甚至可能只有 1 个样本）。因此推理时要用整个训练集的**总体统计量**。原论文的做法是：训练完成后，用许多个小批量（大小均为 $m$）的统计量求平均，
# $$\mathbb E[x] = \mathbb E_{\mathcal B}[\hat\mu_{\mathcal B}],\qquad \operatorname{Var}[x] = \frac{m}{m-1}\,\mathbb E_{\mathcal B}[\hat\sigma^2_{\mathcal B}],$$
# 注意第二式中的无偏修正。PyTorch（以及几乎所有框架）则在训练过程中顺便维护**指数滑动平均**（exponential moving average），省去了额外的一遍数据；代价是它混合了训练中不同阶段（不同参数下）的统计量，`momentum` 越大越偏向最近的批量，越小越平滑但越“滞后”。
#
# 推理时 BN 就变成了一个固定的逐通道**仿射变换**（affine transformation，见 2.11 节）$y = \gamma\frac{x-\mathbb E[x]}{\sqrt{\operatorname{Var}[x]+\epsilon}} + \beta$，甚至可以合并进前一层的卷积权重里（部署时常做的“BN 折叠”）。
#
# ### 交互：momentum、eps 与批量大小
#
# 下面模拟一个只有一个特征的 BN 层：数据来自 $\mathcal N(3, 0.5^2)$，连续喂入 100 个小批量（训练模式），左、中两图是 `running_mean` 与 `running_var` 的轨迹（从 0 和 1 出发），右图是之后切换到评估模式（`eval()`）、用运行均值和运行方差归一化 5000 个新样本得到的分布。试试看：
# * `momentum` 越大，滑动平均跟得越快、也越抖；太小（如 0.001）则 100 步后还远未到达真实值；
# * `eps` 与方差（0.25）可比时，归一化后的标准差明显小于 1；
# * `batch_size` 很小时，每批的均值和方差噪声很大，总体统计量的估计也随之变差。
#
# 先画一张默认参数的静态图：

# %%
fig = demos.draw_running_stats(momentum=0.1, eps=1e-5, batch_size=16)

# %%
panel = interactive(demos.draw_running_stats,
                    momentum=log_slider(0.1, 0.001, 1.0, description="momentum"),
                    eps=log_slider(1e-5, 1e-5, 1.0, description="eps"),
                    batch_size=int_slider(16, 2, 256, description="batch_size"))
panel

# %% [markdown]
# ## 2.7 PyTorch 中的 BatchNorm 层
#
# PyTorch 按输入的维数提供三个类，统计量总是按第 1 维（通道/特征）分别计算：
#
# | 类 | 输入形状 | 统计的维度 | 典型位置 |
# |---|---|---|---|
# | `nn.BatchNorm1d(C)` | $(N, C)$ 或 $(N, C, L)$ | $N$（或 $N, L$） | 全连接层、一维卷积 |
# | `nn.BatchNorm2d(C)` | $(N, C, H, W)$ | $N, H, W$ | 二维卷积 |
# | `nn.BatchNorm3d(C)` | $(N, C, D, H, W)$ | $N, D, H, W$ | 三维卷积（视频、体数据） |
#
# 主要参数：`num_features`（即 $C$）、`eps`、`momentum`（新批量的权重；设为 `None` 则使用累积平均）、`affine`（是否有可学习的 $\gamma,\beta$，即 `weight`/`bias`）、`track_running_stats`（是否维护滑动平均；为 `False` 时评估模式也用当前批量的统计量）。

# %%
# NBVAL_CHECK_OUTPUT
for layer, X in ((nn.BatchNorm1d(4), torch.randn(8, 4)), (nn.BatchNorm1d(4), torch.randn(8, 4, 10)),
                 (nn.BatchNorm2d(4), torch.randn(8, 4, 6, 6)), (nn.BatchNorm3d(4), torch.randn(8, 4, 3, 6, 6))):
    print(f"{layer}\n    输入 {tuple(X.shape)} → 输出 {tuple(layer(X).shape)}")
bn = nn.BatchNorm2d(4)
print("参数：", [(k, tuple(v.shape)) for k, v in bn.named_parameters()])
print("缓冲区：", [(k, tuple(v.shape)) for k, v in bn.named_buffers()])
print(nn.BatchNorm2d(4, affine=False, track_running_stats=False),
      "参数个数", sum(p.numel() for p in nn.BatchNorm2d(4, affine=False).parameters()))

# %% [markdown]
# 注意 `num_batches_tracked`：它记录训练了多少个批量，只在 `momentum=None`（累积平均）时才用得到。

# %% [markdown]
# ## 2.8 BN 放在哪里
#
# 原论文把 BN 放在**仿射层（全连接或卷积）之后、激活函数之前**：$h = \phi(\mathrm{BN}(Wx))$。理由是 $Wx$ 是许多项之和，分布更接近对称、类高斯的形状，用均值和方差刻画它更合适；而激活之后（例如 ReLU 的输出）的分布严重偏斜、非负。由于 BN 会减去均值，前一层的偏置 $b$ 是多余的（常写成 `bias=False`；本章的 LeNet 为了与无 BN 的版本结构完全一致而保留了偏置，见练习 1）。实践中也有人把 BN 放在激活之后，效果往往差别不大——这是一个值得自己在具体任务上试一试的超参数。本章的 LeNet 采用“卷积/全连接 → BN → sigmoid”：

# %%
# NBVAL_CHECK_OUTPUT
print(lenet(batch_norm=True))

# %% [markdown]
# ## 2.9 实验：有无 BN 的 LeNet
#
# 我们在完整的 Fashion-MNIST（6 万张训练图、1 万张测试图）上训练经典的 sigmoid LeNet，有 BN 和无 BN 两个版本除了 BN 层之外结构完全相同（卷积层和全连接层的权重都用 Xavier 初始化，偏置初值为 0），只改学习率。优化器是普通的**小批量随机梯度下降**（minibatch SGD），批量大小 256。`cpu` 模式下学习率网格中每个配置只训练 `GRID_EPOCHS` = 3 **轮**（epoch），看的是“起步”快慢；随后把有 BN 的网络在学习率 1.0 下训练 `TARGET_EPOCHS` = 10 轮。`train_lenet` 的参数 `build` 可以换成别的网络构造函数（练习 2 会用到）。

# %%
BATCH_SIZE = 256
SUBSET = env.pick(smoke=2048, cpu=None, full=None)     # smoke 只用一小部分数据
GRID_LRS = [0.1, 0.3, 1.0, 3.0]
GRID_EPOCHS = env.pick(smoke=1, cpu=3, full=10)
TARGET_EPOCHS = env.pick(smoke=1, cpu=10, full=10)
train_iter, test_iter = load_fashion_mnist(BATCH_SIZE, subset=SUBSET, device=device)
print(f"训练样本 {train_iter.num_examples}，测试样本 {test_iter.num_examples}，"
      f"网格每个配置 {GRID_EPOCHS} 轮，目标实验 {TARGET_EPOCHS} 轮")


def train_lenet(lr, num_epochs, *, batch_norm, bn_impl="scratch", seed=0, build=lenet):
    """Train a fresh LeNet; every run sees the same initial weights and the same batch order."""
    env.set_seed(seed)
    net = build(batch_norm=batch_norm, bn_impl=bn_impl).to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    run_train_iter, _ = load_fashion_mnist(BATCH_SIZE, subset=SUBSET, device=device, seed=seed)
    hist = fit(net, run_train_iter, test_iter, num_epochs=num_epochs, optimizer=optimizer,
               device=device, progress=False)
    return net, hist


# %%
grid, grid_nets = {}, {}
for lr in GRID_LRS:
    for bn_on in (False, True):
        net, hist = train_lenet(lr, GRID_EPOCHS, batch_norm=bn_on)
        grid[lr, bn_on], grid_nets[lr, bn_on] = hist, net
        print(f"lr={lr:<4} {'有 BN' if bn_on else '无 BN'}：{hist.summary()}，每轮 {hist.final()['sec_per_epoch']:.1f} s")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
for ax, bn_on in zip(axes, (False, True)):
    accs = [grid[lr, bn_on].test_acc for lr in GRID_LRS]  # 发散的配置会提前停止，曲线可能更短
    labels = demos.mark_coincident([f"lr={lr}" for lr in GRID_LRS], accs)  # 重合的曲线在图例里注明
    plotting.plot([list(range(1, len(a) + 1)) for a in accs], accs, ax=ax, legend=labels,
                  fmts=("o-", "s--", "^-.", "x:"), title="有 BN" if bn_on else "无 BN",
                  xlabel="轮", ylabel="测试准确率", ylim=(0, 1))
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(fontsize=9)
fig.tight_layout()
table([{"lr": lr, "plain": grid[lr, False].final().get("test_acc"),
        "bn": grid[lr, True].final().get("test_acc")} for lr in GRID_LRS],
      [("lr", "学习率", "g"), ("plain", "无 BN", ".3f"), ("bn", "有 BN", ".3f")],
      caption=f"训练 {GRID_EPOCHS} 轮后的测试准确率")

# %% [markdown]
# 表格很能说明问题，但要记住这只是**训练 3 轮**后的快照。没有 BN 时，sigmoid LeNet 对学习率非常挑剔：学习率 0.1 时测试准确率仍是 0.100，等于随机猜测——训练损失停在 2.303 ≈ $\ln 10$（对 10 个类别均匀猜测时的交叉熵），梯度要穿过 4 个 sigmoid 层，很可能太小，3 轮内网络还没有走出起始的平台；学习率 0.3 和 1.0 时分别达到 0.593 和 0.703，曲线仍在上升，多训练几轮还会继续提高；学习率 3.0 时又回到 0.100（损失 2.306，没有出现 NaN），这一次是步子太大，3 轮内同样什么也没学到。左图中学习率 0.1 和 3.0 的两条曲线每一轮都是 0.100，完全重合（图例中注明了“重合”），所以左图里只看得见三条线。加了 BN 的同一网络在四个学习率下，3 轮后的测试准确率分别为 0.768、0.801、0.834 和 0.780：在无 BN 网络完全失败的两端（学习率 0.1 和 3.0）它都照样能训练，可用的学习率范围宽得多。BN 网络的测试准确率在相邻两轮之间有起伏（学习率 0.1 和 0.3 时第 2 轮反而下降），原因在下面的目标实验中讨论。代价是每一步多了归一化的计算。上面打印的每轮耗时不适合用来比较这一点：计时受运行时机器负载的影响，这次运行中同一个无 BN 网络在不同学习率下的每轮耗时就相差好几倍；要比较速度，应在空闲的机器上重复计时（下面的目标实验比较了两种 BN 实现的速度）。
#
# ### 目标实验：从零实现与 `nn.BatchNorm` 对比
#
# 用学习率 1.0 把有 BN 的 LeNet 训练 `TARGET_EPOCHS` 轮，一次用我们从零实现的 `BatchNorm`，一次用 `nn.BatchNorm1d/2d`（同一随机种子、同样的初始化）。两者计算的是同一个函数，初始权重和批量顺序也相同，准确率应当几乎一样，差别只能来自浮点舍入；速度上，PyTorch 的实现是一个融合好的底层算子，我们的版本由若干个张量运算拼成。

# %%
results = {}
for impl in ("scratch", "torch"):
    net, hist = train_lenet(1.0, TARGET_EPOCHS, batch_norm=True, bn_impl=impl)
    results[impl] = (net, hist)
    print(f"{impl:7s}: {hist.summary()}")
IMPL_NAMES = {"scratch": "从零实现", "torch": "nn.BatchNorm"}
curves = {f"{IMPL_NAMES[impl]}·{name}": getattr(h, key) for impl, (_, h) in results.items()
          for name, key in (("测试准确率", "test_acc"), ("训练准确率", "train_acc"))}
labels = demos.mark_coincident(list(curves), list(curves.values()))
fig, ax = plt.subplots(figsize=(7, 3.8))
for i, (label, c) in enumerate(zip(labels, curves.values())):
    epochs = list(range(1, len(c) + 1))
    if i < 2:   # 从零实现：粗的浅色线；nn.BatchNorm：叠在上面的细线和圆点，重合时两者都看得见
        ax.plot(epochs, c, color=f"C{i}", lw=7, alpha=0.3, label=label)
    else:
        ax.plot(epochs, c, "o-", color=f"C{i - 2}", lw=1, ms=4, label=label)
ax.set(xlabel="轮", ylabel="准确率", title="有 BN 的 LeNet，学习率 1.0")
ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
ax.legend(fontsize=8)
fig.tight_layout()
table([{"impl": IMPL_NAMES[impl], "final": h.final()["test_acc"], "best": max(h.test_acc),
        "speed": h.final()["examples_per_sec"]} for impl, (_, h) in results.items()],
      [("impl", "实现"), ("final", "最终测试准确率", ".3f"), ("best", "最高测试准确率", ".3f"),
       ("speed", "样本/秒", ".0f")])

# %% [markdown]
# 学习率 1.0、训练 10 轮后，从零实现的 BN-LeNet 测试准确率为 0.865（10 轮中最高的一轮为 0.894），超过了 0.85。作为参照，《动手学深度学习》书中打印的结果是从零实现 0.852、简洁实现 0.801（同样是学习率 1.0、10 轮，网络细节略有不同）。两种实现的损失和准确率在三位小数上完全相同，所以图中每一对曲线都重合（图例里注明了“重合”）：浅色的粗线是从零实现，叠在上面的细线和圆点是 `nn.BatchNorm`，两者并没有哪一条缺失。它们的初始权重和批量顺序都一样，计算的是同一个函数，差别只在浮点舍入。书中的两次运行初始权重和批量顺序不同，所以两个数字之差（0.852 对 0.801）并不说明哪种实现更好，更多反映的是单次运行的测试准确率波动有多大——看看上图中相邻两轮之间的起伏就知道了。
#
# 速度上，这次运行中 `nn.BatchNorm` 更快（见表中“样本/秒”一列；计时受机器负载影响，只宜看相对快慢，重复运行时具体数字会变）：PyTorch 用一个融合的底层算子一次完成求均值、方差、归一化和仿射变换（反向传播也是专门的内核），而我们的版本由若干个张量运算拼成，要创建多个中间张量。
#
# 还要注意：训练准确率平稳上升，测试准确率却在相邻两轮之间明显起伏。学习率 1.0 时权重变化很快，评估所用的运行均值和运行方差混合了前面许多步（不同权重下）的批量统计量，有些“滞后”。后面迁移学习一节会看到，用最终权重重新估计统计量，测试准确率确实会提高。
#
# ### 学到的拉伸参数与偏移参数
#
# 像《动手学深度学习》那样，看看训练后第一个 BN 层（紧跟第一个卷积层，6 个通道）学到了什么。$\gamma,\beta$ 从 1 和 0 出发，由梯度下降更新；同一个表里也列出该层的运行均值和运行方差，它们是统计出来的，不是学出来的：

# %%
bn_layer = results["scratch"][0][1]   # lenet(batch_norm=True) 中下标 1 是第一个 BN 层
print(bn_layer)
table([{"c": c + 1, "gamma": bn_layer.gamma[c].item(), "beta": bn_layer.beta[c].item(),
        "mean": bn_layer.running_mean[c].item(), "var": bn_layer.running_var[c].item()}
       for c in range(bn_layer.num_features)],
      [("c", "通道"), ("gamma", "γ", ".3f"), ("beta", "β", ".3f"),
       ("mean", "运行均值", ".3f"), ("var", "运行方差", ".3f")])

# %% [markdown]
# 六个通道的 $\gamma$ 都离开了初值 1，在 1.965 到 4.169 之间；$\beta$ 从 $-3.483$ 到 2.376，有正有负。BN 的输出 $\gamma\hat x+\beta$ 正是下一层 sigmoid 的输入，所以网络自己选择了比标准正态更宽的尺度（标准差约为 $\gamma$，即 2 到 4），并把各通道的中心移离 0：例如第 2 个通道 $\beta=-3.483$，它的大部分值落在 sigmoid 的下半段，sigmoid 在那里是明显非线性的。这说明 BN 并不是把每层的输入“固定为均值 0、方差 1”——标准化之后，$\gamma,\beta$ 又把尺度和位置交还给了网络。运行均值和运行方差则描述的是卷积层输出（BN 之前）的分布，与 $\gamma,\beta$ 是两回事（见误区 1）。

# %% [markdown]
# ### 激活前的分布
#
# 取一批（256 张）测试图像，用学习率网格中学习率 1.0、训练 3 轮的两个网络，在评估模式下记录 4 个 sigmoid 层的**输入**（预激活值）。灰色区域 $|x|>4$ 中 sigmoid 的导数小于 0.02，落在那里的值几乎传不回梯度。

# %%
X_batch, y_batch = next(iter(test_iter))
X_batch = X_batch.to(device)
fig = demos.plot_preactivation_histograms(
    {"无 BN": grid_nets[1.0, False], "有 BN": grid_nets[1.0, True]}, X_batch,
    layer_names=["卷积层 1", "卷积层 2", "全连接层 1", "全连接层 2"])
print("落在灰色区域（|预激活值| > 4）的比例，依次为卷积层 1、卷积层 2、全连接层 1、全连接层 2：")
for name, net in (("无 BN", grid_nets[1.0, False]), ("有 BN", grid_nets[1.0, True])):
    pre = demos.collect_preactivations(net, X_batch)
    print(f"  {name}：" + "  ".join(f"{(p.abs() > 4).float().mean().item():.3f}" for p in pre))

# %% [markdown]
# 无 BN 的网络中，第二个卷积层的预激活值有一大团聚在 $-4$ 左右，并向 $-10$ 拖出一条长尾（标准差 3.41），34% 落在灰色饱和区，sigmoid 在那里几乎传不回梯度；有 BN 的网络中这一比例只有 2%（标准差 1.43）。两个全连接层也一样：无 BN 时分别有 5% 和 6% 的值落在灰色区域，有 BN 时几乎为零。第一个卷积层是例外：有无 BN 时标准差都约为 2.5，都约有 11% 的值落在灰色区域。这也说明 BN 并不把方差强行固定为 1：$\gamma,\beta$ 是学出来的，网络自己选择了需要的尺度。
#
# ### 忘记 `model.eval()` 的后果
#
# `fit` 和 `evaluate` 会替我们切换模式，但自己写推理代码时很容易忘记调用 `model.eval()`。那样 BN 会用**当前测试批量**的统计量来归一化，并且——即使在 `torch.no_grad()` 下——还会**更新滑动平均**，悄悄破坏训练好的模型。当测试批量与训练数据的分布相近（随机打乱的大批量）时，差别不大；但真实场景中的批量往往不是随机的，例如按类别或时间顺序到达。下面把测试集按类别排序后切成 100 张一批：

# %%
bn_net = results["scratch"][0]
X_all = torch.cat([X for X, _ in test_iter]).to(device)
y_all = torch.cat([y for _, y in test_iter]).to(device)
order = torch.argsort(y_all, stable=True)
sorted_batches = [(X_all[order][i:i + 100], y_all[order][i:i + 100]) for i in range(0, len(order), 100)]


def accuracy_in_mode(net, batches, train_mode):
    net.train(train_mode)
    with torch.no_grad():
        correct = sum((net(X).argmax(1) == y).sum().item() for X, y in batches)
    net.eval()
    return correct / sum(len(y) for _, y in batches)


forgetful = copy.deepcopy(bn_net)
bn1 = forgetful[1]
before = bn1.running_mean.clone()
rows = [("评估模式（正确做法）", accuracy_in_mode(forgetful, sorted_batches, False)),
        ("训练模式，按类别排序的批量", accuracy_in_mode(forgetful, sorted_batches, True)),
        ("之后再切回评估模式", accuracy_in_mode(forgetful, sorted_batches, False))]
print(f"第一个 BN 层的 running_mean 被改动了：{not torch.allclose(before, bn1.running_mean)}")
table(rows, [(0, "做法"), (1, "测试准确率", ".3f")])

# %% [markdown]
# 正确使用评估模式时测试准确率为 0.865；忘记调用 `eval()`、按类别排序的批量上准确率跌到 0.152——每一批几乎只有一个类别，批量统计量把“这一类共有的特征”当作均值减掉了，剩下的只是类内差异。更隐蔽的是副作用：这一遍“预测”悄悄改写了滑动平均，之后即使切回评估模式，准确率也只剩 0.824。所以：推理前调用 `model.eval()`，训练时再调用 `model.train()`；`torch.no_grad()` 只关闭梯度，不会切换 BN 的模式。

# %% [markdown]
# ## 2.10 BN 什么时候会帮倒忙
#
# BN 的统计量来自小批量，所以批量本身“不够好”时它就会出问题：
#
# * **批量大小为 1**：全连接层每个特征只有一个值，方差为零，无法归一化——PyTorch 在训练模式下直接报错。卷积层虽然还有 $H\times W$ 个值，但那只是单张图片内部的统计量。
# * **很小的批量**（如 2～8，常见于检测、分割等大图任务）：批量统计量噪声很大，训练与推理时的统计量差别也大，精度明显下降。
# * **近乎相同的样本**：批量方差接近零，$\hat x = (x-\hat\mu)/\sqrt{\hat\sigma^2+\epsilon}$ 会把微小的差异（甚至噪声）放大到 $\pm1$ 的量级。
# * 循环网络、批量中样本彼此相关、或训练与推理的数据分布不同时，也需要格外小心。
#
# 常见的替代方案不依赖批量维：**层归一化**（layer normalization，`nn.LayerNorm`；Ba 等，2016）对每个样本在特征维上归一化，是 Transformer 的标准选择；**组归一化**（group normalization，`nn.GroupNorm`；Wu & He，2018）把通道分组、在每个样本的每组内归一化，在小批量的视觉任务中表现稳定。

# %%
# NBVAL_CHECK_OUTPUT
try:
    nn.BatchNorm1d(3)(torch.randn(1, 3))
except ValueError as e:
    print("批量大小为 1：ValueError:", e)
torch.manual_seed(0)
X = 5.0 + 1e-2 * torch.randn(8, 1)   # 8 个几乎相同的样本
Y = nn.BatchNorm1d(1)(X)
print(f"输入的标准差 {X.std():.4f} → 输出的标准差 {Y.std():.2f}（微小差异被放大约 {Y.std() / X.std():.0f} 倍）")
print("LayerNorm 对单个样本照样可用：", nn.LayerNorm(3)(torch.tensor([[1.0, 2.0, 3.0]])).detach())

# %% [markdown]
# ### 迁移学习与滑动统计量
#
# 在迁移学习（transfer learning）中，我们常把在大数据集上预训练的网络拿来在新数据上微调。BN 的 `running_mean`/`running_var` 来自**旧数据**；如果新数据的分布不同（不同的相机、光照、领域），这些统计量就不再合适。常见的做法有：
#
# 1. 微调时让 BN 处于训练模式，统计量随新数据更新（数据够多、批量够大时）；
# 2. 冻结权重，只在新数据上**重新估计**统计量：`reset_running_stats()`，设 `momentum=None`（累积平均），在训练模式下无梯度地前向若干批——不需要标签；
# 3. 数据很少、批量很小时，反而把 BN 固定在评估模式（冻结统计量和 $\gamma,\beta$）更稳定。
#
# 下面模拟“新领域”：把测试图像的对比度减半再整体提亮（$x' = 0.5x + 0.3$），看沿用旧统计量和用 20 批**无标签**的、同样变换过的训练图像重新估计统计量（做法 2，不改任何权重）的差别。最后一行作为对照，在原数据上做同样的重新估计。

# %%
def reestimate_bn_stats(net, batches, transform=lambda X: X, num_batches=20):
    """Copy of ``net`` whose nn.BatchNorm statistics are re-estimated on ``num_batches`` batches
    (cumulative average, no labels, no weight change)."""
    net = copy.deepcopy(net)
    for m in net.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.reset_running_stats()
            m.momentum = None                      # 累积平均：每一批的权重相同
    net.train()
    with torch.no_grad():
        for i, (X, _) in enumerate(batches):
            if i == num_batches:
                break
            net(transform(X.to(device)))           # 只更新统计量，不需要标签、不改权重
    return net.eval()


shift = lambda X: 0.5 * X + 0.3
shifted_test = [(shift(X), y) for X, y in test_iter]
bn_torch = results["torch"][0]
table([("原测试集", "训练得到的统计量", evaluate(bn_torch, test_iter)),
       ("新领域", "旧统计量", evaluate(bn_torch, shifted_test)),
       ("新领域", "用 20 批新领域数据重新估计",
        evaluate(reestimate_bn_stats(bn_torch, train_iter, shift), shifted_test)),
       ("原测试集", "用 20 批原训练数据重新估计",
        evaluate(reestimate_bn_stats(bn_torch, train_iter), test_iter))],
      [(0, "测试数据"), (1, "BN 统计量"), (2, "测试准确率", ".3f")])


# %% [markdown]
# 原测试集上准确率为 0.865；换到“新领域”后，沿用旧统计量只有 0.275；只用 20 批无标签数据重新估计统计量（一个权重也没改），准确率回到 0.883。原因是第一层卷积是线性的：输入的整体缩放和平移经过卷积后基本还是每个通道上的缩放和平移（只有零填充的边缘处不完全如此），正好被重新估计的第一个 BN 层吸收，后面各层看到的输入与原来几乎一样。
#
# 0.883 甚至高于原测试集上的 0.865——最后一行给出了解释：在**原数据**上用最终权重重新估计统计量，测试准确率同样从 0.865 升到 0.887。训练中的指数滑动平均混入了较早（权重不同）时的批量统计量，学习率 1.0 时权重变化很快，这种“滞后”就不可忽略；这也是前面测试准确率在相邻两轮之间起伏的一个可能原因。训练结束后用最终权重在训练数据上重新估计一次 BN 统计量，本身就是一个实用的小技巧。

# %% [markdown]
# ## 2.11 仿射变换
#
# BN 最后一步 $y=\gamma\hat x+\beta$ 是一个（逐通道的）**仿射变换**（affine transformation）。一般地，仿射变换是线性变换加平移：$\mathbf y = A\mathbf x + \mathbf b$。它保持**共线性**（直线仍是直线）、**平行性**（平行线仍平行）和**同一直线上线段长度之比**（中点仍是中点），但一般不保持长度和角度。任何可逆的二维仿射变换都可以分解为平移、缩放、翻转、旋转和剪切（shear）的组合。下图中红色的三个点原本共线且等距，变换后依旧共线、等距：

# %%
fig = demos.plot_affine_transforms()

# %% [markdown]
# ## 常见误区
#
# 每一条误区后面紧跟一个代码单元，运行它就能看到反例或演示。

# %% [markdown]
# **误区 1：“总体统计量是 $\gamma$ 和 $\beta$ 的平均。”** 不是。$\gamma,\beta$ 是可学习的参数，由梯度下降更新；`running_mean`/`running_var` 是各个小批量的**均值和方差**的（指数）滑动平均，与 $\gamma,\beta$ 无关。下面手工计算批量均值的指数滑动平均，它与 `running_mean` 完全一致，而 $\gamma,\beta$ 在没有优化器的情况下始终是 1 和 0：

# %%
# 误区 1
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
layer, ema = nn.BatchNorm1d(2), torch.zeros(2)
for step in range(10):
    X = torch.randn(32, 2) + torch.tensor([3.0, -1.0])
    layer(X)
    ema = 0.9 * ema + 0.1 * X.mean(dim=0)
print("running_mean == 批量均值的指数滑动平均：", torch.allclose(layer.running_mean, ema))
print("γ（weight）:", layer.weight.data, " β（bias）:", layer.bias.data)

# %% [markdown]
# **误区 2：“预测时要用测试批量的均值和方差。”** 不对。评估模式（`eval()`）下不从测试数据计算任何统计量，每个样本的输出只取决于它自己，与同批的其他样本无关：

# %%
# 误区 2
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
layer = nn.BatchNorm1d(3)
for _ in range(5):
    layer(torch.randn(16, 3) * 2 + 1)
layer.eval()
x = torch.randn(1, 3)
alone = layer(x)
in_batch = layer(torch.cat([x, 100 * torch.randn(7, 3)]))[:1]
print("单独预测与混在异常批量中预测的结果相同：", torch.allclose(alone, in_batch))

# %% [markdown]
# **误区 3：“BatchNorm2d 可以接受任何形状的输入。”** 各个类严格检查维数：`BatchNorm2d` 只接受 4 维输入，`BatchNorm3d` 只接受 5 维输入。课程包里的 `models.BatchNorm` 也一样（它按 `num_dims` 检查）：

# %%
# 误区 3
# NBVAL_CHECK_OUTPUT
for layer, shape in ((nn.BatchNorm2d(3), (2, 3, 4)), (nn.BatchNorm3d(3), (2, 3, 4, 4)),
                     (models.BatchNorm(3, num_dims=4), (2, 3, 4))):
    try:
        layer(torch.randn(shape))
    except ValueError as e:
        print(f"{type(layer).__name__} 收到形状 {shape}：ValueError: {e}")

# %% [markdown]
# **误区 4：“要用 `torch.autograd.Variable` 包装张量才能求导。”** 这是 PyTorch 0.4 之前的写法，早已过时：`Variable` 现在只是一个兼容壳，返回的就是普通张量。直接写 `torch.tensor(..., requires_grad=True)` 或 `x.requires_grad_()` 即可（很多旧教程、包括 d2l 的早期版本仍在用它）。

# %%
# 误区 4
# NBVAL_CHECK_OUTPUT
from torch.autograd import Variable

v = Variable(torch.ones(2), requires_grad=True)
print(type(v), "requires_grad =", v.requires_grad)
x = torch.ones(2, requires_grad=True)   # 推荐的写法
print(type(x), "requires_grad =", x.requires_grad)

# %% [markdown]
# ## 小结
#
# * 激活函数、输入标准化和权重初始化共同决定了各层激活值的尺度；Xavier 适合 tanh 这类关于原点对称的激活（sigmoid 也常用），He 适合 ReLU（它保持的是 ReLU 输出的二阶矩 $\mathbb E[h^2]$，不是方差）。
# * 批量归一化在训练时用小批量的均值和方差标准化每个特征（卷积层是每个通道），再用可学习的 $\gamma,\beta$ 缩放和平移；它最初用“内部协变量偏移”来解释，后来的研究认为主要作用是让损失曲面更平滑。
# * 训练和推理的行为不同：推理时用训练期间累积的总体统计量（PyTorch：指数滑动平均、无偏方差、`running_var` 初值为 1），务必调用 `model.eval()`。
# * BN 通常放在仿射层之后、激活之前；批量很小或样本高度相关时改用 LayerNorm、GroupNorm；迁移到新领域时要考虑重新估计统计量。
# * 在 Fashion-MNIST 上训练 3 轮，无 BN 的 sigmoid LeNet 在学习率 0.1 和 3.0 下都没有学到东西（测试准确率 0.100），有 BN 的同一网络在 0.1～3.0 的四个学习率下都能训练；学习率 1.0 训练 10 轮达到 0.865，用最终权重重新估计 BN 统计量后为 0.887。从零实现与 `nn.BatchNorm` 的结果在三位小数上完全相同，这次运行中后者更快。

# %% [markdown]
# ## 练习
#
# 每道题先自己想（或动手改代码），再展开“提示与答案”。带数字的答案都由紧跟在题目后面的代码单元算出。

# %% [markdown]
# **练习 1** 去掉 LeNet 中 BN 之前的卷积层和全连接层的偏置（BN 之前的偏置是多余的），参数少了多少个？准确率会变吗？
#
# <details><summary>提示与答案</summary>
#
# **提示**：BN 会减去批量均值，加在每个通道上的常数 $b$ 也随之被减掉。数一数 BN 之前的四层各有几个偏置；再想想损失对 $b$ 的梯度是多少。
#
# **答案**：少 $6+16+120+84=226$ 个参数（下面的单元格逐层数出的正是这 226 个，占全网 62158 个参数的 0.36%）。准确率在数学上不会变：$\mathrm{BN}(Wx+b)=\mathrm{BN}(Wx)$，所以损失对这些偏置的梯度恒为零（单元格里一个批量上的梯度最大只有 5.8e-07，是浮点舍入的量级），偏置从 0 出发、用不带权重衰减的 SGD 训练时就一直停在 0 附近（上面训练 10 轮的网络里它们的最大绝对值为 2.1e-05）。评估模式下运行均值里同样含有 $b$，也会被减掉。所以去掉它们，训练过程在数学上完全相同，只是省下了 226 个参数和一点计算；实际运行时浮点舍入的微小差别会在多步训练中累积，准确率可能在第三位小数上略有出入。
#
# </details>

# %%
# 练习 1
net = lenet(batch_norm=True).to(device)
pre_bn = [net[i] for i in (0, 4, 9, 12)]   # BN 之前的两个卷积层和两个全连接层
counts = [m.bias.numel() for m in pre_bn]
print(f"BN 之前的偏置：{' + '.join(map(str, counts))} = {sum(counts)} 个"
      f"（全网共 {sum(p.numel() for p in net.parameters())} 个参数）")
X, y = next(iter(train_iter))
nn.functional.cross_entropy(net(X.to(device)), y.to(device)).backward()
print(f"一个批量上这些偏置的梯度，最大绝对值：{max(m.bias.grad.abs().max().item() for m in pre_bn):.1e}")
trained = results["scratch"][0]
print(f"训练 {TARGET_EPOCHS} 轮后这些偏置的最大绝对值："
      f"{max(trained[i].bias.abs().max().item() for i in (0, 4, 9, 12)):.1e}")

# %% [markdown]
# **练习 2** 把 BN 放到 sigmoid **之后**（卷积/全连接 → sigmoid → BN），在学习率 1.0 下训练 `GRID_EPOCHS` 轮，与 2.9 节 BN 在 sigmoid 之前的结果比较。这时卷积层和全连接层的偏置还是多余的吗？
#
# <details><summary>提示与答案</summary>
#
# **提示**：把 `lenet(batch_norm=True)` 里每一对相邻的 BN 与 sigmoid 交换位置即可（下面的单元格就是这样做的），网络参数和初始权重都不变。
#
# **答案**：在这次运行中，BN 放在 sigmoid 之后同样能训练：3 轮的测试准确率依次为 0.768、0.821、0.838，BN 在之前时为 0.765、0.791、0.834，差别很小。偏置不再多余：sigmoid 是非线性的，$\sigma(z+b)$ 不能写成 $\sigma(z)$ 加一个常数，偏置改变的是 sigmoid 工作在哪一段，BN 减不掉它。单次、短时间的比较只说明这种放法在这里也能训练，不足以断定哪种放法更好；要下结论，应该多换几个随机种子和学习率。
#
# </details>

# %%
# 练习 2
def lenet_bn_after_activation(**kwargs):
    """lenet(batch_norm=True, ...) with every BN layer moved behind its sigmoid."""
    layers = list(lenet(**kwargs))
    for i in range(len(layers) - 1):
        if isinstance(layers[i], models.BatchNorm) and isinstance(layers[i + 1], nn.Sigmoid):
            layers[i], layers[i + 1] = layers[i + 1], layers[i]
    return nn.Sequential(*layers)


net_after, hist_after = train_lenet(1.0, GRID_EPOCHS, batch_norm=True, build=lenet_bn_after_activation)
print(net_after[:4])
table([{"where": where, **{f"e{k}": acc for k, acc in enumerate(h.test_acc, start=1)}}
       for where, h in (("BN 在 sigmoid 之前（2.9 节）", grid[1.0, True]), ("BN 在 sigmoid 之后", hist_after))],
      [("where", "BN 的位置")] + [(f"e{k}", f"第 {k} 轮测试准确率", ".3f") for k in range(1, GRID_EPOCHS + 1)])

# %% [markdown]
# **练习 3** 在从零实现的 `BatchNorm` 中加入 `momentum=None` 的累积平均模式（运行均值、运行方差是迄今所有批量统计量的算术平均），并与 `nn.BatchNorm1d(momentum=None)` 对比。
#
# <details><summary>提示与答案</summary>
#
# **提示**：需要一个记录批量数的缓冲区 `num_batches_tracked`。算术平均也可以写成滑动平均：第 $k$ 个批量的权重取 $1/k$，即 $r_k = (1-\tfrac1k)\,r_{k-1} + \tfrac1k\,x_k$。
#
# **答案**：下面的 `CumulativeBatchNorm` 在每个训练批量之前把 `num_batches_tracked` 加 1，并令 `momentum = 1/num_batches_tracked`，其余完全沿用 `BatchNorm`（第一个批量的权重为 1，初值 0 和 1 随即被替换掉）。PyTorch 内部正是这样做的：连续 10 个批量之后，运行均值和运行方差与 `nn.BatchNorm1d(momentum=None)` 的最大差别为 4.8e-07，只是浮点舍入。
#
# </details>

# %%
# 练习 3
class CumulativeBatchNorm(BatchNorm):
    """BatchNorm whose running statistics are the plain average over all training batches."""

    def __init__(self, num_features, num_dims, eps=1e-5):
        super().__init__(num_features, num_dims, eps=eps)
        self.register_buffer("num_batches_tracked", torch.tensor(0))

    def forward(self, X):
        if self.training:
            self.num_batches_tracked += 1
            self.momentum = 1.0 / self.num_batches_tracked.item()   # 第 k 个批量的权重为 1/k
        return super().forward(X)


torch.manual_seed(0)
ours, ref = CumulativeBatchNorm(3, num_dims=2), nn.BatchNorm1d(3, momentum=None)
for step in range(10):
    X = torch.randn(16, 3) * (1 + step) + step      # 统计量一直在变
    ours(X), ref(X)
err = max((ours.running_mean - ref.running_mean).abs().max().item(),
          (ours.running_var - ref.running_var).abs().max().item())
print(f"10 个批量之后，运行统计量与 nn.BatchNorm1d(momentum=None) 的最大差别：{err:.1e}")

# %% [markdown]
# **练习 4** 用 2.5 节的公式证明：若把 BN 前一层（设它没有偏置）的权重乘以常数 $a>0$，BN 的输出不变，而该层权重的梯度变为原来的 $1/a$。
#
# <details><summary>提示与答案</summary>
#
# **提示**：先看 $z=Wx$ 的批量均值和方差怎样随 $a$ 变化；求梯度时用链式法则 $\partial L/\partial W = \sum_i (\partial L/\partial z_i)\,x_i^\top$，再看 2.5 节公式里的因子 $\gamma/\sigma$。
#
# **答案**：权重变为 $aW$ 时 $z_i' = a z_i$，于是 $\hat\mu' = a\hat\mu$，$\hat\sigma'^2 = a^2\hat\sigma^2$，$\hat x_i' = \dfrac{a(z_i-\hat\mu)}{\sqrt{a^2\hat\sigma^2+\epsilon}} \approx \hat x_i$（忽略 $\epsilon$），输出 $y=\gamma\hat x+\beta$ 不变，上游梯度 $g_i$ 也不变。2.5 节的公式里括号中的项只依赖 $g$ 和 $\hat x$，不变；前面的因子 $\gamma/\sigma$ 中 $\sigma' = a\sigma$，所以 $\partial L/\partial z_i' = \tfrac1a\,\partial L/\partial z_i$，从而 $\partial L/\partial (aW) = \sum_i \tfrac1a(\partial L/\partial z_i)x_i^\top = \tfrac1a\,\partial L/\partial W$。（更短的证法：$f(aW)=f(W)$ 对所有 $a$ 成立，两边对 $W$ 求导得 $a\nabla f(aW)=\nabla f(W)$。）下面的单元格取 $a=10$：输出的最大差别为 1.4e-06（来自 $\epsilon$，并非恰好为零），梯度范数之比为 0.1000。推论：权重越大，梯度越小、相对更新越慢，BN 网络因此对权重的尺度不敏感。
#
# </details>

# %%
# 练习 4
torch.manual_seed(0)
X, W, target = torch.randn(32, 10), torch.randn(10, 5), torch.randn(32, 5)


def bn_output_and_grad(a):
    Wa = (a * W).requires_grad_()
    Y = nn.functional.batch_norm(X @ Wa, None, None, training=True)   # 训练模式的 BN，γ=1, β=0
    ((Y - target) ** 2).mean().backward()                             # 任意一个损失
    return Y.detach(), Wa.grad


Y1, g1 = bn_output_and_grad(1.0)
Y10, g10 = bn_output_and_grad(10.0)
print(f"a = 10：输出的最大差别 {(Y10 - Y1).abs().max().item():.1e}，"
      f"梯度范数之比 ‖g(10W)‖ / ‖g(W)‖ = {(g10.norm() / g1.norm()).item():.4f}")

# %% [markdown]
# **练习 5** 用 2.6 节的滑块找出：`batch_size=4` 时，`momentum` 取多少能让 100 步后的 `running_var` 既不太抖又接近真实值 0.25？
#
# <details><summary>提示与答案</summary>
#
# **提示**：误差有两个来源。`momentum` 太小，`running_var` 从初值 1 出发，100 步后还没走到 0.25（剩下的偏差约为 $0.75\,(1-\text{momentum})^{100}$）；`momentum` 太大，它几乎只看最近几个批量，而 4 个样本的方差估计噪声很大。只看一个随机种子容易被运气左右，下面的单元格对 20 个种子求均方根误差。
#
# **答案**：`momentum` 取 0.05 左右最好：20 个种子上与 0.25 的均方根误差为 0.036，在表中最小。0.01 太小，100 步后 `running_var` 平均还停在 0.528（与提示里的 $0.25+0.75\times0.99^{100}\approx0.525$ 相符）；0.3 太大，跨种子的标准差达到 0.090。0.03 和 0.1 也还可以（均方根误差 0.050 和 0.049），前者偏差稍大，后者抖动稍大。一般地，批量越小，`momentum` 应取得越小，让滑动平均覆盖更多个批量；代价是要更多步才能从初值走到真实值。
#
# </details>

# %%
# 练习 5
# NBVAL_CHECK_OUTPUT
rows = []
for momentum in (0.01, 0.03, 0.05, 0.1, 0.3):
    final = torch.tensor([demos.simulate_running_stats(momentum, 1e-5, 4, seed=seed)["running_var"][-1]
                          for seed in range(20)])
    rows.append({"m": momentum, "mean": final.mean().item(), "std": final.std().item(),
                 "rmse": ((final - 0.25) ** 2).mean().sqrt().item()})
table(rows, [("m", "momentum", "g"), ("mean", "100 步后 running_var 的平均", ".3f"),
             ("std", "跨种子的标准差", ".3f"), ("rmse", "与 0.25 的均方根误差", ".3f")],
      caption="batch_size=4，真实方差 0.25，20 个随机种子")

# %% [markdown]
# **练习 6** 用 `nn.GroupNorm` 替换 LeNet 中的卷积层 BN，在批量大小为 8 时与 BN 比较。
#
# <details><summary>提示与答案</summary>
#
# **提示**：`nn.GroupNorm(num_groups, num_channels)` 对每个样本、在每组通道内部（连同 $H\times W$）求统计量，与批量大小无关，训练和评估时的行为也相同。第一层 6 个通道可以分 2 组或 3 组，第二层 16 个通道可分 4 组。全连接层可以换成 `nn.LayerNorm`。批量为 8 时每轮有 7,500 步，在 CPU 上训练很慢，可以先用 `load_fashion_mnist(8, subset=...)` 取一部分数据。
#
# **答案**：关键区别是 GroupNorm 中一个样本的输出不受同批其他样本的影响，而训练模式的 BN 要受影响：下面的单元格把同一个样本放进两个不同的 8 样本批量，BN 给出的输出最大差别为 2.98（与输出本身同一量级），GroupNorm 为 0。因此批量为 8 时 BN 的统计量噪声大、训练与评估之间的差异也大，GroupNorm 没有这个问题。在 LeNet 这样的小网络上两者的准确率可能相差不大，这要靠你自己的实验来回答；按 Wu & He（2018）在 ImageNet 上的结果，批量越小，GroupNorm 相对 BN 的优势越明显。
#
# </details>

# %%
# 练习 6
torch.manual_seed(0)
x = torch.randn(1, 6, 14, 14)
batch_a = torch.cat([x, torch.randn(7, 6, 14, 14)])
batch_b = torch.cat([x, 3 * torch.randn(7, 6, 14, 14) + 1])
for name, layer in (("BatchNorm2d(6)", nn.BatchNorm2d(6)), ("GroupNorm(2, 6)", nn.GroupNorm(2, 6))):
    diff = (layer(batch_a)[0] - layer(batch_b)[0]).abs().max().item()   # 都在训练模式
    print(f"{name:16s}：同一个样本在两个批量中的输出，最大差别 {diff:.2e}")

# %% [markdown]
# ## 参考文献
#
# * Ioffe, S., & Szegedy, C. (2015). Batch normalization: Accelerating deep network training by reducing internal covariate shift. *ICML*.
# * Santurkar, S., Tsipras, D., Ilyas, A., & Madry, A. (2018). How does batch normalization help optimization? *NeurIPS*.
# * Glorot, X., & Bengio, Y. (2010). Understanding the difficulty of training deep feedforward neural networks. *AISTATS*.
# * He, K., Zhang, X., Ren, S., & Sun, J. (2015). Delving deep into rectifiers: Surpassing human-level performance on ImageNet classification. *ICCV*.
# * Ba, J. L., Kiros, J. R., & Hinton, G. E. (2016). Layer normalization. *arXiv:1607.06450*.
# * Wu, Y., & He, K. (2018). Group normalization. *ECCV*.
# * Zhang, A., Lipton, Z. C., Li, M., & Smola, A. J. 《动手学深度学习》（第二版），“批量规范化”一节。
