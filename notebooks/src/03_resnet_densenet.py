# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %%
# 仅在 Colab 上运行：安装课程支持包并下载数据（本地环境会跳过）
import sys

if "google.colab" in sys.modules:
    !pip install -q "course-utils @ git+https://github.com/dl-optim-course/course.git"

# %%
from course_utils import env

device = env.setup_notebook()

# %% [markdown]
# # 第3章 残差网络与稠密连接网络
#
# [![在 Colab 中打开](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/dl-optim-course/course/blob/main/notebooks/03_resnet_densenet.ipynb)
#
# 上一章的批量归一化（batch normalization, BN）让较深的网络能够稳定地训练。但“能训练”不等于“越深越好”：把普通卷积网络一层层加深，训练误差到某个深度之后反而会**上升**。本章从这个退化问题（degradation problem）出发，介绍两种改变网络“连线方式”的结构——残差网络（ResNet）用加法把输入直接送到后面，稠密连接网络（DenseNet）用通道拼接把前面所有层的输出都交给后面。它们首先是**优化**上的改进：让深层网络更容易被梯度下降训练好。
#
# **学习目标**
#
# 1. 说清退化问题：更深的普通网络连**训练**误差都更高，这不是过拟合；
# 2. 理解残差学习 $f(\mathbf{x}) = \mathbf{x} + g(\mathbf{x})$：为什么“学习残差”比“学习整个映射”容易；
# 3. 搭出残差块（residual block，含与不含 $1\times 1$ 卷积捷径两种）和 ResNet-18，逐层读出输出形状；
# 4. 搭出稠密块（dense block）、过渡层（transition layer）和完整的 DenseNet，会计算增长率（growth rate）决定的通道数；
# 5. 在 Fashion-MNIST 上训练两种网络，比较参数量、每轮时间、吞吐量与测试准确率，并亲手复现退化实验；
# 6. 估算激活值占用的内存，认识“内存不足”时课程工具给出的提示。
#
# **先修**：第1章（学习率调度器、单周期策略）、第2章（批量归一化、训练模式与评估模式）；卷积、汇聚层和 `nn.Sequential` 的基本用法。

# %%
import inspect

import matplotlib.pyplot as plt
import torch
from torch import nn

from course_utils import widgets
from course_utils.demos import ch3_resnet_densenet as demos
from course_utils.data import TensorLoader, load_fashion_mnist
from course_utils.models import (DenseBlock, Residual, conv_block, count_parameters, densenet,
                                 layer_shapes, plain_cnn, resnet18, transition_block)
from course_utils.models.resnets import small_resnet
from course_utils.train import OutOfMemoryHelp, fit

print("运行模式:", env.get_mode(), "| 线程数:", torch.get_num_threads())

# %% [markdown]
# ## 1. 退化问题与残差学习
#
# ### 1.1 更深，反而更差
#
# 直觉上，深网络至少不该比浅网络差：把一个训练好的 20 层网络后面再接 36 层“什么也不做”的恒等映射（identity mapping），就得到一个和它一样好的 56 层网络。也就是说，深网络能表示的函数类 $\mathcal{F}_{56}$ **包含**浅网络的函数类 $\mathcal{F}_{20}$。可是 He 等人（2016）发现，用同样的方法训练，56 层普通网络（plain network）在 CIFAR-10 上的**训练**误差比 20 层的更高。训练误差更高说明问题不在过拟合，而在**优化**：梯度下降没能在更大的函数类里找到那个“至少一样好”的解。这就是退化问题。
#
# He 等人给出的一种解释是：让一叠“卷积 + BN + ReLU”恰好学成恒等映射并不容易——卷积核要恰好配合成单位阵，而随机初始化离它很远，梯度下降也未必会往那里走。
#
# ### 1.2 残差学习
#
# 设我们希望某一小段网络学到的映射是 $f(\mathbf{x})$。残差学习（residual learning）不直接拟合 $f$，而是让这段网络只拟合**残差** $g(\mathbf{x}) = f(\mathbf{x}) - \mathbf{x}$，再把输入加回来：
#
# $$f(\mathbf{x}) = \mathbf{x} + g(\mathbf{x}).$$
#
# 这样一来：
#
# - 若最优映射接近恒等映射，只需把 $g$ 推向 0（例如把分支里最后一个 BN 的拉伸参数 $\gamma$ 置零），这比让几层卷积拼出单位阵容易得多。于是新加的块随时可以“退回”恒等映射：深网络包含浅网络，这一点不仅在函数类上成立，在优化上也**容易做到**。
# - 反向传播时 $\dfrac{\partial f}{\partial \mathbf{x}} = I + \dfrac{\partial g}{\partial \mathbf{x}}$：梯度总有一条不经过任何权重的“直通路径”，传回前面各层时不必穿过一长串雅可比矩阵（Jacobian）的连乘，因而不容易迅速衰减。（严格地说，下面实现的原始残差块在相加之后还有一个 ReLU，直通路径要再乘以 ReLU 的导数 0 或 1；He 等人在后续工作中把 ReLU 移进分支内部，得到完全的恒等捷径。）
#
# 下一节先把这个结构写成代码，第 6 节再用实验亲眼看看退化现象。

