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

# %% [markdown]
# # 第3章 残差网络与稠密连接网络
#
# [![在 Colab 中打开](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/dl-optim-course/course/blob/main/notebooks/03_resnet_densenet.ipynb)
#
# 上一章的批量归一化（batch normalization, BN）让较深的网络能够稳定地训练。但“能训练”不等于“越深越好”：把普通卷积网络一层层加深，训练误差到某个深度之后反而会**上升**。本章从这个退化问题（degradation problem）出发，介绍两种改变网络“连线方式”的结构——残差网络（ResNet）用加法把输入直接送到后面，稠密连接网络（DenseNet）用通道拼接把前面所有层的输出都交给后面。它们首先是**优化**上的改进：让深层网络更容易被梯度下降训练好。
#
# 本章的每个积木——残差块、ResNet-18、卷积块、稠密块、过渡层、DenseNet——都在正文里一步步亲手写出来，再逐一检验它与课程包 `course_utils.models` 中的版本完全一致（同样的随机种子给出同样的参数和输出）。后面的章节直接导入课程包的版本。
#
# **学习目标**
#
# 1. 说清退化问题：更深的普通网络连**训练**误差都更高，这不是过拟合；
# 2. 理解残差学习 $f(\mathbf{x}) = \mathbf{x} + g(\mathbf{x})$：为什么“学习残差”比“学习整个映射”容易；
# 3. 亲手写出残差块（residual block，含与不含 $1\times 1$ 卷积捷径两种）和 ResNet-18，逐层读出输出形状，并解释它与 torchvision 的 ResNet-18 参数量为何不同；
# 4. 亲手写出稠密块（dense block）、过渡层（transition layer）和完整的 DenseNet，会计算增长率（growth rate）决定的通道数，分清 DenseNet、DenseNet-B、DenseNet-C 与 DenseNet-BC；
# 5. 在 Fashion-MNIST 上训练两种网络，比较参数量、乘加次数、每轮时间与测试准确率，并亲手复现退化实验；
# 6. 估算激活值占用的内存，认识“内存不足”时课程工具给出的提示。
#
# **先修**：第1章（学习率调度器、单周期策略）、第2章（批量归一化、训练模式与评估模式）；卷积、汇聚层和 `nn.Sequential` 的基本用法。

# %%
# 仅在 Colab 上运行：安装课程支持包并下载数据（本地环境会跳过）
import sys

if "google.colab" in sys.modules:
    !pip install -q "course-utils @ git+https://github.com/dl-optim-course/course.git"

# %%
from course_utils import env

device = env.setup_notebook()

# %%
import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.nn import functional as F

from course_utils import models, widgets
from course_utils.data import TensorLoader, load_fashion_mnist
from course_utils.demos import ch3_diagrams as diagrams
from course_utils.demos import ch3_resnet_densenet as demos
from course_utils.models import count_parameters, layer_shapes, plain_cnn
from course_utils.models.resnets import small_resnet
from course_utils.tables import table
from course_utils.train import OutOfMemoryHelp, fit, impossible_allocation



def shapes_table(net, input_shape, params=True):
    """layer_shapes (one eval-mode forward pass of zeros) shown as a table."""
    rows = layer_shapes(net, input_shape, print_table=False)
    cols = [(0, "层"), (1, "输出形状")] + ([(2, "参数", ",d")] if params else [])
    return table([("输入", input_shape, None)] + rows, cols)


# %% [markdown]
# ## 3.1 退化问题与残差学习
#
# ### 3.1.1 更深，反而更差
#
# 直觉上，深网络至少不该比浅网络差：把一个训练好的 20 层网络后面再接 36 层“什么也不做”的恒等映射（identity mapping），就得到一个和它一样好的 56 层网络。也就是说，深网络能表示的函数类 $\mathcal{F}_{56}$ **包含**浅网络的函数类 $\mathcal{F}_{20}$。可是 He 等人（2016）发现，用同样的方法训练，56 层普通网络（plain network）在 CIFAR-10 上的**训练**误差比 20 层的更高。训练误差更高说明问题不在过拟合，而在**优化**：梯度下降没能在更大的函数类里找到那个“至少一样好”的解。这就是退化问题。
#
# He 等人给出的一种解释是：让一叠“卷积 + BN + ReLU”恰好学成恒等映射并不容易——卷积核要恰好配合成单位阵，而随机初始化离它很远，梯度下降也未必会往那里走。
#
# ### 3.1.2 残差学习
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
# 下一节先把这个结构写成代码，3.6 节再用实验亲眼看看退化现象。

# %% [markdown]
# ## 3.2 残差块
#
# ResNet 的残差块沿用 VGG 的 $3\times 3$ 卷积。下图左边是最基本的残差块：残差分支 $g(\mathbf{x})$ 是两层“卷积 → BN”，第一层之后接 ReLU；捷径（shortcut）把输入 $\mathbf{x}$ 原样送到加法处，相加之后再过一次 ReLU。若分支要改变通道数，或者用步幅 $s=2$ 把高宽减半，$\mathbf{x}$ 与 $g(\mathbf{x})$ 的形状就对不上，这时在捷径上放一个同样步幅的 $1\times 1$ 卷积来变换 $\mathbf{x}$（右图）。

# %%
fig = diagrams.draw_residual_blocks()
plt.show()

# %% [markdown]
# 把图翻译成代码，只需三步：
#
# 1. **分支**：`conv1`（$3\times 3$，步幅 `strides`，填充 1）→ `bn1` → ReLU → `conv2`（$3\times 3$，步幅 1）→ `bn2`。填充 1 让 $3\times 3$ 卷积不改变高宽，高宽只由 `conv1` 的步幅决定；两层都输出 `out_channels` 个通道。
# 2. **捷径**：`use_1x1conv=True` 时建一个 $1\times 1$、同样步幅的卷积 `conv3`，把输入变成 `out_channels` 个通道、同样的高宽；否则捷径上什么也不做。
# 3. **合并**：`forward` 里把分支输出 `Y` 与（变换后的）输入 `X` 相加，再过 ReLU。
#
# 各层按 `conv1, conv2, conv3, bn1, bn2` 的顺序创建——顺序决定了同一随机种子下每层拿到哪些随机数，我们稍后要与课程包的实现逐个参数比较，所以这里与它保持一致。

# %%
class Residual(nn.Module):
    """The residual block: two 3×3 conv-BN layers; the input is added back before the last ReLU."""

    def __init__(self, in_channels, out_channels, *, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
        self.conv3 = (nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=strides)
                      if use_1x1conv else None)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))   # 分支的第一层
        Y = self.bn2(self.conv2(Y))           # 分支的第二层（先不过 ReLU）
        if self.conv3 is not None:
            X = self.conv3(X)                 # 捷径：需要时用 1×1 卷积变换形状
        return F.relu(Y + X)                  # 相加，再过 ReLU


# %% [markdown]
# 检查两种情形的形状：不带 $1\times 1$ 卷积时输入输出形状相同；带 $1\times 1$ 卷积、步幅为 2 时，通道数变为 6，高宽减半。

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
X = torch.rand(4, 3, 6, 6)
blk = Residual(3, 3)
print("不带 1×1 卷积:", tuple(X.shape), "→", tuple(blk(X).shape), "| 参数", count_parameters(blk))
blk = Residual(3, 6, use_1x1conv=True, strides=2)
print("带 1×1 卷积、步幅 2:", tuple(X.shape), "→", tuple(blk(X).shape), "| 参数", count_parameters(blk))

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
# **与课程包的实现对比。** `course_utils.models.Residual` 是同一个残差块，另外还检查参数：例如忘了 $1\times 1$ 卷积时，它在构造时就给出中文提示，而不是等到前向传播在加法处抛出难懂的形状错误（见常见误区 2）。下面的 `compare_with_course` 用同一个随机种子分别构造我们的版本和课程包的版本，然后断言三件事：参数量相同；参数的名字和顺序相同（`state_dict` 的键）；对同一个随机输入，两者的输出逐元素相等。对比在训练模式下进行，BN 用小批量统计量做归一化：刚构造的 BN 在评估模式下的运行均值为 0、运行方差为 1，几乎是恒等映射，漏掉一个 BN 也未必看得出来；训练模式下则不会。这些模型只为对比而建，用完即丢，改动它们的运行统计量无妨。

