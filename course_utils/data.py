"""Datasets held in memory as tensors: Fashion-MNIST (official IDX files), airfoil self-noise,
and small synthetic sets.

Files are looked up in :func:`course_utils.env.data_dir` (``COURSE_DATA_DIR``), verified by MD5
and, when missing or corrupt, downloaded from the official sources (progress bar, temp file then
atomic rename). No torchvision: batches are resized on the device with ``F.interpolate``.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from course_utils import env

FASHION_MNIST_CLASSES = (
    ("T恤", "t-shirt"),
    ("裤子", "trouser"),
    ("套衫", "pullover"),
    ("连衣裙", "dress"),
    ("外套", "coat"),
    ("凉鞋", "sandal"),
    ("衬衫", "shirt"),
    ("运动鞋", "sneaker"),
    ("包", "bag"),
    ("短靴", "ankle boot"),
)


@dataclass(frozen=True)
class RemoteFile:
    subdir: str
    name: str
    md5: str
    size: int
    urls: tuple[str, ...]


_FMNIST_URLS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
)


def _fm(name: str, md5: str, size: int) -> RemoteFile:
    return RemoteFile("fashion-mnist", name, md5, size, tuple(u + name for u in _FMNIST_URLS))


FASHION_MNIST_FILES = {
    "train_images": _fm("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26421880),
    "train_labels": _fm("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", 29515),
    "test_images": _fm("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", 4422102),
    "test_labels": _fm("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", 5148),
}

AIRFOIL_FILE = RemoteFile(
    "airfoil",
    "airfoil_self_noise.dat",
    "b12d5b7b475ec7b3971d97f21e377414",
    59984,
    ("http://d2l-data.s3-accelerate.amazonaws.com/airfoil_self_noise.dat",),
)


class DataError(RuntimeError):
    """A data file is missing, corrupt or cannot be downloaded."""


# ---------------------------------------------------------------------------------------------
# Files: lookup, checksum, download
# ---------------------------------------------------------------------------------------------
def md5sum(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=64)
def _md5_cached(path: str, size: int, mtime_ns: int) -> str:
    return md5sum(Path(path))


def _is_valid(path: Path, spec: RemoteFile) -> bool:
    st = path.stat()
    if st.st_size != spec.size:
        return False
    return _md5_cached(str(path), st.st_size, st.st_mtime_ns) == spec.md5


def _download(url: str, dest: Path, *, progress: bool = True) -> None:
    """Download ``url`` to ``dest`` (a temp file in the target folder, renamed at the end)."""
    from tqdm.auto import tqdm

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=f"下载 {dest.name}",
                      disable=not progress) as bar:
                for block in iter(lambda: resp.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def fetch(spec: RemoteFile, root: str | Path | None = None, *, progress: bool = True) -> Path:
    """Return the verified local path of ``spec``, downloading it when missing or corrupt.

    Raises :class:`DataError` (Chinese message with the path and what to do) when the file cannot
    be obtained with the right checksum.
    """
    base = Path(root) if root is not None else env.data_dir()
    path = base / spec.subdir / spec.name
    if path.exists():
        if _is_valid(path, spec):
            return path
        reason = (
            f"文件 {path} 已损坏或不完整（大小 {path.stat().st_size} 字节，应为 {spec.size} 字节；"
            f"MD5 不是 {spec.md5}）"
        )
    else:
        reason = f"找不到数据文件 {path}"
    if os.environ.get("COURSE_OFFLINE") == "1" or not os.access(path.parent if path.parent.exists()
                                                               else base, os.W_OK):
        raise DataError(
            f"{reason}。当前无法下载（离线模式或目录不可写）。请删除该文件后联网重试，"
            f"或把官方文件放到 {path.parent}，或设置 COURSE_DATA_DIR 指向已有数据的目录。"
        )
    print(f"{reason}，正在重新下载……")
    errors = []
    for url in spec.urls:
        try:
            _download(url, path, progress=progress)
        except Exception as exc:  # network errors, HTTP errors
            errors.append(f"{url}: {exc}")
            continue
        if _is_valid(path, spec):
            return path
        errors.append(f"{url}: 下载完成但 MD5 校验失败")
        path.unlink(missing_ok=True)
    raise DataError(
        f"{reason}，且下载失败：\n  " + "\n  ".join(errors)
        + f"\n请检查网络，或手动下载 {spec.name} 放到 {path.parent}（MD5 应为 {spec.md5}），"
        "或设置 COURSE_DATA_DIR 指向已有数据的目录。"
    )


# ---------------------------------------------------------------------------------------------
# IDX parsing
# ---------------------------------------------------------------------------------------------
def read_idx(path: Path) -> np.ndarray:
    """Parse an (optionally gzipped) IDX file into a uint8 array."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path} 不是 uint8 类型的 IDX 文件（魔数错误）")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    count = math.prod(dims)
    if len(raw) - offset != count:
        raise DataError(f"{path} 的长度与 IDX 头部声明的形状 {dims} 不符")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


