import gzip
import shutil

import numpy as np
import pytest
import torch

from course_utils import data


def test_fashion_mnist_from_mirror_with_checksums(data_root):
    Xtr, ytr, Xte, yte = data.fashion_mnist_arrays(data_root)
    assert Xtr.shape == (60000, 28, 28) and Xte.shape == (10000, 28, 28)
    assert np.bincount(ytr).tolist() == [6000] * 10
    assert np.bincount(yte).tolist() == [1000] * 10
    assert abs(Xtr.mean() / 255 - 0.2860) < 1e-4
    for spec in data.FASHION_MNIST_FILES.values():
        assert data.md5sum(data_root / spec.subdir / spec.name) == spec.md5


def test_loader_batches(data_root):
    train_iter, test_iter = data.load_fashion_mnist(256)
    assert len(train_iter) == 235 and len(test_iter) == 40
    X, y = next(iter(train_iter))
    assert X.shape == (256, 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert 0.0 <= X.min() and X.max() <= 1.0
    n = sum(len(y) for _, y in test_iter)
    assert n == 10000


def test_resize_is_batched(data_root):
    train_iter, _ = data.load_fashion_mnist(32, resize=64, subset=64)
    X, _ = next(iter(train_iter))
    assert X.shape == (32, 1, 64, 64)


def test_shuffle_is_seeded_and_changes_per_epoch(data_root):
    a, _ = data.load_fashion_mnist(64, subset=512, seed=1)
    b, _ = data.load_fashion_mnist(64, subset=512, seed=1)
    ya1 = next(iter(a))[1]
    ya2 = next(iter(a))[1]
    yb1 = next(iter(b))[1]
    assert torch.equal(ya1, yb1)
    assert not torch.equal(ya1, ya2)


def test_reseed_repeats_the_batch_order(data_root):
    a, _ = data.load_fashion_mnist(64, subset=512, seed=1)
    first = [y for _, y in a]
    a.reseed(1)
    again = [y for _, y in a]
    assert all(torch.equal(u, v) for u, v in zip(first, again))


def test_subset_sizes(data_root):
    tr, te = data.load_fashion_mnist(100, subset=600)
    assert tr.num_examples == 600 and te.num_examples == 100


@pytest.mark.parametrize("bad", [0, -5, 2.5, "32", True])
def test_bad_batch_size(bad, data_root):
    with pytest.raises(ValueError, match="batch_size"):
        data.load_fashion_mnist(bad)


def test_bad_resize_and_subset(data_root):
    with pytest.raises(ValueError, match="resize"):
        data.load_fashion_mnist(8, resize=-1)
    with pytest.raises(ValueError, match="subset"):
        data.load_fashion_mnist(8, subset=0)


def _copy_mirror(src, dst):
    (dst / "fashion-mnist").mkdir(parents=True)
    for spec in data.FASHION_MNIST_FILES.values():
        shutil.copy(src / spec.subdir / spec.name, dst / spec.subdir / spec.name)


def test_corrupt_file_is_detected_offline(data_root, tmp_path, monkeypatch):
    _copy_mirror(data_root, tmp_path)
    spec = data.FASHION_MNIST_FILES["train_labels"]
    path = tmp_path / spec.subdir / spec.name
    path.write_bytes(path.read_bytes()[:1000])  # truncated download
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with pytest.raises(data.DataError) as exc:
        data.fetch(spec, tmp_path)
    msg = str(exc.value)
    assert str(path) in msg and "损坏" in msg and "COURSE_DATA_DIR" in msg


def test_missing_file_is_reported_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with pytest.raises(data.DataError, match="找不到数据文件"):
        data.fetch(data.AIRFOIL_FILE, tmp_path)


def test_corrupt_file_is_refetched(data_root, tmp_path, monkeypatch, capsys):
    """A corrupt file is replaced by a fresh download (the download is simulated offline)."""
    spec = data.FASHION_MNIST_FILES["test_labels"]
    target = tmp_path / spec.subdir / spec.name
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\x1f\x8b garbage")
    calls = []

    def fake_download(url, dest, *, progress=True):
        calls.append(url)
        shutil.copy(data_root / spec.subdir / spec.name, dest)

    monkeypatch.setenv("COURSE_OFFLINE", "0")
    monkeypatch.setattr(data, "_download", fake_download)
    path = data.fetch(spec, tmp_path)
    assert calls == [spec.urls[0]]
    assert data.md5sum(path) == spec.md5
    assert "重新下载" in capsys.readouterr().out


def test_download_with_wrong_checksum_fails_cleanly(tmp_path, monkeypatch):
    def bad_download(url, dest, *, progress=True):
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(b"not the file")

    monkeypatch.setenv("COURSE_OFFLINE", "0")
    monkeypatch.setattr(data, "_download", bad_download)
    with pytest.raises(data.DataError, match="MD5"):
        data.fetch(data.AIRFOIL_FILE, tmp_path)
    assert not (tmp_path / "airfoil" / "airfoil_self_noise.dat").exists()


def test_read_idx_rejects_bad_files(tmp_path):
    p = tmp_path / "x.gz"
    p.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x05abc"))
    with pytest.raises(data.DataError, match="长度"):
        data.read_idx(p)
    p.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(data.DataError, match="魔数"):
        data.read_idx(p)


def test_airfoil(data_root):
    X, y = data.airfoil_arrays(1500)
    assert X.shape == (1500, 5) and y.shape == (1500,)
    it, dim = data.load_airfoil(10)
    assert dim == 5 and len(it) == 150
    Xb, yb = next(iter(it))
    assert Xb.shape == (10, 5) and yb.shape == (10,)
    with pytest.raises(ValueError, match="n"):
        data.airfoil_arrays(0)


def test_class_names():
    assert len(data.FASHION_MNIST_CLASSES) == 10
    assert data.fashion_mnist_labels([0, 9]) == ["T恤", "短靴"]
    assert data.fashion_mnist_labels(torch.tensor([1]), lang="en") == ["trouser"]
    with pytest.raises(ValueError, match="lang"):
        data.fashion_mnist_labels([0], lang="fr")


def test_synthetic_linear():
    X, y = data.synthetic_linear([2.0, -3.4], 4.2, 1000, noise=0.0)
    assert torch.allclose(y, X @ torch.tensor([2.0, -3.4]) + 4.2, atol=1e-5)
    with pytest.raises(ValueError):
        data.synthetic_linear([1.0], 0.0, -1)