# %%
# NBVAL_CHECK_OUTPUT
def compare_with_course(name, build_mine, build_course, input_shape, seed=0):
    """Build both versions with the same seed; assert equal parameters and outputs; a table row."""
    torch.manual_seed(seed)
    mine = build_mine()
    torch.manual_seed(seed)
    theirs = build_course()
    assert count_parameters(mine) == count_parameters(theirs), f"{name}: 参数量不同"
    assert list(mine.state_dict()) == list(theirs.state_dict()), f"{name}: 参数名或顺序不同"
    X = torch.randn(input_shape)
    with torch.no_grad():
        Y_mine, Y_course = mine(X), theirs(X)
    assert torch.equal(Y_mine, Y_course), f"{name}: 输出不同"
    return dict(name=name, params=count_parameters(mine), shape=tuple(Y_mine.shape),
                diff=(Y_mine - Y_course).abs().max().item())


COMPARE_COLUMNS = [("name", "模块"), ("shape", "输出形状"), ("params", "参数", ",d"),
                   ("diff", "最大输出差", ".1f")]
table([
    compare_with_course("Residual(3, 3)", lambda: Residual(3, 3),
                        lambda: models.Residual(3, 3), (4, 3, 6, 6)),
    compare_with_course("Residual(3, 6, use_1x1conv=True, strides=2)",
                        lambda: Residual(3, 6, use_1x1conv=True, strides=2),
                        lambda: models.Residual(3, 6, use_1x1conv=True, strides=2), (4, 3, 6, 6)),
], COMPARE_COLUMNS)

# %% [markdown]
# ## 3.3 ResNet-18
#
# ResNet-18 由三部分组成：
#
# 1. **首层**（stem）：$7\times 7$ 卷积（64 通道、步幅 2）+ BN + ReLU，再接 $3\times 3$、步幅 2 的最大汇聚层；
# 2. **四个阶段**（stage），每个阶段两个残差块，通道数依次为 64、128、256、512；除第一阶段外，每个阶段的第一个残差块用 $1\times 1$ 卷积捷径和步幅 2 把通道加倍、高宽减半；
# 3. **输出部分**：全局平均汇聚（global average pooling）把每个通道的特征图平均成一个数，再接一个全连接层输出 10 类。
#
# 卷积层 $1 + 4\times 2\times 2 = 17$ 层（不计捷径上的 $1\times 1$ 卷积），加上全连接层共 18 层，故名 ResNet-18。下面按这三部分依次写出。
#
# ### 3.3.1 首层
#
# 首层把大图像迅速缩小：$7\times 7$ 卷积的步幅 2 和最大汇聚的步幅 2 各把高宽减半一次，$96\times 96$ 的输入出来是 $24\times 24$。Fashion-MNIST 的原图只有 $28\times 28$，经过这样的首层只剩 $7\times 7$（常见误区 5）；所以 `stem` 还提供一个小图像版本（`small_input=True`）：一个 $3\times 3$ 卷积 + BN + ReLU，没有最大汇聚，步幅 `stride` 默认为 1。

# %%
def stem(in_channels, out_channels, small_input=False, stride=1):
    """The first layers: 7×7/2 conv + BN + ReLU + 3×3/2 max-pool, or a 3×3 conv for small images."""
    if small_input:
        return nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, stride=stride),
            nn.BatchNorm2d(out_channels), nn.ReLU())
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=7, stride=2, padding=3),
        nn.BatchNorm2d(out_channels), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1))


print("标准首层:", tuple(stem(1, 64)(torch.zeros(1, 1, 96, 96)).shape))
print("小图像首层:", tuple(stem(1, 16, small_input=True)(torch.zeros(1, 1, 28, 28)).shape))

# %% [markdown]
# ### 3.3.2 阶段：`resnet_block`
#
# 一个阶段由 `num_residuals` 个残差块串联而成。除第一阶段外，阶段的第一个块负责“变形”：通道从 `in_channels` 变为 `out_channels`、步幅 2 把高宽减半，因此它需要 $1\times 1$ 卷积捷径；其余的块输入输出形状相同，用恒等捷径。第一阶段紧跟在首层的最大汇聚之后，高宽已经够小、通道数也不变，所以它的所有块都用恒等捷径（`first_block=True`）。

# %%
def resnet_block(in_channels, out_channels, num_residuals, *, first_block=False):
    """One stage of residual blocks; it halves height and width unless ``first_block``."""
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(in_channels, out_channels, use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(out_channels, out_channels))
    return nn.Sequential(*blk)


X = torch.zeros(1, 64, 24, 24)
print("第一阶段:", tuple(X.shape), "→", tuple(resnet_block(64, 64, 2, first_block=True)(X).shape))
print("第二阶段:", tuple(X.shape), "→", tuple(resnet_block(64, 128, 2)(X).shape))

# %% [markdown]
# ### 3.3.3 组装 ResNet-18
#
# 把首层、四个阶段和输出部分放进一个 `nn.Sequential`。参数 `width` 是第一阶段的通道数，后面三个阶段依次加倍（`width=64` 即标准的 64-128-256-512）；把它调小就得到一个更窄、更快的网络，结构不变。`small_input` 和 `stem_stride` 原样交给首层。

# %%
def resnet18(num_classes=10, in_channels=1, width=64, small_input=False, stem_stride=1):
    """ResNet-18: stem, four stages of two residual blocks, global average pooling, a linear layer."""
    w = width
    return nn.Sequential(
        stem(in_channels, w, small_input, stem_stride),
        resnet_block(w, w, 2, first_block=True),
        resnet_block(w, 2 * w, 2),
        resnet_block(2 * w, 4 * w, 2),
        resnet_block(4 * w, 8 * w, 2),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(8 * w, num_classes))


# %% [markdown]
# 按 d2l 的设置把 Fashion-MNIST 放大到 $96\times 96$ 输入，逐层读出输出形状与参数量。`layer_shapes` 只做一次前向传播，用评估模式，不会改动 BN 的运行统计量（常见误区 6）：

# %%
# NBVAL_CHECK_OUTPUT
net = resnet18(num_classes=10, in_channels=1, width=64)
shapes_table(net, (1, 1, 96, 96))

# %% [markdown]
# 下图把同样的信息画成阶段布局：每个框是一个阶段，框高随特征图边长变化，下方是输出形状和参数量。

# %%
fig = diagrams.draw_stage_layout(net, (1, 1, 96, 96), title="ResNet-18")
plt.show()

# %% [markdown]
# 从表和图中可以读出：首层把 $96\times 96$ 缩小到 $24\times 24$；之后每个阶段高宽减半、通道加倍，最后得到 $512\times 3\times 3$ 的特征图，经全局平均汇聚变成 512 维向量。总参数量为 11,178,378，其中约四分之三（8,395,264）在最后一个阶段：通道加倍时，$3\times 3$ 卷积的参数约变为 4 倍。
#
# 再把首层、阶段和整个网络（标准的 $96\times 96$ 版本和下文 CPU 实验用的窄版本）与课程包逐一对比：

# %%
# NBVAL_CHECK_OUTPUT
small = dict(width=16, small_input=True, stem_stride=2)
table([
    compare_with_course("stem(1, 64)", lambda: stem(1, 64),
                        lambda: models.resnet18(width=64)[0], (2, 1, 96, 96)),
    compare_with_course("resnet_block(64, 128, 2)", lambda: resnet_block(64, 128, 2),
                        lambda: models.resnets.resnet_block(64, 128, 2), (2, 64, 24, 24)),
    compare_with_course("resnet18()", resnet18, models.resnet18, (2, 1, 96, 96)),
    compare_with_course("resnet18(width=16, small_input=True, stem_stride=2)",
                        lambda: resnet18(**small), lambda: models.resnet18(**small), (2, 1, 28, 28)),
], COMPARE_COLUMNS)

