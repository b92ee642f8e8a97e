"""Finding the submitted notebooks in a folder (or one file) and naming each learner.

Rules (also in ``assignments/README.md``):

* the submissions path may be one notebook or a folder; folders are searched recursively
  (LMS exports put one folder per learner, sometimes nested further);
* a notebook is any file whose name ends in ``.ipynb`` in any letter case (``.IPYNB`` too);
* the **learner id** is the first folder under the submissions folder
  (``subs/2024001/hw1/nb.ipynb`` → ``2024001``), or the file stem for a notebook lying directly in
  it (``subs/2024001.ipynb`` → ``2024001``; a single notebook path → its stem);
* nothing is skipped silently: every file or folder that is not graded is returned with its reason
  (hidden files and folders such as ``.ipynb_checkpoints``, symbolic links, other file types, two
  notebooks for the same learner id, empty or unreadable folders).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .cells import Seen, analyse
from .source import cell_source, marker_of

NOTEBOOK_SUFFIX = ".ipynb"


def is_notebook_name(name: str) -> bool:
    return name.lower().endswith(NOTEBOOK_SUFFIX) and len(name) > len(NOTEBOOK_SUFFIX)


def find_submissions(path, exclude=()) -> tuple[list[tuple[str, Path]], list[tuple[Path, str]]]:
    """``([(learner_id, notebook_path), ...], [(path, reason_in_chinese), ...])``.

    Both lists are sorted (by learner id, by path). ``exclude`` lists folders to leave out
    without comment (e.g. the output folder when it lies inside the submissions folder).
    Raises ``FileNotFoundError`` (Chinese message naming ``submissions``) when ``path`` does
    not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"提交路径 submissions 不存在：{path}")
    found: list[tuple[str, Path]] = []
    skipped: list[tuple[Path, str]] = []
    if path.is_file():
        if is_notebook_name(path.name):
            found.append((_stem(path.name), path))
        else:
            skipped.append((path, _not_notebook(path.name)))
        return found, skipped
    excluded = {os.path.realpath(p) for p in exclude}
    _walk(path, path, excluded, found, skipped)
    by_id: dict[str, list[Path]] = {}
    for learner, nb in found:
        by_id.setdefault(learner, []).append(nb)
    unique = []
    for learner, paths in sorted(by_id.items()):
        if len(paths) == 1:
            unique.append((learner, paths[0]))
            continue
        names = "、".join(str(p.relative_to(path)) for p in sorted(paths))
        for p in sorted(paths):
            skipped.append((p, f"学生 {learner} 有 {len(paths)} 份笔记本（{names}），无法确定评哪一份："
                               "请只保留一份后重新评分"))
    return unique, sorted(skipped, key=lambda s: str(s[0]))


ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".7z", ".rar")


def _not_notebook(name: str) -> str:
    if name.lower().endswith(ARCHIVES):
        return "不是 .ipynb 笔记本（是压缩包：请先解压，笔记本放在同一名学生的目录中再重新评分）"
    return "不是 .ipynb 笔记本"


def _stem(name: str) -> str:
    return name[: -len(NOTEBOOK_SUFFIX)]


def _walk(root: Path, folder: Path, excluded, found, skipped) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        skipped.append((folder, f"无法读取该目录（{type(exc).__name__}）"))
        return
    for entry in entries:
        p = Path(entry.path)
        if os.path.realpath(p) in excluded:
            continue
        if entry.name.startswith("."):
            what = "隐藏目录" if entry.is_dir(follow_symlinks=False) else "隐藏文件"
            why = "（Jupyter 自动保存的检查点）" if entry.name == ".ipynb_checkpoints" else ""
            skipped.append((p, f"{what}{why}，不评分"))
        elif entry.is_symlink():
            skipped.append((p, "符号链接，为安全起见不跟随、不评分"))
        elif entry.is_dir():
            if not any(True for _ in os.scandir(p)):
                skipped.append((p, "空目录（没有任何提交文件）"))
            _walk(root, p, excluded, found, skipped)
        elif not entry.is_file():
            skipped.append((p, "不是普通文件"))
        elif not is_notebook_name(entry.name):
            skipped.append((p, _not_notebook(entry.name)))
        else:
            rel = p.relative_to(root)
            learner = rel.parts[0] if len(rel.parts) > 1 else _stem(entry.name)
            found.append((learner, p))


MAX_NOTEBOOK_BYTES = 20 << 20


@dataclass
class Submission:
    """One submitted notebook as the grader sees it (``seen`` is ``None`` when unreadable)."""

    learner: str
    path: Path
    notes: list[str] = field(default_factory=list)
    seen: Seen | None = None
    assignment_id: str | None = None

    @property
    def statements(self) -> list[str]:
        return self.seen.statements if self.seen else []


def read_submission(learner: str, path) -> Submission:
    """Parse a notebook: the grader's view of its code cells (cells numbered from 1), its notes."""
    path = Path(path)
    sub = Submission(learner, path)
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            sub.notes.append(f"文件过大（超过 {MAX_NOTEBOOK_BYTES >> 20} MB），未评分")
            return sub
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except Exception:  # noqa: BLE001
        sub.notes.append("无法读取该文件：不是有效的 .ipynb 笔记本（JSON 损坏或缺少 cells），未评分")
        return sub
    meta = nb.get("metadata") if isinstance(nb, dict) else None
    info = meta.get("course_assignment") if isinstance(meta, dict) else None
    if isinstance(info, dict) and isinstance(info.get("id"), str):
        sub.assignment_id = info["id"][:20]
    code = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        try:
            if marker_of(cell)[0] in ("public", "hidden"):
                continue
            code.append((i + 1, cell_source(cell)))
        except Exception:  # noqa: BLE001 - malformed cell (wrong types, ...)
            sub.notes.append(f"第 {i + 1} 个单元格式错误或无法解析，已跳过")
    sub.seen = analyse(code)
    sub.notes += sub.seen.notes
    return sub