# %% [markdown]
# ## 2. 残差块
#
# ResNet 的残差块沿用 VGG 的 $3\times 3$ 卷积：两层“卷积 → BN”（第一层后接 ReLU），然后把输入加到输出上，再过一次 ReLU。若要改变通道数或用步幅 2 把高宽减半，输入 $\mathbf{x}$ 和 $g(\mathbf{x})$ 的形状就对不上，此时在捷径（shortcut）上加一个同样步幅的 $1\times 1$ 卷积来变换 $\mathbf{x}$。课程包里的实现如下：

# %%
print(inspect.getsource(Residual))

# %% [markdown]
# 两种情形的形状：不带 $1\times 1$ 卷积时输入输出形状相同；带 $1\times 1$ 卷积且步幅为 2 时，通道数变为 6，高宽减半。如果忘了 $1\times 1$ 卷积，`Residual` 会直接给出中文提示，而不是在加法处抛出难懂的形状错误。

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
X = torch.rand(4, 3, 6, 6)
blk = Residual(3, 3)
print("不带 1×1 卷积:", tuple(blk(X).shape), "参数", count_parameters(blk))
blk = Residual(3, 6, use_1x1conv=True, strides=2)
print("带 1×1 卷积、步幅 2:", tuple(blk(X).shape), "参数", count_parameters(blk))
try:
    Residual(3, 6)
except ValueError as e:
    print("ValueError:", e)

# %% [markdown]
# **残差分支为零时，残差块就是恒等映射。** 把第二个 BN 的 $\gamma$、$\beta$ 都置零，$g(\mathbf{x})\equiv 0$，块的输出就是 $\mathrm{ReLU}(\mathbf{x})$；而块的输入本身就是上一个 ReLU 的输出（非负），所以输出与输入完全相等。BN 的 $\beta$ 默认就初始化为 0，所以实践中只需把每个残差分支最后一个 BN 的 $\gamma$ 初始化为 0（Goyal 等，2017），很深的 ResNet 在训练开始时就表现得像一个浅网络。

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
blk = Residual(8, 8)
nn.init.zeros_(blk.bn2.weight)
nn.init.zeros_(blk.bn2.bias)
X = torch.relu(torch.randn(2, 8, 5, 5))  # 上一层 ReLU 的输出
print("最大偏差 |block(X) - X| =", (blk(X) - X).abs().max().item())

# %% [markdown]
# ## 3. ResNet-18
#
# ResNet-18 由三部分组成：
#
# 1. **首层**：$7\times 7$ 卷积（64 通道、步幅 2）+ BN + ReLU，再接 $3\times 3$、步幅 2 的最大汇聚层；
# 2. **四个阶段**，每个阶段两个残差块，通道数依次为 64、128、256、512；除第一阶段外，每个阶段的第一个残差块用 $1\times 1$ 卷积捷径和步幅 2 把通道加倍、高宽减半；
# 3. **全局平均汇聚**（global average pooling）后接一个全连接层输出 10 类。
#
# 卷积层 $1 + 4\times 2\times 2 = 17$ 层（不计捷径上的 $1\times 1$ 卷积），加上全连接层共 18 层，故名 ResNet-18。下面按 d2l 的设置把 Fashion-MNIST 放大到 $96\times 96$ 输入，逐层打印输出形状与参数量（`layer_shapes` 只做一次前向传播，用评估模式，不会改动 BN 的运行统计量）：

# %%
# NBVAL_CHECK_OUTPUT
net = resnet18(num_classes=10, in_channels=1, width=64)
rows = layer_shapes(net, (1, 1, 96, 96))