# %% [markdown]
# ### 3.3.4 与 torchvision 的 ResNet-18 对比参数量
#
# torchvision 的 ResNet-18（ImageNet 设置：3 个输入通道、1000 类）公布的参数量是 11,689,512。用我们的 `resnet18` 搭同样的配置，数目并不相同，差别来自两处实现细节：
#
# 1. **BN 之前的卷积偏置。** 我们（和 d2l 一样）的卷积层都带偏置，torchvision 的卷积层都不带（`bias=False`）。卷积后面紧跟 BN 时，偏置是多余的：训练模式下 BN 先减去每个通道在小批量上的均值，给一个通道的所有输出都加上同一个常数 $b$，均值也加上 $b$，相减后 $b$ 被完全抵消；BN 的偏移参数 $\beta$ 已经承担了“平移”的作用。所以每个卷积层多出 `out_channels` 个白白占位的参数。捷径上的 $1\times 1$ 卷积后面虽然没有 BN，它的偏置也同样多余：捷径的输出与分支最后一个 BN 的输出相加，这个偏置与那个 BN 的 $\beta$ 只以“和”的形式出现，合并成同一个常数。
# 2. **捷径上的 BN。** torchvision 在 $1\times 1$ 卷积捷径后面还接一个 BN（`downsample = conv1x1 + BatchNorm2d`），每个多出 $2\times$`out_channels` 个参数（$\gamma$ 和 $\beta$）；我们的捷径只有 $1\times 1$ 卷积。
#
# 下面先数出这两项，再验证：我们的参数量 − 卷积偏置 + 捷径 BN = 11,689,512。

# %%
# NBVAL_CHECK_OUTPUT
TORCHVISION_RESNET18 = 11_689_512  # torchvision.models.resnet18(): 3 input channels, 1000 classes
net = resnet18(num_classes=1000, in_channels=3)
ours = count_parameters(net)
conv_bias = sum(m.bias.numel() for m in net.modules() if isinstance(m, nn.Conv2d))
shortcut_bn = sum(2 * m.conv3.out_channels for m in net.modules()
                  if isinstance(m, Residual) and m.conv3 is not None)
print(f"我们的 resnet18(num_classes=1000, in_channels=3): {ours:,}")
print(f"  − 卷积偏置 {conv_bias:,}（= 64 + 4×64 + (4×128 + 128) + (4×256 + 256) + (4×512 + 512)）")
print(f"  + 捷径上 BN 的 γ、β {shortcut_bn:,}（= 2×(128 + 256 + 512)）")
print(f"  = {ours - conv_bias + shortcut_bn:,}，torchvision 公布 {TORCHVISION_RESNET18:,}")
assert conv_bias == 64 + 4 * 64 + (4 * 128 + 128) + (4 * 256 + 256) + (4 * 512 + 512)
assert ours - conv_bias + shortcut_bn == TORCHVISION_RESNET18

# %% [markdown]
# 两处差别一共只有 $4{,}800 - 1{,}792 = 3{,}008$ 个参数，不到总数的万分之三。两处的性质不同：去掉多余的卷积偏置不改变网络能表示的函数；捷径上的 BN 则是真正的结构差别（它对捷径的输出也做归一化），只是参数很少。顺便用一个卷积层加 BN 验证“偏置被 BN 抵消”：把卷积偏置换成随机数，训练模式下 BN 的输出几乎不变：输出本身是 1 的量级，差别只有 float32 舍入误差那么大。

# %%
torch.manual_seed(0)
conv, bn = nn.Conv2d(3, 8, kernel_size=3, padding=1), nn.BatchNorm2d(8)
X = torch.randn(16, 3, 10, 10)
with torch.no_grad():
    before = bn(conv(X))
    conv.bias.copy_(torch.randn(8) * 10)
    after = bn(conv(X))
print("偏置改变后 BN 输出的最大变化:", f"{(after - before).abs().max().item():.1e}")

# %% [markdown]
# ### 3.3.5 小图像：$3\times 3$ 首层与步幅
#
# 本章 `cpu` 模式的训练直接用 $28\times 28$ 的原图，不放大。`small_input=True` 把首层换成一个 $3\times 3$、不带最大汇聚的卷积；`width=16` 让各阶段的通道数为标准的 1/4。我们还会用 `stem_stride=2` 让首层卷积步幅为 2：之后每层特征图的面积都变为四分之一，计算量也约降为四分之一，而参数量不变（卷积核的大小与输入分辨率无关）：

# %%
# NBVAL_CHECK_OUTPUT
rows = []
for stride in (1, 2):
    net = resnet18(width=16, small_input=True, stem_stride=stride)
    shapes = [r[1] for r in layer_shapes(net, (1, 1, 28, 28), print_table=False)]
    rows.append(dict(stride=stride, params=count_parameters(net), stem=shapes[0], last=shapes[4],
                     macs=demos.conv_macs(net, (1, 1, 28, 28)) / 1e6))
table(rows, [("stride", "stem_stride"), ("params", "参数", ",d"), ("stem", "首层输出"),
             ("last", "第四阶段输出"), ("macs", "百万次乘加/样本", ".2f")])

# %% [markdown]
# ## 3.4 稠密连接网络
#
# 残差网络把 $\mathbf{x}$ 与 $g(\mathbf{x})$ **相加**。如果把泰勒展开式 $f(\mathbf{x}) = f(0) + f'(0)\mathbf{x} + \tfrac{1}{2}f''(0)\mathbf{x}^2 + \cdots$ 类比到网络，ResNet 相当于把 $f$ 拆成“一个线性项 + 一个非线性项”。稠密连接网络（DenseNet，Huang 等，2017）更进一步：不相加，而是在**通道维上拼接**，让后面的每一层都能直接看到前面所有层的输出：
#
# $$\mathbf{x} \to \left[\mathbf{x},\; f_1(\mathbf{x}),\; f_2\big([\mathbf{x}, f_1(\mathbf{x})]\big),\; f_3\big([\mathbf{x}, f_1(\mathbf{x}), f_2(\cdots)]\big),\; \ldots\right].$$
#
# ### 3.4.1 卷积块与稠密块
#
# DenseNet 的基本单元是**卷积块** `conv_block`：它沿用 He 等人改良版残差网络中“BN → ReLU → 卷积”的顺序（预激活，pre-activation），卷积为 $3\times 3$、填充 1，所以高宽不变，只改变通道数。

# %%
def conv_block(in_channels, out_channels):
    """BN, ReLU, then a 3×3 convolution (padding 1 keeps height and width)."""
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))


# %% [markdown]
# 一个**稠密块**由 `num_convs` 个卷积块组成，每个卷积块输出 $k$ 个通道，这个 $k$ 叫**增长率**。块内每一步都把新输出拼接到已有特征上，下一个卷积块读入的是拼接后的全部通道：第 $i$ 个卷积块（从 0 数起）的输入有 $c_0 + i k$ 个通道。下图画出 3 个卷积块、$c_0=64$、$k=32$ 的情形：

# %%
fig = diagrams.draw_dense_block(num_convs=3, in_channels=64, growth_rate=32)
plt.show()

# %% [markdown]
# 于是
#
# $$\text{输出通道数} = c_0 + \text{num\_convs}\times k.$$
#
# 写成代码：`__init__` 按上面的通道数建好各个卷积块，并记下输出通道数 `out_channels`（后面的过渡层要用）；`forward` 依次让每个卷积块读入当前的全部特征，再用 `torch.cat(..., dim=1)` 把它的输出拼接到通道维上。

# %%
class DenseBlock(nn.Module):
    """``num_convs`` conv blocks; each one's output is concatenated to its input on channels."""

    def __init__(self, num_convs, in_channels, growth_rate):
        super().__init__()
        self.net = nn.Sequential(*[conv_block(in_channels + i * growth_rate, growth_rate)
                                   for i in range(num_convs)])
        self.out_channels = in_channels + num_convs * growth_rate

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = torch.cat((X, Y), dim=1)  # 在通道维上拼接，不是相加
        return X


# %% [markdown]
# 例如 2 个卷积块、3 个输入通道、增长率 10：输出通道数 $3 + 2\times 10 = 23$，高宽不变。

# %%
# NBVAL_CHECK_OUTPUT
blk = DenseBlock(2, 3, 10)
X = torch.rand(4, 3, 8, 8)
Y = blk(X)
print("DenseBlock(2, 3, 10):", tuple(X.shape), "→", tuple(Y.shape), "| out_channels =", blk.out_channels)

