# %% [markdown]
# # 第0章 环境与工具
#
# [![在 Colab 中打开](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/dl-optim-course/course/blob/main/notebooks/00_setup.ipynb)
#
# 在进入学习率调度、批量归一化等正式内容之前，我们先花几分钟确认运行环境一切正常，并熟悉贯穿全课程的支持包 `course_utils`。
#
# **学习目标**
#
# 1. 检查 Python、PyTorch 等软件的版本，确认计算设备（CPU 或 GPU）与运行模式；
# 2. 从本地镜像或官方地址读取 Fashion-MNIST，并验证文件校验和（checksum）；
# 3. 用一行代码画出带中文标签的图像网格；
# 4. 用课程的训练函数 `fit` 训练一个小模型，用实时曲线观察训练过程；
# 5. 拖动一个交互滑块（slider），体会之后各章的交互式实验。
#
# **先修**：会写简单的 Python 程序，了解张量（tensor）的基本操作。

# %%
# 仅在 Colab 上运行：安装课程支持包并下载数据（本地环境会跳过）
import sys

if "google.colab" in sys.modules:
    !pip install -q "course-utils @ git+https://github.com/dl-optim-course/course.git"

# %%
from course_utils import env

device = env.setup_notebook()

# %% [markdown]
# ## 0.1 运行模式
#
# 同一份笔记本要在三种场合下运行，因此所有“规模”参数（训练轮数、数据量、模型宽度）都由运行模式决定：
#
# | 模式 | 用途 | 规模 |
# |---|---|---|
# | `smoke` | 自动化测试：几十秒内把每个单元格跑一遍 | 极小的数据子集、1 轮 |
# | `cpu` | 没有 GPU 的学习者（默认） | 只用 CPU 也能在几分钟内跑完一章，结果有意义 |
# | `full` | 有 GPU 时（检测到 CUDA 时的默认值） | 与 *Dive into Deep Learning* 相同的规模 |
#
# 模式由环境变量 `COURSE_MODE` 决定；在笔记本里用 `env.pick(smoke=..., cpu=..., full=...)` 取出当前模式对应的值。下面打印本机的环境信息：

# %%
for key, value in env.describe().items():
    print(f"{key:>10}: {value}")

# %% [markdown]
# `pick` 的用法如下。写错模式名会得到明确的中文错误，而不是悄悄地回退到某个默认值：

# %%
# NBVAL_CHECK_OUTPUT
print(env.pick(smoke="几秒", cpu="几分钟", full="GPU 上几分钟", mode="cpu"))
try:
    env.pick(smoke=1, cpu=2, full=3, mode="gpu")
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# ## 0.2 数据：Fashion-MNIST
#
# Fashion-MNIST（Xiao 等，2017）由 Zalando 发布，包含 10 类服饰的 28×28 灰度图像：训练集 60000 张、测试集 10000 张，每类各 6000/1000 张。课程直接读取官方的 IDX 格式 `.gz` 文件，并用 MD5 校验和确认文件与官方发布的完全一致；文件缺失或损坏时会自动重新下载，并用中文说明原因。
#
# 与 d2l 使用的 torchvision 流水线不同，`load_fashion_mnist` 把整个数据集一次性放进内存（约 55 MB），每个小批量（minibatch）直接从张量中切片；需要放大图像时，对整个批量调用一次 `F.interpolate`，而不是逐张图片做变换。

# %%
from course_utils import data

train_iter, test_iter = data.load_fashion_mnist(batch_size=256)
print("训练样本数:", train_iter.num_examples, " 测试样本数:", test_iter.num_examples)
print("每轮小批量数:", len(train_iter))

# %% [markdown]
# 检查完整数据集的类别分布（`smoke` 模式同样读取完整文件，因此输出与模式无关）：

# %%
# NBVAL_CHECK_OUTPUT
import numpy as np

Xtr, ytr, Xte, yte = data.fashion_mnist_arrays()
print("训练图像:", Xtr.shape, Xtr.dtype, " 测试图像:", Xte.shape)
print("训练集每类样本数:", np.bincount(ytr).tolist())
print("测试集每类样本数:", np.bincount(yte).tolist())
print(f"训练像素均值/标准差（[0,1] 尺度）: {Xtr.mean() / 255:.4f} / {Xtr.std() / 255:.4f}")

# %% [markdown]
# 十个类别的中英文名称：

# %%
# NBVAL_CHECK_OUTPUT
for i, (zh, en) in enumerate(data.FASHION_MNIST_CLASSES):
    print(f"{i}: {zh}（{en}）")