# %% [markdown]
# 表中可以读出：首层把 $96\times 96$ 缩小到 $24\times 24$；之后每个阶段高宽减半、通道加倍，最后得到 $512\times 3\times 3$ 的特征图，经全局平均汇聚变成 512 维向量。总参数量为 11,178,378，其中约四分之三（8,395,264）在最后一个阶段。
#
# Fashion-MNIST 原图只有 $28\times 28$。若直接送进上面的首层，第一阶段就只剩 $7\times 7$，信息损失太多。`small_input=True` 把首层换成一个 $3\times 3$、不带最大汇聚的卷积；`width` 则按比例缩放各阶段的通道数（`width=64` 即标准的 64-128-256-512）。CPU 上我们还会用 `stem_stride=2` 让首层卷积步幅为 2：之后每层特征图的面积都变为四分之一，计算量也约降为四分之一，而参数量不变（卷积核的大小与输入分辨率无关）：

# %%
# NBVAL_CHECK_OUTPUT
for kw in [dict(width=16, small_input=True), dict(width=16, small_input=True, stem_stride=2)]:
    net = resnet18(**kw)
    print(kw, "→ 参数", f"{count_parameters(net):,}")
    layer_shapes(net, (1, 1, 28, 28), params=False)
    print()

# %% [markdown]
# ## 4. 稠密连接网络（DenseNet）
#
# 残差网络把 $\mathbf{x}$ 与 $g(\mathbf{x})$ **相加**。如果把泰勒展开式 $f(\mathbf{x}) = f(0) + f'(0)\mathbf{x} + \tfrac{1}{2}f''(0)\mathbf{x}^2 + \cdots$ 类比到网络，ResNet 相当于把 $f$ 拆成“一个线性项 + 一个非线性项”。DenseNet（Huang 等，2017）更进一步：不相加，而是在**通道维上拼接**，让后面的每一层都能直接看到前面所有层的输出：
#
# $$\mathbf{x} \to \left[\mathbf{x},\; f_1(\mathbf{x}),\; f_2\big([\mathbf{x}, f_1(\mathbf{x})]\big),\; f_3\big([\mathbf{x}, f_1(\mathbf{x}), f_2(\cdots)]\big),\; \ldots\right].$$
#
# ### 4.1 卷积块与稠密块
#
# DenseNet 沿用 He 等人改良版残差网络中“BN → ReLU → 卷积”的顺序（`conv_block`）。一个稠密块由 `num_convs` 个卷积块组成，每个卷积块输出 $k$ 个通道，这个 $k$ 叫**增长率**；块内每一步都把新输出拼接到已有特征上，因此
#
# $$\text{输出通道数} = \text{输入通道数} + \text{num\_convs}\times k.$$

# %%
print(inspect.getsource(DenseBlock))

# %% [markdown]
# 例如 2 个卷积块、3 个输入通道、增长率 10：输出通道数 $3 + 2\times 10 = 23$，高宽不变。

# %%
# NBVAL_CHECK_OUTPUT
blk = DenseBlock(2, 3, 10)
X = torch.rand(4, 3, 8, 8)
Y = blk(X)
print("conv_block(3, 10):", conv_block(3, 10))
print("DenseBlock(2, 3, 10):", tuple(X.shape), "→", tuple(Y.shape), "| out_channels =", blk.out_channels)

# %% [markdown]
# ### 4.2 过渡层
#
# 稠密块不断增加通道，若不加控制模型会越来越宽。过渡层用 $1\times 1$ 卷积把通道数减少（DenseNet 中减半），再用步幅为 2 的 $2\times 2$ 平均汇聚把高宽减半：

# %%
# NBVAL_CHECK_OUTPUT
trans = transition_block(23, 10)
print("transition_block(23, 10):", tuple(Y.shape), "→", tuple(trans(Y).shape),
      "| 参数", count_parameters(trans))

# %% [markdown]
# ### 4.3 完整的 DenseNet
#
# 与 ResNet 相同的首层（$7\times 7$ 卷积 + BN + ReLU + 最大汇聚），接 4 个稠密块（每块 4 个卷积块，增长率 32），块之间用过渡层把通道减半，最后是 BN、ReLU、全局平均汇聚和全连接层。输入同样是 $96\times 96$：

# %%
# NBVAL_CHECK_OUTPUT
net = densenet(num_classes=10, in_channels=1, growth_rate=32, block_sizes=(4, 4, 4, 4))
rows = layer_shapes(net, (1, 1, 96, 96))

