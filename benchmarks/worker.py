"""One measurement in a fresh process; prints ``RESULT {json}`` as its last line.

Runs under either interpreter: the course venv (``course`` implementations) or the reference venv
``benchmarks/.venv-d2l`` (``d2l`` implementations, and ``course`` ones too with the repository on
PYTHONPATH, so that a comparison uses one torch build). The d2l implementations must run from a
working directory whose ``../data`` holds ``FashionMNIST/raw`` (see ``common.prepare_d2l_workdir``):
d2l hardcodes that root.

    worker.py throughput --impl course|d2l --resize 28|96 --epochs 3 [--max-batches N]
    worker.py train --impl course|d2l --epochs 10 [--subset N]
    worker.py imports        # import time of torch and of course_utils, setup_notebook time
    worker.py airfoil        # d2l's minibatch-SGD airfoil runs, done with course_utils' data
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import time

T_START = time.perf_counter()
BATCH = 256


def emit(result: dict) -> None:
    print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)


def bn_lenet():
    """d2l's concise BN-LeNet (chapter 'Batch Normalization'), as an nn.Sequential."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(),
        nn.Linear(84, 10))


def xavier_init(m) -> None:
    """The initialisation d2l's ``train_ch6`` applies (so both sides start alike)."""
    from torch import nn

    if type(m) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(m.weight)


def import_d2l():
    import warnings

    warnings.simplefilter("ignore")
    from d2l import torch as d2l

    class _NoDisplay:  # headless Animator: it still plots into its figure, nothing is shown
        @staticmethod
        def display(*args, **kwargs):
            pass

        @staticmethod
        def clear_output(*args, **kwargs):
            pass

    d2l.display = _NoDisplay
    return d2l