# %% [markdown]
# ### 3.4.2 过渡层
#
# 稠密块不断增加通道，若不加控制，模型会越来越宽。过渡层放在两个稠密块之间，依次是 BN、ReLU（与卷积块一样的预激活顺序）、一个 $1\times 1$ 卷积（减少通道数）和一个步幅为 2 的 $2\times 2$ 平均汇聚（把高宽减半）。论文正文只列出了 BN、$1\times 1$ 卷积和平均汇聚，d2l 与 torchvision 的实现都在 BN 之后加了 ReLU，本章也这样做。
#
# 过渡层输出多少通道，是一个设计选择。Huang 等人引入**压缩因子**（compression）$\theta\in(0, 1]$：过渡层把 $m$ 个通道变为 $\lfloor\theta m\rfloor$ 个。最初的 DenseNet 取 $\theta=1$，过渡层不减少通道；$\theta<1$ 的网络论文称为 DenseNet-C；只在每个 $3\times 3$ 卷积前加 $1\times 1$ 瓶颈层（bottleneck layer）的叫 DenseNet-B；两者都用、取 $\theta=0.5$ 的叫 DenseNet-BC。d2l 以及本章沿用的做法是 $\theta=0.5$ 的压缩（通道减半），但不加瓶颈层；瓶颈层留作练习 5。

# %%
def transition_block(in_channels, out_channels):
    """BN, ReLU, a 1×1 convolution to ``out_channels``, then 2×2 average pooling with stride 2."""
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, out_channels, kernel_size=1),
                         nn.AvgPool2d(kernel_size=2, stride=2))


# %%
# NBVAL_CHECK_OUTPUT
trans = transition_block(23, 10)
print("transition_block(23, 10):", tuple(Y.shape), "→", tuple(trans(Y).shape),
      "| 参数", count_parameters(trans))

# %% [markdown]
# ### 3.4.3 完整的 DenseNet
#
# 整个网络的结构与 ResNet 相似：
#
# 1. **首层**与 ResNet 相同（$7\times 7$ 卷积 + BN + ReLU + 最大汇聚），输出 $2k$ 个通道（$k=32$ 时为 64）。小图像版本只用一个 $3\times 3$ 卷积，不接 BN 和 ReLU：紧接着的卷积块本身就以 BN、ReLU 开头。
# 2. **稠密块与过渡层交替**：d2l 用 4 个稠密块、每块 4 个卷积块、增长率 32；相邻两块之间放一个把通道减半的过渡层（最后一块之后不放）。代码里用变量 `c` 记录当前的通道数。
# 3. **输出部分**：最后一个稠密块输出的是未经归一化的拼接结果，所以先接 BN 和 ReLU，再是全局平均汇聚和全连接层。

# %%
def densenet(num_classes=10, in_channels=1, growth_rate=32, block_sizes=(4, 4, 4, 4),
             small_input=False, stem_stride=1):
    """DenseNet (d2l layout, compression θ=0.5): stem, dense blocks and transition layers, head."""
    c = 2 * growth_rate  # 首层输出的通道数
    if small_input:
        first = nn.Sequential(nn.Conv2d(in_channels, c, kernel_size=3, padding=1, stride=stem_stride))
    else:
        first = stem(in_channels, c)
    layers = [first]
    for i, num_convs in enumerate(block_sizes):
        blk = DenseBlock(num_convs, c, growth_rate)
        layers.append(blk)
        c = blk.out_channels
        if i != len(block_sizes) - 1:  # 块之间放过渡层，通道减半
            layers.append(transition_block(c, c // 2))
            c = c // 2
    layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
               nn.Linear(c, num_classes)]
    return nn.Sequential(*layers)


# %% [markdown]
# 输入同样是 $96\times 96$：

# %%
# NBVAL_CHECK_OUTPUT
net = densenet(num_classes=10, in_channels=1, growth_rate=32, block_sizes=(4, 4, 4, 4))
shapes_table(net, (1, 1, 96, 96))

# %%
fig = diagrams.draw_stage_layout(net, (1, 1, 96, 96), title="DenseNet")
plt.show()

# %% [markdown]
# 通道数的变化可以手算验证：首层 64 通道，第一个稠密块后 $64 + 4\times 32 = 192$，过渡层减半为 96，第二块后 $96 + 128 = 224$，再减半为 112……最后是 248 通道。整个 DenseNet 只有 758,226 个参数，不到 ResNet-18（11,178,378）的 7%：每层只新增 $k=32$ 个通道，而且靠拼接“重复使用”前面的特征。代价是拼接产生的大量中间特征图——DenseNet 的**内存**和**计算时间**并不像参数量那样小（3.7、3.8 节会看到）。
#
# 最后与课程包逐一对比：

# %%
# NBVAL_CHECK_OUTPUT
small = dict(growth_rate=8, block_sizes=(4, 4, 4), small_input=True, stem_stride=2)
table([
    compare_with_course("conv_block(3, 10)", lambda: conv_block(3, 10),
                        lambda: models.conv_block(3, 10), (4, 3, 8, 8)),
    compare_with_course("DenseBlock(2, 3, 10)", lambda: DenseBlock(2, 3, 10),
                        lambda: models.DenseBlock(2, 3, 10), (4, 3, 8, 8)),
    compare_with_course("transition_block(23, 10)", lambda: transition_block(23, 10),
                        lambda: models.transition_block(23, 10), (4, 23, 8, 8)),
    compare_with_course("densenet()", densenet, models.densenet, (2, 1, 96, 96)),
    compare_with_course("densenet(growth_rate=8, block_sizes=(4, 4, 4), small_input=True, "
                        "stem_stride=2)", lambda: densenet(**small),
                        lambda: models.densenet(**small), (2, 1, 28, 28)),
], COMPARE_COLUMNS)

# %% [markdown]
# ## 3.5 交互：深度与增长率
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
# ## 3.6 退化实验：普通网络与残差网络
#
# 现在亲手复现退化问题。`plain_cnn(depth)` 与 `small_resnet(depth)` 是课程包里的一对“孪生”网络：相同的首层、相同的三个阶段（每阶段 $n$ 个两层卷积块，深度 $6n+2$）、相同的全局平均汇聚和输出层，唯一区别是后者每个块带捷径（变形处用 $1\times 1$ 卷积）：它由课程包的 `models.Residual` 组成，3.2 节已经验证它与我们亲手写的 `Residual` 完全一致。两种网络都有 BN，用同样的带动量 SGD、同样的学习率训练。我们比较一个浅网络和一个深网络，看**训练**损失。
#
# 为了在 `cpu` 模式下几分钟内跑完，这里只用训练集的一个随机子集（测试集也按比例抽取一小部分）、很窄的网络（`width`）和步幅为 2 的首层，每个网络只训练几轮。这样的实验只能看出**同样的训练预算下**谁更难优化，准确率本身不能与 3.7 节完整训练的模型相比。

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
table(deg_rows, [("model", "模型"), ("params", "参数", ",d"), ("train_loss", "训练损失", ".3f"),
                 ("train_acc", "训练准确率", ".3f"), ("test_acc", "测试准确率", ".3f")])

# %% [markdown]
# 先说清表中“训练损失”和“训练准确率”的含义：它们是最后一轮里各个小批量上的平均值（`fit` 在训练过程中顺便记录），而不是训练结束后在整个训练集上重新评估的结果。
#
# 表和曲线显示出了退化现象。同样的数据、优化器和轮数下，32 层普通网络最后一轮的**训练**损失是 1.240，远高于 8 层普通网络的 0.514，训练准确率也低得多（0.500 对 0.811）；从图上看，它在每一轮都落在最后，第 4 轮的训练损失甚至比第 3 轮还高。它的参数多得多（117,306 对 19,194），原则上能表示的函数也更多，训练集却拟合得更差——这不是过拟合（过拟合的标志是训练误差低而测试误差高），而是更难优化。加上捷径后，32 层残差网络的训练损失为 0.524、训练准确率为 0.811，与两个 8 层网络处在同一水平：在这个实验里，捷径消除了加深带来的退化。
#
# 另一个细节：8 层时残差网络并不占优（训练损失 0.586 对 0.514）。浅网络本来就好训练，捷径的好处在较深的网络上才显现出来。
#
# 这个实验的证据是有限的，读结论时要心中有数：
#
# - **训练很短。** 只用了 5000 张训练图，每个网络训练 4 轮，远未收敛。我们看到的是“在相同的训练预算下，深的普通网络学得更慢”；它会不会一直落后，要靠更长的训练来回答（He 等人在 CIFAR-10 上一直训练到收敛，深的普通网络的训练误差始终更高）。
# - **只有一个随机种子。** 只差百分之一二的数字（例如两个 8 层网络的训练准确率 0.811 对 0.791）换一个种子完全可能颠倒，不能当作谁更好的证据；可信的只是 32 层普通网络与另外三个网络之间的明显差距。
# - **测试子集很小。** 测试准确率只基于 833 张图，波动更大：32 层残差网络与 8 层普通网络的训练准确率相同，测试准确率却相差近 0.05（0.782 对 0.830）。这里不依据测试准确率下结论。
#
# 练习 1 请你把较深的网络加深到 44 或 56 层，并换几个随机种子，看看差距如何变化。

# %% [markdown]
# ## 3.7 在 Fashion-MNIST 上训练 ResNet 与 DenseNet
#
# 最后用课程的训练函数 `fit` 在**完整**的 Fashion-MNIST（6 万张训练图、1 万张测试图，$28\times 28$）上训练我们亲手写的两个网络，各缩小到适合 CPU 的规模：
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
print(CFG)
train_iter, test_iter = load_fashion_mnist(CFG["batch"], resize=CFG["resize"], subset=CFG["subset"],
                                           device=device)
print("训练样本", train_iter.num_examples, "| 测试样本", test_iter.num_examples,
      "| 每轮小批量数", len(train_iter))

# %% [markdown]
# `OneCycleLR` 默认不只调度学习率：它的 `cycle_momentum=True` 让**动量**反向循环，在 `base_momentum=0.85` 与 `max_momentum=0.95` 之间变化——学习率低时动量高（0.95），学习率升到峰值时动量降到 0.85，退火时再回到 0.95（Smith 与 Topin 的建议：大学习率配小动量）。因此下面构造优化器时写的 `momentum=0.9` 只是占位：构造 `OneCycleLR` 时它就被改写为 0.95。用一个只有一个参数的“假”优化器，按下文的配置把两条曲线记录下来：

# %%
total_steps = CFG["epochs"] * len(train_iter)
dummy = nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([dummy], lr=CFG["lr"], momentum=0.9, nesterov=True)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=CFG["lr"], total_steps=total_steps)
lrs, moms = [], []
for _ in range(total_steps):
    lrs.append(opt.param_groups[0]["lr"])
    moms.append(opt.param_groups[0]["momentum"])
    opt.step()
    sched.step()