# %% [markdown]
# 用 `show_images` 画出前 18 张训练图像，标题是中文类名。如果标题显示为方框，说明中文字体没有注册成功——`setup_notebook` 会优先使用系统中的中文字体，否则使用随 `mplfonts` 包一起安装的 Noto Sans CJK 字体，因此离线和在 Colab 上都能正常显示。

# %%
from course_utils import plotting

plotting.show_images(Xtr[:18], 2, 9, titles=data.fashion_mnist_labels(ytr[:18]));

# %% [markdown]
# ## 0.3 训练一个小模型
#
# `course_utils.train.fit` 是全课程共用的训练循环。它的设计要点：
#
# - 每个小批量的损失与正确数都**累加在设备上**，每轮只与主机同步一次（避免每个批量调用 `.item()` 拖慢 GPU）；
# - 记录每轮的训练损失、训练/测试准确率、学习率、耗时和每秒样本数（examples/sec）；默认（`progress=True`）每轮显示一个 `tqdm` 进度条，这一轮结束后进度条自动消失；
# - 损失出现 NaN 或 inf、或者一轮的平均损失超过第一个批量损失的 100 倍（参数 `divergence_factor`）时，停止训练、给出中文提示，并把 `History.diverged` 置为 `True`，而不是抛出异常中断整个笔记本；
# - 可以传入回调函数，例如 `LivePlot`，它在每轮结束后原地重绘曲线。
#
# 下面用一个只有一个隐藏层的多层感知机（multilayer perceptron, MLP）以学习率 0.1 训练 3 轮（`smoke` 模式只训练 1 轮）。实时曲线已经能显示训练进度，所以这里传入 `progress=False` 关掉进度条；自己运行时去掉这个参数，就能看到每轮的进度条。

# %%
import torch
from torch import nn

from course_utils import train
from course_utils.tables import table

env.set_seed(0)
mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
small_train, small_test = data.load_fashion_mnist(
    256, subset=env.pick(smoke=2048, cpu=None, full=None), device=device)
history = train.fit(mlp, small_train, small_test, num_epochs=env.pick(smoke=1, cpu=3, full=3),
                    optimizer=torch.optim.SGD(mlp.parameters(), lr=0.1), progress=False,
                    callbacks=[plotting.LivePlot(title="MLP 在 Fashion-MNIST 上的训练曲线")])
print(history.summary())

# %% [markdown]
# 学习率过大时会发生什么？给一个两隐藏层的 MLP 用带动量（momentum=0.9）的 SGD、学习率 1000 训练，损失很快变成 inf/NaN；`fit` 报告发散并返回，而不是让笔记本崩溃：

# %%
env.set_seed(0)
bad = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                    nn.Linear(256, 10))
bad_history = train.fit(bad, small_train, None, num_epochs=1, progress=False,
                        optimizer=torch.optim.SGD(bad.parameters(), lr=1000, momentum=0.9))
print("diverged =", bad_history.diverged)

# %% [markdown]
# ## 0.4 交互滑块
#
# 之后每一章都有交互实验：拖动滑块，图像随之重绘。每个滑块背后都是一个普通的绘图函数 `draw(**params)`，因此它也能在没有浏览器的情况下被测试调用。下面的例子画出以学习率 $\eta$ 在 $f(x)=x^2$ 上做 10 步梯度下降的轨迹（第 4 章会详细讨论）：

# %%
import matplotlib.pyplot as plt

from course_utils import widgets


def draw_gd(lr=0.2, x0=5.0):
    """Gradient descent on f(x) = x^2 for 10 steps; returns the figure."""
    xs = [x0]
    for _ in range(10):
        xs.append(xs[-1] - lr * 2 * xs[-1])
    fig, ax = plt.subplots(figsize=(5, 3))
    grid = np.linspace(-6, 6, 200)
    ax.plot(grid, grid**2, color="0.6", label="$f(x)=x^2$")
    ax.plot(xs, np.square(xs), "o-", color="tab:orange", label=f"学习率 η={lr:.3g}")
    ax.set_ylim(-1, 40)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title("梯度下降的前 10 步")
    ax.legend(loc="upper center")
    return fig


draw_gd(lr=0.2);

# %% [markdown]
# 下面是同一个函数的交互版本（在 JupyterLab 或 Colab 中运行后可拖动；学习率滑块是对数刻度）：

# %%
panel = widgets.interactive(draw_gd, lr=widgets.log_slider(0.2, 0.01, 1.2, description="学习率 η"),
                            x0=widgets.float_slider(5.0, -5.0, 5.0, 0.5, description="起点 x0"))
panel

# %% [markdown]
# ## 小结
#
# - `env.setup_notebook()` 设置随机种子、绘图风格与中文字体，并返回计算设备；运行规模由 `COURSE_MODE` 决定。
# - 数据文件经过 MD5 校验，整个数据集常驻内存；批量级的变换在设备上完成。
# - `fit` 是全课程共用的训练循环：每轮只同步一次、有进度条、能报告发散。
# - 交互滑块背后是普通函数，既能拖动也能被测试调用。