# %% [markdown]
# 通道数的变化可以手算验证：首层 64 通道，第一个稠密块后 $64 + 4\times 32 = 192$，过渡层减半为 96，第二块后 $96 + 128 = 224$，再减半为 112……最后是 248 通道。整个 DenseNet 只有 758,226 个参数，不到 ResNet-18 的 7%：每层只新增 $k=32$ 个通道，而且靠拼接“重复使用”前面的特征。代价是拼接产生的大量中间特征图——DenseNet 的**内存**和**计算时间**并不像参数量那样小（第 7、8 节会看到）。

# %% [markdown]
# ## 5. 交互：深度与增长率
#
# 下面的面板把两个量画出来：左图是一个 CIFAR 式残差网络（$3\times 3$ 首层，三个阶段、每阶段 $n$ 个残差块，深度 $6n+2$）每个残差块的参数量，颜色表示阶段，标注是该阶段的输出形状；右图是三块 DenseNet（$28\times 28$ 输入、$3\times 3$ 首层）逐层的通道数，每个卷积块增加 $k$ 个通道，过渡层减半。先看默认设置的静态图：

# %%
fig = demos.draw_depth_growth(depth=20, growth_rate=12, num_convs=4)
plt.show()

# %% [markdown]
# 拖动滑块或切换下拉框（需要在 Jupyter/Colab 中运行）。加深残差网络时，每个阶段多出同样数目的残差块；但后一阶段通道数加倍，每块参数约为前一阶段的 4 倍，所以参数主要集中在最后一个阶段，而计算量（与特征图面积成正比）却在各阶段大致相当。增大增长率 $k$ 时，DenseNet 每一级“台阶”变高，所有层的通道数都与 $k$ 成正比，参数量大约按 $k^2$ 增长；增加每块卷积数则让台阶变多、过渡层前的通道更宽。

# %%
panel = widgets.interactive(
    demos.draw_depth_growth,
    depth=widgets.dropdown(list(demos.RESNET_DEPTHS), 20, description="残差网络深度"),
    growth_rate=widgets.int_slider(12, 4, 48, 4, description="增长率 k"),
    num_convs=widgets.int_slider(4, 1, 8, description="每块卷积数"),
)
panel

# %% [markdown]
# ## 6. 退化实验：普通网络与残差网络
#
# 现在亲手复现退化问题。`plain_cnn(depth)` 与 `small_resnet(depth)` 是一对“孪生”网络：相同的首层、相同的三个阶段（每阶段 $n$ 个两层卷积块，深度 $6n+2$）、相同的全局平均汇聚和输出层，唯一区别是后者每个块带捷径（变形处用 $1\times 1$ 卷积）。两种网络都有 BN，用同样的带动量 SGD、同样的学习率训练。我们比较一个浅网络和一个深网络，看**训练**损失。
#
# 为了在 CPU 上几分钟内跑完，这里只用训练集的一个随机子集（测试集也按比例抽取一小部分）、很窄的网络（`width`）和步幅为 2 的首层，每个网络只训练几轮。这样的实验只能看出**同样的训练预算下**谁更难优化，准确率本身不能与第 7 节完整训练的模型相比。

# %%
DEG = env.pick(
    smoke=dict(subset=256, depths=(8, 14), width=4, epochs=1, lr=0.05, stem_stride=2),
    cpu=dict(subset=5000, depths=(8, 32), width=8, epochs=4, lr=0.05, stem_stride=2),
    full=dict(subset=None, depths=(20, 56), width=16, epochs=10, lr=0.05, stem_stride=1),
)
print(DEG)
train_iter, test_iter = load_fashion_mnist(128, subset=DEG["subset"], device=device)
print("训练样本", train_iter.num_examples, "| 测试样本", test_iter.num_examples)

deg_hist, deg_rows = {}, []
for depth in DEG["depths"]:
    for kind, build in [("普通", plain_cnn), ("残差", small_resnet)]:
        env.set_seed(0)
        net = build(depth, width=DEG["width"], stem_stride=DEG["stem_stride"]).to(device)
        opt = torch.optim.SGD(net.parameters(), lr=DEG["lr"], momentum=0.9)
        h = fit(net, train_iter, test_iter, num_epochs=DEG["epochs"], optimizer=opt, progress=False)
        label = f"{kind} {depth} 层"
        deg_hist[label] = h
        deg_rows.append(dict(model=label, params=count_parameters(net), **h.final()))
        print(f"{label}: {h.summary()}")