def loaders(impl: str, resize, subset=None):
    """Train/test iterators of the implementation; returns (train_iter, test_iter, seconds)."""
    t0 = time.perf_counter()
    if impl == "course":
        from course_utils.data import load_fashion_mnist

        tr, te = load_fashion_mnist(BATCH, resize=resize, subset=subset)
    else:
        d2l = import_d2l()
        tr, te = d2l.load_data_fashion_mnist(BATCH, resize=resize)
        if subset is not None:  # same DataLoader settings on the first `subset` examples
            import torch

            def cut(loader, n, shuffle):
                ds = torch.utils.data.Subset(loader.dataset, range(min(n, len(loader.dataset))))
                return torch.utils.data.DataLoader(ds, BATCH, shuffle=shuffle,
                                                   num_workers=d2l.get_dataloader_workers())
            tr, te = cut(tr, subset, True), cut(te, max(subset // 6, BATCH), False)
    return tr, te, time.perf_counter() - t0


def cmd_throughput(a) -> None:
    import torch

    tr, _, setup_s = loaders(a.impl, a.resize)
    epochs = []
    shape = None
    for _ in range(a.epochs):
        n, t0 = 0, time.perf_counter()
        for i, (X, y) in enumerate(tr):
            n += y.numel()
            shape = tuple(X.shape)
            if a.max_batches and i + 1 >= a.max_batches:
                break
        epochs.append(n / (time.perf_counter() - t0))
    emit({"impl": a.impl, "resize": a.resize, "batch_size": BATCH, "setup_s": round(setup_s, 3),
          "examples_per_sec": [round(e, 1) for e in epochs], "batch_shape": list(shape),
          "max_batches": a.max_batches, "torch": torch.__version__,
          "threads": torch.get_num_threads()})


def cmd_train(a) -> None:
    import torch
    from torch import nn

    torch.manual_seed(0)
    t0 = time.perf_counter()
    tr, te, setup_s = loaders(a.impl, None, a.subset)
    net = bn_lenet()
    device = torch.device(a.device)
    if a.impl == "course":
        from course_utils.train import fit

        net.apply(xavier_init)
        net.to(device)
        opt = torch.optim.SGD(net.parameters(), lr=a.lr)
        hist = fit(net, tr, te, num_epochs=a.epochs, optimizer=opt, loss_fn=nn.CrossEntropyLoss(),
                   device=device, progress=False)
        wall = time.perf_counter() - t0
        f = hist.final()
        res = {"train_loss": f["train_loss"], "train_acc": f["train_acc"],
               "test_acc": f["test_acc"], "test_acc_per_epoch": hist.test_acc,
               "epoch_s": [round(s, 2) for s in hist.seconds],
               "examples_per_sec": round(f["examples_per_sec"], 1)}
    else:
        d2l = import_d2l()
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            d2l.train_ch6(net, tr, te, a.epochs, a.lr, device)
        wall = time.perf_counter() - t0
        out = buf.getvalue()
        m = re.search(r"loss ([\d.na]+), train acc ([\d.]+), test acc ([\d.]+)", out)
        e = re.search(r"([\d.]+) examples/sec", out)
        res = {"train_loss": float(m.group(1)), "train_acc": float(m.group(2)),
               "test_acc": float(m.group(3)), "examples_per_sec": float(e.group(1)),
               "printed": out.strip().splitlines()[-2:]}
    res.update({"impl": a.impl, "epochs": a.epochs, "lr": a.lr, "batch_size": BATCH,
                "subset": a.subset, "device": str(device), "wall_s": round(wall, 2),
                "data_setup_s": round(setup_s, 3), "torch": torch.__version__,
                "threads": torch.get_num_threads()})
    emit(res)


# d2l's train_ch11 experiments on the airfoil data (its "Minibatch SGD" section): from-scratch
# linear regression, squared loss / 2, loss over the whole set after training.
AIRFOIL_RUNS = (("GD", 1.0, 1500, 10), ("SGD", 0.005, 1, 2), ("minibatch 100", 0.4, 100, 2),
                ("minibatch 10", 0.05, 10, 2))


def cmd_airfoil(a) -> None:
    import torch

    from course_utils.data import airfoil_arrays, load_airfoil

    X, y = airfoil_arrays(1500)
    rows = []
    for name, lr, batch, epochs in AIRFOIL_RUNS:
        torch.manual_seed(0)
        it, dim = load_airfoil(batch, 1500, seed=0)
        w = torch.normal(0.0, 0.01, size=(dim, 1), requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        t0 = time.perf_counter()
        for _ in range(epochs):
            for Xb, yb in it:
                loss = ((Xb @ w + b).reshape(-1) - yb).pow(2).div(2).mean()
                loss.backward()
                with torch.no_grad():
                    for p in (w, b):
                        p -= lr * p.grad
                        p.grad.zero_()
        secs = time.perf_counter() - t0
        with torch.no_grad():
            final = float(((X @ w + b).reshape(-1) - y).pow(2).div(2).mean())
        rows.append({"run": name, "lr": lr, "batch_size": batch, "epochs": epochs,
                     "loss": round(final, 4), "wall_s": round(secs, 3)})
    emit({"runs": rows, "torch": torch.__version__})


def cmd_imports(a) -> None:
    """Fresh process: import torch, then course_utils' modules, then setup_notebook()."""
    t0 = time.perf_counter()
    import torch  # noqa: F401

    t1 = time.perf_counter()
    import course_utils  # noqa: F401
    from course_utils import data, env, plotting, train, widgets  # noqa: F401

    t2 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        env.setup_notebook()
    t3 = time.perf_counter()
    emit({"interpreter_to_main_s": round(t0 - T_START, 4), "import_torch_s": round(t1 - t0, 4),
          "import_course_utils_s": round(t2 - t1, 4), "setup_notebook_s": round(t3 - t2, 4),
          "total_s": round(t3 - T_START, 4)})


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("throughput")
    q.add_argument("--impl", choices=("course", "d2l"), required=True)
    q.add_argument("--resize", type=int, default=None)
    q.add_argument("--epochs", type=int, default=3)
    q.add_argument("--max-batches", type=int, default=0)
    q = sub.add_parser("train")
    q.add_argument("--impl", choices=("course", "d2l"), required=True)
    q.add_argument("--epochs", type=int, default=10)
    q.add_argument("--lr", type=float, default=1.0)
    q.add_argument("--subset", type=int, default=None)
    q.add_argument("--device", default="cuda" if os.environ.get("BENCH_CUDA") == "1" else "cpu")
    sub.add_parser("imports")
    sub.add_parser("airfoil")
    a = p.parse_args(argv)
    if getattr(a, "resize", None) == 28:
        a.resize = None  # 28 is the native size: no resize step on either side
    {"throughput": cmd_throughput, "train": cmd_train, "imports": cmd_imports,
     "airfoil": cmd_airfoil}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
