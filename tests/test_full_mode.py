"""`full` mode (the GPU configuration of every chapter) at full size, without a GPU.

A learner on Colab runs `full` mode; nobody runs it here. This test reads each chapter's `full=`
values straight from the notebook twins (``notebooks/src/0*.py``, parsed with ``ast``: every
``env.pick(smoke=…, cpu=…, full=…)`` call, literal constants such as ``BATCH_SIZE = 256``, and
every ``load_fashion_mnist(…)`` call), so the numbers are not copied here. For each model a
chapter trains in `full` mode it then

* builds the real data loader with the full batch size and resize and checks a batch's shape;
* runs one training step (forward, backward, SGD with momentum and weight decay, one-cycle
  scheduler) at the FULL batch size on the ``meta`` device. ``meta`` tensors carry shapes but no
  numbers (no compute, no memory) and, like CUDA tensors, refuse to mix with CPU tensors, so a
  tensor created on the CPU by mistake fails here as it would on a GPU. (``fit`` itself cannot
  run on ``meta``: it reads its metrics back once per epoch, and meta tensors have no values.)
* runs ``fit`` for one real batch on the CPU with the full input size and full widths, but only
  the first ``CPU_BATCH`` examples of the full-size batch: one step of ResNet-18 at 96×96 with
  batch 256 took 37 s on the 2 shared cores of the development machine (DenseNet 28 s), too slow
  for the suite. Shape and device errors do not depend on the batch size, and the meta step
  covers the full batch.

It also checks ``setup_notebook``'s choice when CUDA is available (mode `full`, device `cuda`).
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from course_utils import data, env, train
from course_utils.models import densenet, lenet, resnet18, small_bn_cnn
from course_utils.models.resnets import plain_cnn, small_resnet

TWINS = Path(__file__).resolve().parent.parent / "notebooks" / "src"
CPU_BATCH = 8


# --------------------------------------------------------------------------------------------
# Reading the twins
# --------------------------------------------------------------------------------------------
class Unresolved(ValueError):
    pass


def _is_pick(node) -> bool:
    f = node.func if isinstance(node, ast.Call) else None
    name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
    return name == "pick" and not any(k.arg == "mode" for k in node.keywords)


def _value(node, names: dict):
    """Evaluate a literal-like expression in full mode (names: constants and pick results)."""
    if isinstance(node, ast.Call) and _is_pick(node):
        full = [k.value for k in node.keywords if k.arg == "full"]
        if len(full) != 1:
            raise Unresolved(f"pick(...) 没有 full=：{ast.unparse(node)}")
        return _value(full[0], names)
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "dict" and not node.args:
        return {k.arg: _value(k.value, names) for k in node.keywords}
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise Unresolved(node.id)
        return names[node.id]
    if isinstance(node, ast.Subscript):
        return _value(node.value, names)[_value(node.slice, names)]
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_value(e, names) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Dict):
        return {_value(k, names): _value(v, names) for k, v in zip(node.keys, node.values)}
    try:
        return ast.literal_eval(node)
    except ValueError as exc:
        raise Unresolved(ast.unparse(node)) from exc


def _parse(path: Path) -> ast.Module:
    """The twin as Python: IPython lines (``!pip …``, ``%magic``) become ``pass``."""
    lines = [line[:len(line) - len(line.lstrip())] + "pass" if line.lstrip()[:1] in ("!", "%")
             else line for line in path.read_text(encoding="utf-8").splitlines()]
    return ast.parse("\n".join(lines))


def full_config(chapter: str) -> dict:
    """``names`` (module-level constants and pick results, full mode), ``picks`` (every pick
    call's full value, keyed by the assigned name or the keyword it is passed to) and
    ``loaders`` (every load_fashion_mnist call with batch_size/resize/subset resolved)."""
    (path,) = TWINS.glob(f"{chapter}_*.py")
    tree = _parse(path)
    names, picks = {}, {}
    for stmt in tree.body:  # module level, in order: later statements see earlier names
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            try:
                names[stmt.targets[0].id] = _value(stmt.value, names)
            except (Unresolved, KeyError, TypeError):
                pass
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and _is_pick(node.value):
            picks[ast.unparse(node.targets[0])] = _value(node.value, names)
        for kw in getattr(node, "keywords", []):
            if isinstance(kw.value, ast.Call) and _is_pick(kw.value):
                picks.setdefault(kw.arg, _value(kw.value, names))
    targets = {id(n.value): ast.unparse(n.targets[0]) for n in ast.walk(tree)
               if isinstance(n, ast.Assign)}
    loaders = []
    for node in ast.walk(tree):
        f = getattr(node, "func", None)
        if isinstance(node, ast.Call) and "load_fashion_mnist" in (getattr(f, "attr", None),
                                                                  getattr(f, "id", None)):
            kw = {k.arg: k.value for k in node.keywords}
            args = {"batch_size": node.args[0] if node.args else kw.get("batch_size"),
                    "resize": kw.get("resize"), "subset": kw.get("subset")}
            try:
                loaders.append({k: None if v is None else _value(v, names)
                                for k, v in args.items()}
                               | {"line": node.lineno, "src": ast.unparse(node),
                                  "target": targets.get(id(node), "")})
            except (Unresolved, KeyError) as exc:
                raise AssertionError(f"{path.name} 第 {node.lineno} 行的 load_fashion_mnist 参数"
                                     f"无法在 full 模式下求值（{exc}）：请更新 {__file__}") from exc
    return {"names": names, "picks": picks, "loaders": loaders}


# --------------------------------------------------------------------------------------------
# What each chapter trains in full mode
# --------------------------------------------------------------------------------------------
def _mlp(hidden):
    return lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 10))


def _loader(cfg: dict, target: str, contains: str = "") -> tuple:
    """(batch_size, resize, subset) of the one loader assigned to ``target`` (e.g. the
    ``train_iter`` of ``train_iter, test_iter = load_fashion_mnist(…)``)."""
    found = [lo for lo in cfg["loaders"]
             if target in lo["target"].replace("(", "").replace(")", "").split(", ")
             and contains in lo["src"]]
    assert len(found) == 1, (f"应恰好有一处 {target} = load_fashion_mnist(…{contains}…)，"
                             f"找到 {len(found)} 处：请更新 {__file__}")
    return found[0]["batch_size"], found[0]["resize"], found[0]["subset"]


def _cases():
    """(id, build, (batch_size, resize, subset)) for every model trained in full mode."""
    ch0, ch1, ch2, ch3 = (full_config(c) for c in ("00", "01", "02", "03"))
    cases = [("00 MLP", _mlp(256), _loader(ch0, "small_train")),
             ("01 MLP (grid)", _mlp(128), _loader(ch1, "grid_iter")),
             ("01 MLP (weight decay)", _mlp(256), _loader(ch1, "wd_train")),
             ("01 small_bn_cnn", small_bn_cnn, _loader(ch1, "train_iter"))]
    for bn in (False, True):
        for impl in ("scratch", "torch"):
            cases.append((f"02 lenet bn={bn} {impl}",
                          lambda bn=bn, impl=impl: lenet(batch_norm=bn, bn_impl=impl),
                          _loader(ch2, "run_train_iter")))
    deg, cfg = ch3["picks"]["DEG"], ch3["picks"]["CFG"]
    for depth in deg["depths"]:
        for build in (plain_cnn, small_resnet):
            cases.append((f"03 {build.__name__}({depth})",
                          lambda b=build, d=depth: b(d, width=deg["width"],
                                                     stem_stride=deg["stem_stride"]),
                          _loader(ch3, "train_iter", "DEG[")))
    big = _loader(ch3, "train_iter", "CFG[")
    assert big == (cfg["batch"], cfg["resize"], cfg["subset"])
    cases.append(("03 resnet18", lambda: resnet18(**cfg["resnet"]), big))
    cases.append(("03 densenet", lambda: densenet(**cfg["densenet"]), big))
    return cases


def _all_loaders():
    return [(f"{p.name[:2]} line {lo['line']}", lo) for p in sorted(TWINS.glob("0*.py"))
            for lo in full_config(p.name[:2])["loaders"]]


CASES = _cases()


def _step_setup(net, steps: int):
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=steps)
    return opt, sched


class _OneBatch:
    def __init__(self, X, y):
        self.batch = (X, y)

    def __len__(self):
        return 1

    def __iter__(self):
        yield self.batch


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("chapter", sorted(p.name[:2] for p in TWINS.glob("0*.py")))
def test_every_pick_has_the_same_shape_in_all_modes(chapter):
    """Each pick's full= value is a literal with the same keys (dicts) and the same kind of
    value as its cpu= value, so code written against cpu mode cannot hit a KeyError on a GPU."""
    (path,) = TWINS.glob(f"{chapter}_*.py")
    names = full_config(chapter)["names"]
    calls = [n for n in ast.walk(_parse(path))
             if isinstance(n, ast.Call) and _is_pick(n)]
    for call in calls:
        kw = {k.arg: _value(k.value, names) for k in call.keywords}
        assert set(kw) == {"smoke", "cpu", "full"}, ast.unparse(call)
        cpu, full = kw["cpu"], kw["full"]
        if isinstance(cpu, dict) or isinstance(full, dict):
            assert isinstance(cpu, dict) and isinstance(full, dict) and set(cpu) == set(full), \
                f"{path.name} 第 {call.lineno} 行：cpu 与 full 的键不同"
        elif cpu is not None and full is not None:
            numbers = (int, float)
            assert type(cpu) is type(full) or (isinstance(cpu, numbers)
                                               and isinstance(full, numbers)), ast.unparse(call)


def test_the_full_configuration_is_the_d2l_scale():
    """What README promises for full mode: ResNet/DenseNet at 96×96 with standard widths."""
    cfg = full_config("03")["picks"]["CFG"]
    assert cfg["resize"] == 96 and cfg["subset"] is None
    convs = [m for m in resnet18(**cfg["resnet"]).modules() if isinstance(m, nn.Conv2d)]
    assert convs[0].out_channels == 64 and max(c.out_channels for c in convs) == 512
    assert cfg["densenet"]["growth_rate"] == 32


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_one_full_size_step_on_meta_and_one_real_batch_on_cpu(case, data_root):
    name, build, (batch_size, resize, subset) = case
    side = resize or 28
    # The real loader on the meta device: the full batch, transformed where the data lives.
    meta_iter, _ = data.load_fashion_mnist(batch_size, resize=resize, subset=subset, device="meta")
    X, y = next(iter(meta_iter))
    assert X.shape == (batch_size, 1, side, side) and X.device.type == "meta"
    torch.manual_seed(0)
    net = build().to("meta")
    opt, sched = _step_setup(net, 10)
    out = net(X)
    assert out.shape == (batch_size, 10) and out.device.type == "meta"
    loss = nn.functional.cross_entropy(out, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    sched.step()
    assert all(p.device.type == "meta" for p in net.parameters())
    # The same configuration for real on the CPU: fit on the first CPU_BATCH examples.
    train_iter, _ = data.load_fashion_mnist(batch_size, resize=resize, subset=subset)
    X, y = next(iter(train_iter))
    assert X.shape == (batch_size, 1, side, side) and X.dtype == torch.float32
    assert 0.0 <= float(X.min()) and float(X.max()) <= 1.0
    torch.manual_seed(0)
    net = build()
    opt, sched = _step_setup(net, len(train_iter))
    one = _OneBatch(X[:CPU_BATCH], y[:CPU_BATCH])
    h = train.fit(net, one, one, num_epochs=1, optimizer=opt, scheduler=sched,
                  scheduler_interval="batch", device="cpu", progress=False)
    assert not h.diverged and h.epochs_done == 1, (name, h.message)
    assert math.isfinite(h.train_loss[0]) and 0.0 <= h.test_acc[0] <= 1.0


def test_the_meta_step_catches_a_tensor_created_on_the_cpu():
    """The kind of bug the meta step is for: fine on the CPU, an error on a GPU."""
    class Careless(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(784, 10)

        def forward(self, X):
            return self.lin(X.flatten(1) + torch.zeros(784))  # no device=X.device

    X = torch.zeros(4, 1, 28, 28)
    assert Careless()(X).shape == (4, 10)
    with pytest.raises(RuntimeError, match="device"):
        Careless().to("meta")(X.to("meta"))


LOADERS = _all_loaders()


@pytest.mark.parametrize("loader", [lo for _, lo in LOADERS], ids=[i for i, _ in LOADERS])
def test_every_loader_of_every_chapter_in_full_mode(loader, data_root):
    """Every load_fashion_mnist call of every twin (exercises included), full-mode arguments,
    on the meta device: a batch has the expected shape, dtype and device."""
    b, side = loader["batch_size"], loader["resize"] or 28
    train_iter, test_iter = data.load_fashion_mnist(b, resize=loader["resize"],
                                                    subset=loader["subset"], device="meta")
    for it in (train_iter, test_iter):
        X, y = next(iter(it))
        assert X.shape == (min(b, it.num_examples), 1, side, side) and y.shape == X.shape[:1]
        assert X.dtype == torch.float32 and y.dtype == torch.int64
        assert X.device.type == y.device.type == "meta"
        assert len(it) == math.ceil(it.num_examples / b)


def test_setup_notebook_picks_full_mode_and_cuda_when_a_gpu_is_there(monkeypatch):
    monkeypatch.delenv("COURSE_MODE", raising=False)
    monkeypatch.setattr(env, "MODE", env.MODE)  # restored after the test
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert env.get_mode() == "full"
    assert env.pick(smoke=1, cpu=2, full=3) == 3
    device = env.setup_notebook(quiet=True)
    assert device == torch.device("cuda") and env.get_device() == torch.device("cuda")
    assert env.MODE == "full" and env.describe()["device"] == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert env.get_mode() == "cpu" and env.setup_notebook(quiet=True) == torch.device("cpu")