@lru_cache(maxsize=4)
def _fashion_arrays(root: str) -> tuple[np.ndarray, ...]:
    paths = {k: fetch(spec, root) for k, spec in FASHION_MNIST_FILES.items()}
    return tuple(read_idx(paths[k]) for k in ("train_images", "train_labels",
                                              "test_images", "test_labels"))


def fashion_mnist_arrays(root: str | Path | None = None):
    """Return ``(train_images, train_labels, test_images, test_labels)`` as uint8 numpy arrays."""
    base = Path(root) if root is not None else env.data_dir()
    return _fashion_arrays(str(base.resolve()))


# ---------------------------------------------------------------------------------------------
# In-memory loader
# ---------------------------------------------------------------------------------------------
class TensorLoader:
    """Iterate over minibatches of in-memory tensors; reshuffles every epoch (seeded).

    ``transform`` is applied to each whole batch (on the device), e.g. scaling and resizing.
    """

    def __init__(self, *tensors: torch.Tensor, batch_size: int, shuffle: bool = False,
                 seed: int = 0, transform=None, drop_last: bool = False):
        _check_batch_size(batch_size)
        if not tensors or any(len(t) != len(tensors[0]) for t in tensors):
            raise ValueError("tensors 的第一维长度必须相同且至少有一个张量")
        self.tensors = tensors
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.transform = transform
        self.drop_last = drop_last
        self.generator = torch.Generator().manual_seed(seed)

    def reseed(self, seed: int) -> None:
        """Restart the shuffling sequence, so that repeated runs see the same batch orders."""
        self.generator.manual_seed(seed)

    @property
    def num_examples(self) -> int:
        return len(self.tensors[0])

    def __len__(self) -> int:
        n, b = self.num_examples, self.batch_size
        return n // b if self.drop_last else math.ceil(n / b)

    def __iter__(self):
        n = self.num_examples
        device = self.tensors[0].device
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(device)
        for i in range(len(self)):
            if self.shuffle:
                idx = order[i * self.batch_size:(i + 1) * self.batch_size]
                batch = tuple(t.index_select(0, idx) for t in self.tensors)
            else:
                batch = tuple(t[i * self.batch_size:(i + 1) * self.batch_size]
                              for t in self.tensors)
            if self.transform is not None:
                batch = self.transform(*batch)
            yield batch


def _check_batch_size(batch_size) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size <= 0:
        raise ValueError(f"批量大小 batch_size 必须是正整数，收到 {batch_size!r}")


class _ImageTransform:
    """uint8 (B, H, W) → float32 (B, 1, H', W') in [0, 1], resized as one batch."""

    def __init__(self, resize: int | None):
        self.resize = resize

    def __call__(self, X: torch.Tensor, y: torch.Tensor):
        X = X.unsqueeze(1).to(torch.float32).div_(255.0)
        if self.resize is not None and self.resize != X.shape[-1]:
            X = F.interpolate(X, size=(self.resize, self.resize), mode="bilinear",
                              align_corners=False, antialias=self.resize < X.shape[-1])
        return X, y