# %%
fig = demos.plot_histories(deg_hist, title="退化实验：相同训练设置下的普通网络与残差网络")
plt.show()
print(demos.format_table(deg_rows, [
    ("model", "模型", "s"), ("params", "参数", ",d"), ("train_loss", "训练损失", ".3f"),
    ("train_acc", "训练准确率", ".3f"), ("test_acc", "测试准确率", ".3f")]))

# %% [markdown]
# 先说清表中“训练损失”和“训练准确率”的含义：它们是最后一轮里各个小批量上的平均值（`fit` 在训练过程中顺便记录），而不是训练结束后在整个训练集上重新评估的结果。
#
# 表和曲线显示出了退化现象。同样的数据、优化器和轮数下，32 层普通网络最后一轮的**训练**损失是 0.737，明显高于 8 层普通网络的 0.517，训练准确率也更低（0.730 对 0.807）；从左图看，它在每一轮都落在最后。它的参数多得多（117,306 对 19,194），原则上能表示的函数也更多，训练集却拟合得更差——这不是过拟合（过拟合的标志是训练误差低而测试误差高），而是更难优化。加上捷径后，32 层残差网络的训练损失为 0.530、训练准确率为 0.808，与两个 8 层网络处在同一水平：在这个实验里，捷径消除了加深带来的退化。
#
# 另一个细节：8 层时残差网络并不占优（训练损失 0.575 对 0.517）。浅网络本来就好训练，捷径的好处在较深的网络上才显现出来。
#
# 这个实验的证据是有限的，读结论时要心中有数：
#
# - **训练很短。** 只用了 5000 张训练图，每个网络训练 4 轮，远未收敛。我们看到的是“在相同的训练预算下，深的普通网络学得更慢”；它会不会一直落后，要靠更长的训练来回答（He 等人在 CIFAR-10 上一直训练到收敛，深的普通网络的训练误差始终更高）。
# - **只有一个随机种子。** 相差千分之几的数字（例如 0.808 对 0.807）换一个种子完全可能颠倒，不能当作谁更好的证据；可信的只是 32 层普通网络与另外三个网络之间的明显差距。
# - **测试子集很小。** 测试准确率只基于 833 张图，波动更大：8 层残差网络的训练损失更高，测试准确率反而更高（0.820 对 0.780），就说明了这一点。这里不依据测试准确率下结论。
#
# 练习 1 请你把较深的网络加深到 44 或 56 层，并换几个随机种子，看看差距如何变化。

# %% [markdown]
# ## 7. 在 Fashion-MNIST 上训练 ResNet 与 DenseNet
#
# 最后用课程的训练函数 `fit` 在**完整**的 Fashion-MNIST（6 万张训练图、1 万张测试图，$28\times 28$）上训练两个为 CPU 缩小的模型：
#
# - **ResNet**：`resnet18(width=16, small_input=True, stem_stride=2)`，即 ResNet-18 的结构、通道数为标准的 1/4；
# - **DenseNet**：`densenet(growth_rate=8, block_sizes=(4, 4, 4), small_input=True, stem_stride=2)`，三个稠密块、每块 4 个卷积块，增长率 8。
#
# 优化器用带 Nesterov 动量的 SGD 和权重衰减，学习率按第1章的单周期策略（`torch.optim.lr_scheduler.OneCycleLR`，每个小批量更新一次）先升后降；轮数很少，所以调度器的“退火”阶段对最终准确率很重要。`full` 模式（GPU）使用 d2l 的规模：$96\times 96$ 输入、标准宽度、10 轮。

# %%
CFG = env.pick(
    smoke=dict(subset=512, resize=None, batch=128, epochs=1, lr=0.1,
               resnet=dict(width=4, small_input=True, stem_stride=2),
               densenet=dict(growth_rate=4, block_sizes=(2, 2, 2), small_input=True, stem_stride=2)),
    cpu=dict(subset=None, resize=None, batch=256, epochs=3, lr=0.1,
             resnet=dict(width=16, small_input=True, stem_stride=2),
             densenet=dict(growth_rate=8, block_sizes=(4, 4, 4), small_input=True, stem_stride=2)),
    full=dict(subset=None, resize=96, batch=256, epochs=10, lr=0.1,
              resnet=dict(width=64), densenet=dict(growth_rate=32, block_sizes=(4, 4, 4, 4))),
)
print({k: v for k, v in CFG.items()})
train_iter, test_iter = load_fashion_mnist(CFG["batch"], resize=CFG["resize"], subset=CFG["subset"],
                                           device=device)