peak = max(range(total_steps), key=lambda i: lrs[i])
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3))
ax1.plot(lrs)
ax1.set_ylabel("学习率")
ax2.plot(moms, color="C1")
ax2.set_ylabel("动量")
for ax in (ax1, ax2):
    ax.axvline(peak, color="gray", ls=":", lw=1)
    ax.set_xlabel(f"迭代步（共 {total_steps} 步，每轮 {len(train_iter)} 步）")
fig.tight_layout()
plt.show()
table([dict(step=i, lr=lrs[i], mom=moms[i]) for i in (0, peak, total_steps - 1)],
      [("step", "迭代步"), ("lr", "学习率", ".2e"), ("mom", "动量", ".3f")])

# %%
def train_model(net):
    """SGD (Nesterov momentum, weight decay) with a one-cycle schedule stepped every batch."""
    env.set_seed(0)
    net = net.to(device)
    # momentum=0.9 只是占位：OneCycleLR 默认让动量在 0.95 与 0.85 之间循环
    opt = torch.optim.SGD(net.parameters(), lr=CFG["lr"], momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=CFG["lr"], total_steps=total_steps)
    return fit(net, train_iter, test_iter, num_epochs=CFG["epochs"], optimizer=opt,
               scheduler=sched, scheduler_interval="batch", progress=False,
               callbacks=[print_epoch])


def print_epoch(h):
    """Called by fit after every epoch: one line of metrics."""
    print(f"第 {h.epochs_done} 轮: 训练损失 {h.train_loss[-1]:.3f}, 训练准确率 {h.train_acc[-1]:.3f}, "
          f"测试准确率 {h.test_acc[-1]:.3f}")


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
for name, h in histories.items():
    print(f"{name} 每轮测试准确率:", ", ".join(f"{a:.3f}" for a in h.test_acc))
fig, ax = plt.subplots(figsize=(6, 3.6))
for i, (name, h) in enumerate(histories.items()):
    ep = range(1, len(h.test_acc) + 1)
    ax.plot(ep, h.train_acc, "--", color=f"C{i}", marker="o", ms=3, label=f"{name} 训练")
    ax.plot(ep, h.test_acc, "-", color=f"C{i}", marker="o", ms=3, label=f"{name} 测试")
ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
ax.set_xlabel("轮")
ax.set_ylabel("准确率")
ax.legend()
plt.show()
table(results, [
    ("model", "模型"), ("params", "参数", ",d"), ("mmacs", "百万次乘加/样本", ".2f"),
    ("sec_per_epoch", "秒/轮", ".1f"), ("examples_per_sec", "样本/秒", ".0f"),
    ("train_acc", "训练准确率", ".3f"), ("test_acc", "测试准确率", ".3f")])

# %% [markdown]
# 两个模型都只训练了 3 轮：ResNet 的测试准确率为 0.918，DenseNet 为 0.907。几点观察：
#
# - **参数量不是时间的好指标，乘加次数也不完全是。** DenseNet 只有 34,750 个参数，约为 ResNet（701,930）的 1/20；表中“百万次乘加/样本”一列是一个样本经过所有卷积层和全连接层所需的乘加运算（multiply-accumulate, MAC）次数（由 `demos.conv_macs` 统计），DenseNet 也只有 ResNet 的约三分之一（2.52 对 7.64）。可表中两者每轮的时间却在同一量级，远没有拉开乘加次数那样的差距。原因在于稠密块的每次拼接都要把越来越宽的特征图复制一份，每个卷积块前还有一次 BN 和 ReLU：这些操作几乎不做乘法，却要把整张特征图读写一遍；而且增长率只有 8，每个卷积的通道很少，难以发挥矩阵乘法的效率。
# - **第 1 轮的训练准确率低于测试准确率**：训练准确率是这一轮所有小批量的平均，包含了模型刚开始训练时的大量错误；测试准确率是在轮末用评估模式的模型计算的。
# - **学习率调度的作用。** 单周期策略从 0.004（`max_lr / div_factor`，`div_factor` 默认为 25）出发，在前 30% 的迭代步中把学习率升到 0.1，随后按余弦退火到接近 0；动量同时反向变化。学习率在第 1 轮内（第 211 步）就达到峰值，此后一路退火；ResNet 的测试准确率三轮依次为 0.846、0.895、0.918，在学习率降到接近 0 的最后一轮仍有明显提高。只训练几轮时，调度器的退火阶段对最终结果很重要。
# - 每轮时间取决于硬件和机器当时的负载，每次运行都会波动，在你的电脑上也会不同；两个模型谁快谁慢的细小差别并不可靠。参数量、乘加次数和准确率在固定随机种子下可以复现。

# %% [markdown]
# ## 3.8 内存与时间：放大输入和批量时要小心
#
# 训练时，前向传播中每一层的输出（激活值，activations）都要保存下来供反向传播使用，它们占用的内存与**批量大小**成正比，与**图像边长的平方**成正比。`demos.activation_bytes` 统计一次前向传播中所有叶子层（卷积、BN、ReLU 这类不再含子模块的层）输出的字节数（float32），作为激活值内存的粗略估计：它漏掉了 `torch.cat` 这类函数调用的结果，又多算了一些用完即丢的中间结果；对本章的两个标准模型，它比 autograd 实际为反向传播保存的张量略多一些，作为量级估计足够了。参数、梯度、优化器状态和临时缓冲区还要另算。下面按批量 1 测量，再乘以批量大小：