def load_fashion_mnist(batch_size: int, *, resize: int | None = None, subset: int | None = None,
                       device=None, root: str | Path | None = None, seed: int = 0):
    """Fashion-MNIST as two in-memory iterators ``(train_iter, test_iter)``.

    Parameters
    ----------
    batch_size: minibatch size (positive int).
    resize: side length to resize images to (whole batches, bilinear), or None for 28.
    subset: use only this many training examples (a seeded random, class-balanced-in-expectation
        choice) and ``subset // 6`` test examples (at least one batch); None uses everything.
    device: where the tensors live (default CPU). On a GPU the whole dataset fits easily.
    root: data directory (default :func:`course_utils.env.data_dir`).
    seed: seed of the per-epoch shuffling and of the subset choice.

    Batches are ``(X, y)`` with ``X`` float32 of shape (B, 1, H, W) in [0, 1] and ``y`` int64.
    """
    _check_batch_size(batch_size)
    if resize is not None and (isinstance(resize, bool) or not isinstance(resize, (int, np.integer))
                               or resize <= 0):
        raise ValueError(f"resize 必须是正整数或 None，收到 {resize!r}")
    if subset is not None and (isinstance(subset, bool)
                               or not isinstance(subset, (int, np.integer)) or subset <= 0):
        raise ValueError(f"subset 必须是正整数或 None，收到 {subset!r}")
    Xtr, ytr, Xte, yte = fashion_mnist_arrays(root)
    Xtr, ytr, Xte, yte = (torch.from_numpy(a.copy()) for a in (Xtr, ytr, Xte, yte))
    if subset is not None:
        g = torch.Generator().manual_seed(seed + 12345)
        n_tr = min(int(subset), len(Xtr))
        n_te = min(max(int(subset) // 6, int(batch_size)), len(Xte))
        tr_idx = torch.randperm(len(Xtr), generator=g)[:n_tr]
        te_idx = torch.randperm(len(Xte), generator=g)[:n_te]
        Xtr, ytr, Xte, yte = Xtr[tr_idx], ytr[tr_idx], Xte[te_idx], yte[te_idx]
    dev = torch.device(device) if device is not None else torch.device("cpu")
    ytr, yte = ytr.long(), yte.long()
    Xtr, ytr, Xte, yte = (t.to(dev) for t in (Xtr, ytr, Xte, yte))
    tf = _ImageTransform(resize)
    train_iter = TensorLoader(Xtr, ytr, batch_size=batch_size, shuffle=True, seed=seed,
                              transform=tf)
    test_iter = TensorLoader(Xte, yte, batch_size=batch_size, shuffle=False, transform=tf)
    return train_iter, test_iter


def fashion_mnist_labels(labels, lang: str = "zh") -> list[str]:
    """Class names for integer labels; ``lang`` is ``'zh'``, ``'en'`` or ``'both'``."""
    if lang not in ("zh", "en", "both"):
        raise ValueError(f"lang 只能是 'zh'、'en' 或 'both'，收到 {lang!r}")
    out = []
    for i in (int(v) for v in (labels.tolist() if hasattr(labels, "tolist") else labels)):
        zh, en = FASHION_MNIST_CLASSES[i]
        out.append({"zh": zh, "en": en, "both": f"{zh} ({en})"}[lang])
    return out


# ---------------------------------------------------------------------------------------------
# Airfoil self-noise
# ---------------------------------------------------------------------------------------------
def airfoil_arrays(n: int = 1500, *, root: str | Path | None = None):
    """The first ``n`` rows of the NASA airfoil data, every column standardised (as d2l does).

    Returns ``(features, labels)`` as float32 tensors of shapes (n, 5) and (n,).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= 1503:
        raise ValueError(f"样本数 n 必须是 1 到 1503 之间的整数，收到 {n!r}")
    path = fetch(AIRFOIL_FILE, root)
    data = np.genfromtxt(path, dtype=np.float32, delimiter="\t")
    data = (data - data.mean(axis=0)) / data.std(axis=0)
    t = torch.from_numpy(data[:n])
    return t[:, :-1].contiguous(), t[:, -1].contiguous()


def load_airfoil(batch_size: int, n: int = 1500, *, root: str | Path | None = None,
                 seed: int = 0):
    """Airfoil minibatch iterator ``(data_iter, feature_dim)``; reshuffled every epoch."""
    _check_batch_size(batch_size)
    X, y = airfoil_arrays(n, root=root)
    return TensorLoader(X, y, batch_size=batch_size, shuffle=True, seed=seed), X.shape[1]


# ---------------------------------------------------------------------------------------------
# Synthetic data
# ---------------------------------------------------------------------------------------------
def synthetic_linear(w, b: float, num_examples: int, *, noise: float = 0.01, seed: int = 0):
    """``y = Xw + b + noise`` with ``X ~ N(0, 1)``; returns ``(X, y)`` float32 tensors."""
    if isinstance(num_examples, bool) or not isinstance(num_examples, (int, np.integer)) \
            or num_examples <= 0:
        raise ValueError(f"num_examples 必须是正整数，收到 {num_examples!r}")
    g = torch.Generator().manual_seed(seed)
    w = torch.as_tensor(w, dtype=torch.float32).reshape(-1)
    X = torch.randn(num_examples, len(w), generator=g)
    y = X @ w + b + noise * torch.randn(num_examples, generator=g)
    return X, y