# %% [markdown]
# ## 练习
#
# 每道练习下面都有折叠的“提示与答案”；先自己试一试再展开。答案中的数字来自紧随其后的代码单元格。

# %% [markdown]
# **练习 1** 把 MLP 的学习率分别改为 0.01 和 1.0，各训练 3 轮，与学习率 0.1 比较测试准确率。
#
# <details><summary>提示与答案</summary>
#
# 提示：复制 0.3 节的训练单元格，只改 `lr`；每次都先 `env.set_seed(0)`，让三次训练从同一个初始化出发。
#
# 答案（见下一个单元格的输出）：学习率 0.01 太小，损失下降得慢，3 轮后测试准确率只有 0.712，明显低于学习率 0.1 的 0.831；学习率 1.0 太大，第 1 轮后测试准确率只有 0.104（与随机猜测的 0.1 相当），3 轮后也只有 0.340，远不如 0.1。学习率既不能太小也不能太大——第 1 章会系统地讨论怎样选它。
#
# </details>

# %%
# 练习 1
ex1 = {}
for lr in (0.01, 1.0):
    env.set_seed(0)
    small_train.generator.manual_seed(0)   # the same minibatch order for both runs
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    h = train.fit(net, small_train, small_test, num_epochs=env.pick(smoke=1, cpu=3, full=3),
                  optimizer=torch.optim.SGD(net.parameters(), lr=lr), progress=False)
    ex1[lr] = h.test_acc
ex1[0.1] = history.test_acc
table([{"lr": lr, "acc": accs[-1], "all": " ".join(f"{a:.3f}" for a in accs)}
       for lr, accs in sorted(ex1.items())],
      [("lr", "学习率", "g"), ("acc", "最后一轮测试准确率", ".3f"), ("all", "各轮测试准确率")])

# %% [markdown]
# **练习 2** 在交互面板中找出梯度下降由收敛变为发散的临界学习率，并用公式 $x_{t+1}=(1-2\eta)x_t$ 解释。
#
# <details><summary>提示与答案</summary>
#
# 提示：$f(x)=x^2$ 的梯度是 $2x$，所以每一步 $x_{t+1}=x_t-2\eta x_t=(1-2\eta)x_t$，10 步后 $x_{10}=(1-2\eta)^{10}x_0$。
#
# 答案：当且仅当 $|1-2\eta|>1$，即 $\eta>1$ 时 $|x_t|$ 逐步增大（发散）；$\eta=1$ 时 $x_t$ 在 $\pm x_0$ 之间来回跳，既不收敛也不发散；$0<\eta<1$ 时收敛，$\eta=0.5$ 一步就到 0。所以发散的临界学习率是 1，任何大于 1 的学习率都发散。下一个单元格从 $x_0=5$ 出发验证：$\eta=1$ 时 $|x_{10}|=5$ 不变，$\eta=1.05$ 时已增大到 12.97。
#
# </details>

# %%
# 练习 2
# NBVAL_CHECK_OUTPUT
for lr in (0.5, 0.9, 1.0, 1.05, 1.2):
    x = 5.0
    for _ in range(10):
        x = x - lr * 2 * x
    print(f"η={lr:<5g} 1-2η={1 - 2 * lr:+.2f}  x_10={x:+.4g}")

# %% [markdown]
# **练习 3** 用 `data.load_fashion_mnist(256, resize=64)` 取一个批量，确认其形状为 `(256, 1, 64, 64)`。
#
# <details><summary>提示与答案</summary>
#
# 提示：`next(iter(train_iter))` 取出第一个批量 `(X, y)`；`resize` 对整个批量调用一次 `F.interpolate`。
#
# 答案：`X.shape` 为 `torch.Size([256, 1, 64, 64])`：256 张图、1 个（灰度）通道、64×64 像素；`y.shape` 为 `torch.Size([256])`（见下一个单元格的输出）。
#
# </details>

# %%
# 练习 3
# NBVAL_CHECK_OUTPUT
big_train, _ = data.load_fashion_mnist(256, resize=64)
X, y = next(iter(big_train))
print("X:", X.shape, X.dtype, " y:", y.shape)

# %% [markdown]
# ## 参考文献
#
# - Xiao, H., Rasul, K., & Vollgraf, R. (2017). Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms. arXiv:1708.07747.
# - Zhang, A., Lipton, Z. C., Li, M., & Smola, A. J. *Dive into Deep Learning*（《动手学深度学习》）. https://d2l.ai