print("训练样本", train_iter.num_examples, "| 测试样本", test_iter.num_examples,
      "| 每轮小批量数", len(train_iter))


def train_model(net):
    """SGD (Nesterov momentum, weight decay) with a one-cycle schedule stepped every batch."""
    env.set_seed(0)
    net = net.to(device)
    opt = torch.optim.SGD(net.parameters(), lr=CFG["lr"], momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=CFG["lr"],
                                                total_steps=CFG["epochs"] * len(train_iter))
    return fit(net, train_iter, test_iter, num_epochs=CFG["epochs"], optimizer=opt,
               scheduler=sched, scheduler_interval="batch")


results, histories = [], {}
side = CFG["resize"] or 28  # input side length, for counting multiply-adds per example

# %%
env.set_seed(0)
net = resnet18(**CFG["resnet"])
h = train_model(net)
histories["ResNet"] = h
results.append(dict(model="ResNet", params=count_parameters(net),
                    mmacs=demos.conv_macs(net, (1, 1, side, side)) / 1e6, **h.final()))
print(h.summary())

# %%
env.set_seed(0)
net = densenet(**CFG["densenet"])
h = train_model(net)
histories["DenseNet"] = h
results.append(dict(model="DenseNet", params=count_parameters(net),
                    mmacs=demos.conv_macs(net, (1, 1, side, side)) / 1e6, **h.final()))
print(h.summary())

# %%
print(demos.format_table(results, [
    ("model", "模型", "s"), ("params", "参数", ",d"), ("mmacs", "百万次乘加/样本", ".2f"),
    ("sec_per_epoch", "秒/轮", ".1f"),
    ("examples_per_sec", "样本/秒", ".0f"), ("train_acc", "训练准确率", ".3f"),
    ("test_acc", "测试准确率", ".3f")]))
for name, h in histories.items():
    print(f"{name} 每轮测试准确率:", ", ".join(f"{a:.3f}" for a in h.test_acc))
fig, ax = plt.subplots(figsize=(6, 3.6))
for i, (name, h) in enumerate(histories.items()):
    ep = range(1, len(h.test_acc) + 1)
    ax.plot(ep, h.train_acc, "--", color=f"C{i}", marker="o", ms=3, label=f"{name} 训练")
    ax.plot(ep, h.test_acc, "-", color=f"C{i}", marker="o", ms=3, label=f"{name} 测试")
ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
ax.set_xlabel("轮次 epoch")
ax.set_ylabel("准确率")
ax.legend()
plt.show()

# %% [markdown]
# 两个模型都只训练了 3 轮：ResNet 的测试准确率为 0.916，DenseNet 为 0.905。几点观察：
#
# - **参数量不是时间的好指标，乘加次数也不完全是。** DenseNet 只有 34,750 个参数，约为 ResNet（701,930）的 1/20；表中“百万次乘加/样本”一列是一个样本经过所有卷积层和全连接层所需的乘加运算（multiply-accumulate, MAC）次数（由 `demos.conv_macs` 统计），DenseNet 也只有 ResNet 的约三分之一（2.52 对 7.64）。可两者每轮的时间却在同一量级（本次运行 47.1 对 60.7 秒/轮），远没有拉开乘加次数那样的差距。原因在于稠密块的每次拼接都要把越来越宽的特征图复制一份，每个卷积块前还有一次 BN 和 ReLU：这些操作几乎不做乘法，却要把整张特征图读写一遍；而且增长率只有 8，每个卷积的通道很少，难以发挥矩阵乘法的效率。
# - **第 1 轮的训练准确率低于测试准确率**：训练准确率是这一轮所有小批量的平均，包含了模型刚开始训练时的大量错误；测试准确率是在轮末用评估模式的模型计算的。
# - **学习率调度的作用。** 单周期策略在前 30% 的迭代步中把学习率升到 0.1，随后退火到接近 0。在学习率仍然较高的第 2 轮，ResNet 的测试准确率只从 0.856 提高到 0.875；到学习率退火到接近 0 的第 3 轮，它一下提高到 0.916。只训练几轮时，最后的退火对最终结果尤其重要。
# - 表中的时间来自一台同时运行着其他任务的共享机器（单线程，见开头打印的线程数），每次运行都会波动，两个模型谁快谁慢的细小差别并不可靠，在你的电脑上也会不同；参数量、乘加次数和准确率在固定随机种子下可以复现。