# %%
# NBVAL_CHECK_OUTPUT
mem_rows = []
for name, build in [("ResNet-18", resnet18), ("DenseNet", densenet)]:
    net = build()
    for side in (96, 160, 224):
        per_example = demos.activation_bytes(net, (1, 1, side, side))
        mem_rows.append(dict(model=name, side=f"{side}×{side}", one=per_example / 2**20,
                             b128=128 * per_example / 2**30, b256=256 * per_example / 2**30))
table(mem_rows, [
    ("model", "模型（标准宽度）"), ("side", "输入"), ("one", "每个样本 MiB", ".2f"),
    ("b128", "批量128 GiB", ".2f"), ("b256", "批量256 GiB", ".2f")])

# %% [markdown]
# 读表可知三点。第一，激活内存与输入边长的平方成正比：边长从 96 增加到 224（约 2.3 倍），ResNet-18 每个样本的激活从 4.06 MiB 增加到 22.11 MiB（约 5.4 倍，正是 $(224/96)^2 \approx 5.4$）。第二，它与批量大小成正比：$224\times 224$、批量 256 时，DenseNet 仅前向激活就约 8.93 GiB，再加上参数、梯度和反向传播的临时缓冲区，显存较小的显卡就放不下了。第三，参数少不等于省内存：DenseNet 的参数只有 ResNet-18 的约 7%，每个样本的激活却更多（96×96 时 6.56 MiB 对 4.06 MiB），因为稠密块里每个卷积块的 BN 和 ReLU 都作用在越来越宽的拼接结果上，各自输出一份同样宽的特征图。
#
# **内存不够时会发生什么？** 分两种情况。
#
# 1. **分配器当场拒绝。** 一次申请的内存超出系统能给的范围时，PyTorch 的分配器立即抛出异常：GPU 上是 `torch.OutOfMemoryError`（“CUDA out of memory”），CPU 上是含 “DefaultCPUAllocator: can't allocate memory” 的 `RuntimeError`（Windows 上措辞为 “not enough memory”）。这种错误可以捕获。
# 2. **操作系统直接结束进程。** Linux 等系统允许进程先“借”到比物理内存更多的地址空间，等真正写入时才分配物理内存；此时内存耗尽，操作系统的 OOM killer 会直接杀掉进程。Python 根本来不及抛出异常，`try/except` 和 `fit` 都**无法捕获**：Jupyter 只会显示内核已重启，Colab 显示会话崩溃，之前算出的变量全部丢失。唯一的办法是事先像上表那样估算，把规模调小。
#
# 第一种情况可以安全地演示。`train.impossible_allocation()` 向 CPU 分配器申请 $2^{62}$ 字节（4 EiB），远超现有 64 位处理器实际支持的虚拟地址空间（最多 $2^{57}$ 字节），于是分配器立刻拒绝，一个字节也不会真的占用。先看 PyTorch 的原始错误：

# %%
try:
    impossible_allocation()
except RuntimeError as e:
    print(f"{type(e).__name__}: {str(e).splitlines()[0]}")

# %% [markdown]
# 原始错误只说明“分配失败”，没说该怎么办，训练时它还夹在一长串调用栈里。课程的 `fit` 会捕获这类错误，改为抛出 `OutOfMemoryHelp`，用中文说明该调哪些参数。下面的模型在前向传播里发出同样的申请，看 `fit` 给出的提示：

# %%
class AsksTooMuch(nn.Module):
    """A model whose forward pass asks the CPU allocator for 4 EiB: a real, instant failure."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(28 * 28, 10)

    def forward(self, X):
        impossible_allocation()
        return self.linear(X.flatten(1))


tiny = TensorLoader(torch.zeros(4, 1, 28, 28), torch.zeros(4, dtype=torch.long), batch_size=2)
model = AsksTooMuch()
try:
    fit(model, tiny, num_epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        progress=False)
except OutOfMemoryHelp as e:
    print(f"{type(e).__name__}: {e}")

# %% [markdown]
# 遇到这条提示时，按影响从大到小依次尝试：减小 `resize`（边长减半，激活内存约降为 1/4）、减小 `batch_size`（内存线性下降；学习率通常也应相应减小）、减小 `width` 或 `growth_rate`。时间也遵循同样的比例：本章 `cpu` 模式的实验没有放大图像、还用步幅 2 的首层把特征图再缩小一半，正是为了把每个模型的训练控制在几分钟以内。

# %% [markdown]
# ## 常见误区
#
# 下面每条误区后面都跟着一个单元格，用本章的代码演示或反驳它。

# %% [markdown]
# **误区 1：“深网络训练误差高是过拟合。”** 过拟合表现为训练误差低、测试误差高；退化问题是**训练误差本身**更高，是优化问题。下面从 3.6 节的实验里取出两个普通网络：深的那个不仅测试准确率低，训练损失也更高。

# %%
# 误区 1
plain = [r for r in deg_rows if r["model"].startswith("普通")]
table(plain, [("model", "模型"), ("params", "参数", ",d"), ("train_loss", "训练损失", ".3f"),
              ("train_acc", "训练准确率", ".3f"), ("test_acc", "测试准确率", ".3f")])

# %% [markdown]
# **误区 2：改变形状时忘了 $1\times 1$ 卷积也没关系。** 残差块的加法要求 $\mathbf{x}$ 与 $g(\mathbf{x})$ 形状完全相同；通道数或步幅改变时，捷径上必须有 $1\times 1$ 卷积（`use_1x1conv=True`）。我们写的 `Residual` 不检查参数，错误要等到前向传播、在加法处才出现；课程包的版本在构造时就报错。

# %%
# 误区 2
try:
    Residual(3, 6)(torch.zeros(1, 3, 6, 6))
except RuntimeError as e:
    print("我们的 Residual(3, 6)，前向传播时:", e)
try:
    models.Residual(3, 6)
except ValueError as e:
    print("课程包的 Residual(3, 6)，构造时:", e)

# %% [markdown]
# **误区 3：把稠密块的拼接写成相加也一样。** 稠密块在通道维（`dim=1`）上拼接，输出通道数为 $c_0 + n k$。写成相加，通道数就停在 $c_0$ 不变（那成了残差结构，而且只有 $c_0 = k$ 时才能运行）；后面的层按 $c_0 + nk$ 个通道建好，就会在别处报出形状错误。

# %%
# 误区 3
class AddingBlock(DenseBlock):
    """A wrong dense block: adds the conv block's output instead of concatenating it."""

    def forward(self, X):
        for blk in self.net:
            X = X + blk(X)
        return X


X = torch.rand(2, 8, 6, 6)
right, wrong = DenseBlock(1, 8, 8), AddingBlock(1, 8, 8)
print("拼接:", tuple(right(X).shape), "| 相加:", tuple(wrong(X).shape),
      "| out_channels 声称", wrong.out_channels)
try:
    transition_block(wrong.out_channels, 8)(wrong(X))
except RuntimeError as e:
    print("相加的结果送进过渡层:", str(e).splitlines()[0])
try:
    AddingBlock(2, 3, 10)(torch.rand(2, 3, 6, 6))
except RuntimeError as e:
    print("c0 ≠ k 时相加:", str(e).splitlines()[0])

# %% [markdown]
# **误区 4：参数少就一定省内存、省时间。** DenseNet 的参数远少于 ResNet，但拼接产生的特征图很多，激活内存和计算时间并不小。下面把 3.7、3.8 节的数字放在一起：

# %%
# 误区 4
res, dense = results
print(f"3.7 节训练的两个模型：参数 {dense['params']:,} 对 {res['params']:,}"
      f"（DenseNet 是 ResNet 的 {dense['params'] / res['params']:.1%}），"
      f"每轮时间 {dense['sec_per_epoch']:.1f} 对 {res['sec_per_epoch']:.1f} 秒"
      f"（{dense['sec_per_epoch'] / res['sec_per_epoch']:.0%}）")
one = {r["model"]: r["one"] for r in mem_rows if r["side"] == "96×96"}
print(f"标准宽度、96×96：参数 {count_parameters(densenet()):,} 对 {count_parameters(resnet18()):,}，"
      f"每个样本的激活 {one['DenseNet']:.2f} MiB 对 {one['ResNet-18']:.2f} MiB")

