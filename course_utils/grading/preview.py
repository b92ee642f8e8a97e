"""Inside the notebook: warn about what the grader will not see (used by ``check()``).

Sources, in order of preference:

* the saved notebook file — Jupyter Server sets ``JPY_SESSION_NAME`` to its path, VS Code puts it in
  ``__vsc_ipynb_file__``; the grader reads exactly this file, so cell numbers (counted from 1,
  markdown cells included) match the feedback;
* otherwise (e.g. Colab) the cells executed in this IPython session, for the dropped-statement
  check only (their order is the execution order, so duplicates cannot be judged).
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

from .cells import Seen, analyse


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return None
    return get_ipython()


def notebook_path() -> Path | None:
    ip = _ipython()
    candidates = [os.environ.get("JPY_SESSION_NAME", "")]
    if ip is not None:
        candidates.append(str(ip.user_ns.get("__vsc_ipynb_file__", "")))
    for c in candidates:
        if not c.lower().endswith(".ipynb"):
            continue
        # JPY_SESSION_NAME may be relative to the server's folder; the kernel runs in the notebook's
        for p in (Path(c), Path.cwd() / Path(c).name):
            if p.is_file():
                return p
    return None


def grader_view() -> tuple[Seen | None, bool]:
    """``(seen, from_file)``: the grader's view of the notebook, or ``(None, False)``."""
    path = notebook_path()
    if path is not None:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            cells = [(i + 1, c["source"] if isinstance(c["source"], str) else "".join(c["source"]))
                     for i, c in enumerate(nb["cells"]) if c.get("cell_type") == "code"]
            return analyse(cells), True
        except Exception:  # noqa: BLE001 - an unreadable file: fall back to the history
            pass
    ip = _ipython()
    history = getattr(getattr(ip, "history_manager", None), "input_hist_raw", None)
    if not history:
        return None, False
    return analyse([(i, src) for i, src in enumerate(history) if isinstance(src, str)]), False


def warnings_for(function: str, answer=None) -> list[str]:
    """Chinese warnings about ``function`` as the grader will see it (never raises)."""
    out = []
    name = getattr(answer, "__name__", function)
    if isinstance(name, str) and name != function:
        out.append(f"你检查的是 {name}，而评分程序按函数名 {function} 查找答案：请把答案写在 "
                   f"def {function}(...) 中（不要改名），再检查一次。")
    try:
        seen, from_file = grader_view()
    except Exception:  # noqa: BLE001
        return out
    if seen is None:
        return out
    hidden = seen.dropped_definition(function)
    if hidden:
        cell, text = hidden
        where = f"第 {cell} 个单元中" if from_file else ""
        out.append(f"{function} 只在{where} `{text}` 之内定义：评分程序只执行顶层的 import、def、class 和"
                   f"常量赋值，这段代码会被跳过，评分时找不到 {function}。请把 def 写在单元的最外层。")
    for name, (cell, text) in seen.unseen_globals(function).items():
        where = f"第 {cell} 个单元中的 " if from_file else " "
        out.append(f"评分时不存在 {name}：它由{where}`{text}` 定义，而评分程序只执行 import、def、class 和"
                   f"不含函数调用的赋值，这一句会被跳过，评分时 {function} 会因 NameError 失分。"
                   + _fix(name))
    if from_file:
        for name, cells in seen.duplicates([function]).items():
            out.append(f"{name} 在第 {'、'.join(map(str, cells))} 个单元中都有定义：评分只使用笔记本中"
                       f"最后一个（第 {cells[-1]} 个单元）的版本，与运行顺序无关。"
                       "请删除多余的定义，或确认最后那个就是你要提交的版本（并保存笔记本）。")
    return out


def _fix(name: str) -> str:
    """How to fix a dropped global: its current value as a literal when it has one."""
    try:
        value = _ipython().user_ns[name]
        text = repr(value)
        if len(text) <= 60 and ast.literal_eval(text) == value:  # no calls: the grader keeps it
            return f"请改成常量赋值 `{name} = {text}`，或移到函数内部。"
    except Exception:  # noqa: BLE001 - no IPython, no such name, not a literal (a tensor...)
        pass
    return "请把这一句移到函数内部（或改成不含函数调用的常量赋值）。"