# %% [markdown]
# ## 8. 内存与时间：放大输入和批量时要小心
#
# 训练时，前向传播中每一层的输出（激活值，activations）都要保存下来供反向传播使用，它们占用的内存与**批量大小**成正比，与**图像边长的平方**成正比。`demos.activation_bytes` 统计一次前向传播中所有叶子层（卷积、BN、ReLU 这类不再含子模块的层）输出的字节数（float32），作为激活值内存的粗略估计：它漏掉了 `torch.cat` 这类函数调用的结果，又多算了一些用完即丢的中间结果；对本章的两个标准模型，它比 autograd 实际为反向传播保存的张量略多一些，作为量级估计足够了。参数、梯度、优化器状态和临时缓冲区还要另算。下面按批量 1 测量，再乘以批量大小：

# %%
# NBVAL_CHECK_OUTPUT
mem_rows = []
for name, build in [("ResNet-18", lambda: resnet18()), ("DenseNet", lambda: densenet())]:
    net = build()
    for side in (96, 160, 224):
        per_example = demos.activation_bytes(net, (1, 1, side, side))
        mem_rows.append(dict(model=name, side=f"{side}×{side}", one=per_example / 2**20,
                             b128=128 * per_example / 2**30, b256=256 * per_example / 2**30))
print(demos.format_table(mem_rows, [
    ("model", "模型（标准宽度）", "s"), ("side", "输入", "s"), ("one", "每个样本 MiB", ".2f"),
    ("b128", "批量128 GiB", ".2f"), ("b256", "批量256 GiB", ".2f")]))

# %% [markdown]
# 读表可知三点。第一，激活内存与输入边长的平方成正比：边长从 96 增加到 224（约 2.3 倍），ResNet-18 每个样本的激活从 4.06 MiB 增加到 22.11 MiB（约 5.4 倍，正是 $(224/96)^2 \approx 5.4$）。第二，它与批量大小成正比：$224\times 224$、批量 256 时，DenseNet 仅前向激活就约 8.93 GiB，再加上参数、梯度和反向传播的临时缓冲区，显存较小的显卡就放不下了。第三，参数少不等于省内存：DenseNet 的参数只有 ResNet-18 的约 7%，每个样本的激活却更多（96×96 时 6.56 MiB 对 4.06 MiB），因为稠密块里每个卷积块的 BN 和 ReLU 都作用在越来越宽的拼接结果上，各自输出一份同样宽的特征图。
#
# 内存不够时，PyTorch 抛出的原始错误（`torch.OutOfMemoryError` 或含 “out of memory” 的 `RuntimeError`）往往夹在一长串调用栈里。课程的 `fit` 会捕获它，改为抛出 `OutOfMemoryHelp`，用中文说明该怎么调整。为了不真的把内存耗尽（那会拖慢甚至卡死整台机器），下面用一个**模拟**的模型演示：它的前向传播直接抛出一个与 PyTorch 显存不足时措辞相同的 `RuntimeError`，我们看 `fit` 如何把它转换成清晰的提示。