# %% [markdown]
# **误区 5：$28\times 28$ 的图像可以直接送进为 $224\times 224$ 设计的首层。** $7\times 7$ 步幅 2 的卷积加最大汇聚会把 28 缩到 7，之后每个阶段再减半，ResNet-18 的最后一个阶段只剩 $1\times 1$；DenseNet 的第三个过渡层甚至要对 $1\times 1$ 的特征图做 $2\times 2$ 汇聚，直接报错。小图像应改用 $3\times 3$ 首层（`small_input=True`）。

# %%
# 误区 5
net = resnet18()
print("标准 ResNet-18，28×28 输入，各层输出的高宽:",
      [r[1][2:] for r in layer_shapes(net, (1, 1, 28, 28), print_table=False)[:5]])
try:
    layer_shapes(densenet(), (1, 1, 28, 28), print_table=False)
except RuntimeError as e:
    print("标准 DenseNet，28×28 输入:", str(e).splitlines()[0])
net = resnet18(small_input=True)
print("small_input=True 的 ResNet-18，各层输出的高宽:",
      [r[1][2:] for r in layer_shapes(net, (1, 1, 28, 28), print_table=False)[:5]])

# %% [markdown]
# **误区 6：在训练模式下“试跑”一次来看形状无伤大雅。** 训练模式下的前向传播会用这一批数据更新 BN 的运行均值和方差，悄悄改动了模型；`layer_shapes` 为此临时切换到评估模式，结束后再恢复原来的模式。

# %%
# 误区 6
torch.manual_seed(0)
net = resnet18(width=16, small_input=True)
bn = net[0][1]  # 首层的 BN
X = torch.randn(8, 1, 28, 28)
layer_shapes(net, (8, 1, 28, 28), print_table=False)
print("用 layer_shapes 看形状后：num_batches_tracked =", bn.num_batches_tracked.item(),
      "| 运行均值最大绝对值 =", f"{bn.running_mean.abs().max().item():.3f}")
with torch.no_grad():
    net(X)  # 训练模式下“试跑”：no_grad 也挡不住统计量的更新
print("训练模式下试跑一次后：num_batches_tracked =", bn.num_batches_tracked.item(),
      "| 运行均值最大绝对值 =", f"{bn.running_mean.abs().max().item():.3f}", "| 仍在训练模式:", net.training)

# %% [markdown]
# 注意：`torch.no_grad()` 只关掉梯度记录，并不会把 BN 切换到评估模式；要看形状而不改动模型，得用 `model.eval()`（之后记得切回 `model.train()`），或者直接用 `layer_shapes`。

# %% [markdown]
# ## 小结
#
# - 退化问题：加深普通网络时训练误差反而上升；这是优化困难，不是过拟合。
# - 残差学习 $f(\mathbf{x}) = \mathbf{x} + g(\mathbf{x})$ 让恒等映射变得“免费”（$g=0$），并给梯度一条直通路径；残差块由两个 $3\times 3$ 卷积 + BN 组成，形状变化时捷径用 $1\times 1$ 卷积。
# - ResNet-18：首层 + 4 个阶段 × 2 个残差块 + 全局平均汇聚 + 全连接层，按本章（d2l）的写法在 1 个输入通道、10 类时有 11,178,378 个参数；3 通道、1000 类时比 torchvision 的 11,689,512 多 3,008 个，差在 BN 之前多余的卷积偏置（4,800）和 torchvision 捷径上的 BN（1,792）。
# - DenseNet 在通道维拼接，稠密块输出 $c_0 + n k$ 个通道；过渡层是 BN、ReLU、$1\times 1$ 卷积和平均汇聚，本章按 d2l 取压缩因子 $\theta=0.5$（通道减半，论文中的 DenseNet-C；再加瓶颈层即 DenseNet-BC）。它参数少，但激活内存大。
# - `OneCycleLR` 默认同时让学习率和动量（0.85–0.95）反向循环。
# - 训练成本大致与批量大小和输入边长的平方成正比；内存分配失败时 `fit` 抛出带中文建议的 `OutOfMemoryHelp`，但操作系统直接结束进程时，任何代码都无法捕获。

# %% [markdown]
# ## 练习

# %% [markdown]
# **练习 1** 在 3.6 节中把较深网络的深度换成 44 或 56（`DEG["depths"]`），并换 3 个随机种子（`env.set_seed(s)`），普通网络与残差网络的训练损失差距如何变化？如果在残差网络中把每个块最后一个 BN 的 $\gamma$ 初始化为 0，前几轮的曲线会有什么变化？
#
# <details><summary>提示与答案</summary>
#
# 提示：构造网络之后、训练之前，对每个 `m in net.modules()` 检查 `isinstance(m, models.Residual)`（课程包的 `small_resnet` 由 `models.Residual` 组成），再执行 `nn.init.zeros_(m.bn2.weight)` 做零初始化；每个配置记下最后一轮的训练损失，比较多个种子的平均值和波动范围，而不是单次结果。
#
# 答案要点：普通网络越深，同样预算下的训练损失通常越高，与残差网络的差距随深度拉大——这正是 He 等人在 CIFAR-10 上看到的现象（56 层普通网络的训练误差高于 20 层）；残差网络加深后训练损失与浅网络相近。换种子后，百分之一二的差别会来回变化，只有随深度一致出现的大差距才可信。$\gamma$ 零初始化后，每个残差块在开始时都是恒等映射，深的残差网络起步时相当于只剩首层、几个 $1\times 1$ 卷积捷径和输出层的浅网络，前几个小批量的损失下降得更平稳；训练几轮后，这一初始化的影响通常会变小。本笔记本没有运行这个实验，具体数字请以你的运行结果为准。
#
# </details>

# %% [markdown]
# **练习 2** 证明：若 $\mathcal{F}_1 \subseteq \mathcal{F}_2$，则 $\mathcal{F}_2$ 上的最小训练损失不大于 $\mathcal{F}_1$ 上的。为什么这个结论不能保证梯度下降在 $\mathcal{F}_2$ 上真的找到更好的解？
#
# <details><summary>提示与答案</summary>
#
# 提示：最小值是对集合取的；集合变大，最小值只会变小或不变。
#
# 答案：设 $L(f)$ 为训练损失，$f_1^* \in \mathcal{F}_1$ 使 $L$ 在 $\mathcal{F}_1$ 上达到最小（若取不到，对下确界同样论证）。因为 $f_1^* \in \mathcal{F}_2$，所以 $\min_{f\in\mathcal{F}_2} L(f) \le L(f_1^*) = \min_{f\in\mathcal{F}_1} L(f)$。但这只是关于**最优值**的结论：梯度下降只是从某个初始点出发沿负梯度走有限步，是一个局部、非凸的搜索过程，不保证找到 $\mathcal{F}_2$ 中的最优解，甚至不保证找到 $f_1^*$ 那样好的点。退化问题说的正是这个差距；残差结构让“包含 $\mathcal{F}_1$ 的那个解”（后加的块取恒等映射，即 $g=0$）变得容易到达。
#
# </details>

# %% [markdown]
# **练习 3** 写出 `Residual(c_in, c_out, use_1x1conv=True)` 的参数量公式（含卷积偏置与 BN 的 $\gamma,\beta$），以及不带 $1\times 1$ 卷积的 `Residual(c, c)` 的公式，并用 `count_parameters` 验证。
#
# <details><summary>提示与答案</summary>
#
# 提示：一个 $k\times k$ 卷积有 $k^2 c_\text{in} c_\text{out}$ 个权重和 $c_\text{out}$ 个偏置；一个 BN 有 $2c$ 个可学习参数（运行均值和方差不是参数）。
#
# 答案：$(9c_\text{in}c_\text{out} + c_\text{out}) + (9c_\text{out}^2 + c_\text{out}) + (c_\text{in}c_\text{out} + c_\text{out}) + 4c_\text{out} = 10c_\text{in}c_\text{out} + 9c_\text{out}^2 + 7c_\text{out}$；不带 $1\times 1$ 卷积时为 $18c^2 + 6c$。下一个单元格验证：`Residual(3, 6, use_1x1conv=True)` 有 546 个参数，`Residual(3, 3)` 有 180 个，`Residual(64, 128, use_1x1conv=True)` 有 230,272 个，与 `count_parameters` 一致。
#
# </details>