# %%
# NBVAL_CHECK_OUTPUT
class PretendOutOfMemory(nn.Module):
    """A stand-in model whose forward pass fails like PyTorch does when memory runs out."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, X):
        raise RuntimeError("CUDA out of memory. Tried to allocate 9.19 GiB（这是模拟的错误）")


tiny = TensorLoader(torch.zeros(4, 1, 28, 28), torch.zeros(4, dtype=torch.long), batch_size=2)
model = PretendOutOfMemory()
try:
    fit(model, tiny, num_epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        progress=False)
except OutOfMemoryHelp as e:
    print(f"{type(e).__name__}: {e}")

# %% [markdown]
# 遇到这条提示时，按影响从大到小依次尝试：减小 `resize`（边长减半，激活内存约降为 1/4）、减小 `batch_size`（内存线性下降；学习率通常也应相应减小）、减小 `width` 或 `growth_rate`。时间也遵循同样的比例：本章 CPU 实验没有放大图像、还用步幅 2 的首层把特征图再缩小一半，正是为了把每个模型的训练控制在几分钟以内。
#
# ## 常见误区
#
# - **“深网络训练误差高是过拟合。”** 过拟合表现为训练误差低、测试误差高；退化问题是**训练误差本身**更高，是优化问题。
# - **改变形状时忘了 $1\times 1$ 卷积。** 残差块的加法要求 $\mathbf{x}$ 与 $g(\mathbf{x})$ 形状完全相同；通道数或步幅改变时，捷径上必须有 $1\times 1$ 卷积（`use_1x1conv=True`）。
# - **把 DenseNet 的拼接写成相加。** 稠密块在通道维（`dim=1`）上拼接，输出通道数为 $c_0 + n k$；相加则通道数不变，那就成了残差结构。
# - **以为参数少就省内存、省时间。** DenseNet 的参数远少于 ResNet，但拼接产生的特征图很多，激活内存和计算时间并不小（见第 7 节的时间和第 8 节的表）。
# - **把 $28\times 28$ 图像直接送进为 $224\times 224$ 设计的首层。** $7\times 7$ 步幅 2 卷积加最大汇聚会把 28 缩到 7，信息损失大；小图像应改用 $3\times 3$ 首层（`small_input=True`）。
# - **在训练模式下“试跑”一次来看形状。** 训练模式下的前向传播会更新 BN 的运行均值和方差，悄悄改动了模型；`layer_shapes` 为此临时切换到评估模式，结束后再恢复原来的模式。
#
# ## 小结
#
# - 退化问题：加深普通网络时训练误差反而上升；这是优化困难，不是过拟合。
# - 残差学习 $f(\mathbf{x}) = \mathbf{x} + g(\mathbf{x})$ 让恒等映射变得“免费”（$g=0$），并给梯度一条直通路径；残差块由两个 $3\times 3$ 卷积 + BN 组成，形状变化时捷径用 $1\times 1$ 卷积。
# - ResNet-18：首层 + 4 个阶段 × 2 个残差块 + 全局平均汇聚 + 全连接层，标准宽度下 11,178,378 个参数。
# - DenseNet 在通道维拼接，稠密块输出 $c_0 + n k$ 个通道，过渡层用 $1\times 1$ 卷积和平均汇聚控制宽度和分辨率；参数少，但激活内存大。
# - 训练成本大致与批量大小和输入边长的平方成正比；内存不足时，`fit` 会抛出带中文建议的 `OutOfMemoryHelp`。
#
# ## 练习
#
# 1. 在第 6 节中把较深网络的深度换成 44 或 56（`DEG["depths"]`），普通网络与残差网络的训练损失差距如何变化？如果在残差网络中把每个块最后一个 BN 的 $\gamma$ 初始化为 0，前几轮的曲线会有什么变化？
# 2. 证明：若 $\mathcal{F}_1 \subseteq \mathcal{F}_2$，则 $\mathcal{F}_2$ 上的最小训练损失不大于 $\mathcal{F}_1$ 上的。为什么这个结论不能保证梯度下降在 $\mathcal{F}_2$ 上真的找到更好的解？
# 3. 写出 `Residual(c_in, c_out, use_1x1conv=True)` 的参数量公式（含卷积偏置与 BN 的 $\gamma,\beta$），并用 `count_parameters` 验证。
# 4. 对 DenseNet，设每个稠密块有 $n$ 个卷积块、增长率为 $k$，过渡层把通道数减半。推导第 $b$ 个稠密块的输出通道数，并用第 5 节的面板检验。
# 5. DenseNet-BC 在每个 $3\times 3$ 卷积前加一个输出 $4k$ 通道的 $1\times 1$ 卷积（瓶颈层，bottleneck layer）。修改 `conv_block` 实现它，比较参数量与每轮时间。
# 6. 用第 8 节的方法估算 `resnet18(width=64)` 在 $224\times 224$、批量 256 下训练时的激活内存，再加上参数、梯度和动量所需内存，判断一块 16 GiB 显存的 GPU 是否放得下。
#
# ## 参考文献
#
# - He, K., Zhang, X., Ren, S., & Sun, J. (2016). Deep residual learning for image recognition. *CVPR*.
# - He, K., Zhang, X., Ren, S., & Sun, J. (2016). Identity mappings in deep residual networks. *ECCV*.
# - Huang, G., Liu, Z., van der Maaten, L., & Weinberger, K. Q. (2017). Densely connected convolutional networks. *CVPR*.
# - Goyal, P. et al. (2017). Accurate, large minibatch SGD: Training ImageNet in 1 hour.（残差分支末端 BN 的 $\gamma$ 零初始化）
# - Smith, L. N., & Topin, N. (2019). Super-convergence: Very fast training of neural networks using large learning rates.
# - Zhang, A., Lipton, Z. C., Li, M., & Smola, A. J. *Dive into Deep Learning*, 8.6 残差网络、8.7 稠密连接网络.