# %%
# 练习 3
def residual_params(c_in, c_out, use_1x1conv):
    if use_1x1conv:
        return 10 * c_in * c_out + 9 * c_out**2 + 7 * c_out
    assert c_in == c_out
    return 18 * c_out**2 + 6 * c_out


for c_in, c_out, use in [(3, 6, True), (3, 3, False), (64, 128, True)]:
    n = count_parameters(Residual(c_in, c_out, use_1x1conv=use))
    print(f"Residual({c_in}, {c_out}, use_1x1conv={use}): 公式 {residual_params(c_in, c_out, use):,}，"
          f"count_parameters {n:,}")

# %% [markdown]
# **练习 4** 对 DenseNet，设首层输出 $c_0$ 个通道，每个稠密块有 $n$ 个卷积块、增长率为 $k$，过渡层把通道数减半（先不管取整）。推导第 $b$ 个稠密块的输出通道数，并对 d2l 的配置（$c_0=64, n=4, k=32$）用模型验证。$b$ 很大时它趋于多少？
#
# <details><summary>提示与答案</summary>
#
# 提示：记 $a_b$ 为第 $b$ 块的输出通道数，则 $a_1 = c_0 + nk$，$a_b = a_{b-1}/2 + nk$；这是一个一阶线性递推。
#
# 答案：$a_b = \dfrac{c_0}{2^{b-1}} + 2nk\left(1 - 2^{-b}\right)$。d2l 的配置下 $a_1, \dots, a_4 = 192, 224, 240, 248$，与下一个单元格从模型读出的通道数一致（这里每次减半都恰好整除，取整不起作用）；$b\to\infty$ 时 $a_b \to 2nk = 256$：首层的影响逐块减半，通道数不会无限增长，这正是过渡层压缩的作用。
#
# </details>

# %%
# 练习 4
c0, n, k = 64, 4, 32
formula = [c0 / 2 ** (b - 1) + 2 * n * k * (1 - 2 ** -b) for b in range(1, 5)]
model_channels = [m.out_channels for m in densenet() if isinstance(m, DenseBlock)]
print("公式:", [f"{a:g}" for a in formula], "| 模型:", model_channels, "| 极限 2nk =", 2 * n * k)

# %% [markdown]
# **练习 5** DenseNet-B 在每个 $3\times 3$ 卷积前加一个输出 $4k$ 通道的 $1\times 1$ 卷积（瓶颈层，bottleneck layer），即卷积块变为 BN → ReLU → $1\times 1$ 卷积（$4k$ 通道）→ BN → ReLU → $3\times 3$ 卷积（$k$ 通道）。修改 `conv_block` 实现它，对 d2l 的第一个稠密块（$c_0=64$，4 个卷积块，$k=32$，$24\times 24$ 特征图）比较参数量与乘加次数。瓶颈层什么时候才省参数？
#
# <details><summary>提示与答案</summary>
#
# 提示：写一个 `bottleneck_block(in_channels, out_channels)`，再让 `DenseBlock` 的子类在 `__init__` 里用它重建 `self.net`；乘加次数用 `demos.conv_macs`。
#
# 答案：下一个单元格算出，这个稠密块的参数从 130,048 增加到 207,360，乘加次数从 74.32 百万增加到 117.96 百万——在这个配置下瓶颈层反而更贵。原因：普通卷积块约有 $9c\,k$ 个权重，瓶颈版本约有 $4k\,c + 9\cdot 4k\cdot k = 4kc + 36k^2$ 个；只有当输入通道 $c > 36k/5 = 7.2k$（$k=32$ 时约 230）时瓶颈层才更省。d2l 的配置里各卷积块的输入只有 64～216 个通道，而论文中的大网络每块有很多卷积块，例如 DenseNet-121 的第三个稠密块有 24 个卷积块，最后一个卷积块的输入有 $256 + 23\times 32 = 992$ 个通道，远超 230，那时瓶颈层才大幅节省参数和计算。每轮时间请自己在训练中测量。
#
# </details>

# %%
# 练习 5
def bottleneck_block(in_channels, out_channels):
    """DenseNet-B conv block: BN-ReLU-1×1 conv (4k channels) then BN-ReLU-3×3 conv (k channels)."""
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, 4 * out_channels, kernel_size=1),
                         nn.BatchNorm2d(4 * out_channels), nn.ReLU(),
                         nn.Conv2d(4 * out_channels, out_channels, kernel_size=3, padding=1))


class BottleneckDenseBlock(DenseBlock):
    def __init__(self, num_convs, in_channels, growth_rate):
        super().__init__(num_convs, in_channels, growth_rate)
        self.net = nn.Sequential(*[bottleneck_block(in_channels + i * growth_rate, growth_rate)
                                   for i in range(num_convs)])


rows = []
for name, blk in [("稠密块", DenseBlock(4, 64, 32)), ("带瓶颈层的稠密块", BottleneckDenseBlock(4, 64, 32))]:
    rows.append(dict(name=name, params=count_parameters(blk),
                     macs=demos.conv_macs(blk, (1, 64, 24, 24)) / 1e6,
                     out=tuple(blk(torch.zeros(1, 64, 24, 24)).shape[1:])))
table(rows, [("name", "模块"), ("out", "输出形状"), ("params", "参数", ",d"),
             ("macs", "百万次乘加/样本", ".2f")])

# %% [markdown]
# **练习 6** 用 3.8 节的方法估算 `resnet18()`（标准宽度）在 $224\times 224$、批量 256 下训练时的激活内存，再加上参数、梯度和动量所需内存，判断一块 16 GiB 显存的 GPU 是否放得下。
#
# <details><summary>提示与答案</summary>
#
# 提示：参数、梯度、动量缓冲区各占“参数个数 × 4 字节”（float32）。
#
# 答案：下一个单元格算出，激活约 5.53 GiB，参数、梯度和动量合计约 0.12 GiB（约 128 MiB），总计约 5.65 GiB，远小于 16 GiB，放得下；但 `activation_bytes` 只是粗略估计，反向传播的临时缓冲区、cuDNN 的工作空间和 PyTorch 缓存分配器的碎片还会再占一些，所以要留出余量。同样的设置下 DenseNet 的激活约 8.93 GiB（见 3.8 节的表），也放得下，但余量小得多。
#
# </details>

# %%
# 练习 6
net = resnet18()
act = 256 * demos.activation_bytes(net, (1, 1, 224, 224)) / 2**30
state = 3 * count_parameters(net) * 4 / 2**30  # parameters + gradients + momentum, float32
print(f"激活 {act:.2f} GiB + 参数/梯度/动量 {state:.2f} GiB = {act + state:.2f} GiB")

# %% [markdown]
# ## 参考文献
#
# - He, K., Zhang, X., Ren, S., & Sun, J. (2016). Deep residual learning for image recognition. *CVPR*.
# - He, K., Zhang, X., Ren, S., & Sun, J. (2016). Identity mappings in deep residual networks. *ECCV*.
# - Huang, G., Liu, Z., van der Maaten, L., & Weinberger, K. Q. (2017). Densely connected convolutional networks. *CVPR*.（压缩因子 $\theta$、DenseNet-B/C/BC 的命名）
# - Goyal, P. et al. (2017). Accurate, large minibatch SGD: Training ImageNet in 1 hour.（残差分支末端 BN 的 $\gamma$ 零初始化）
# - Smith, L. N., & Topin, N. (2019). Super-convergence: Very fast training of neural networks using large learning rates.（单周期策略中学习率与动量的反向循环）
# - PyTorch 文档：`torch.optim.lr_scheduler.OneCycleLR`（`cycle_momentum`、`base_momentum=0.85`、`max_momentum=0.95`）；torchvision 文档：`torchvision.models.resnet18`（参数量 11,689,512）。
# - Zhang, A., Lipton, Z. C., Li, M., & Smola, A. J. *Dive into Deep Learning*, 第 8.6–8.7 节（中文版《动手学深度学习》第二版第 7.6 节 残差网络、第 7.7 节 稠密连接网络）. https://d2l.ai
