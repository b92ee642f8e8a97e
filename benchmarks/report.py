"""Render ``results.json`` as ``RESULTS.md`` (Chinese prose, numbers only from the JSON).

Section 6 (grading throughput) is measured separately by ``grading_throughput.py``; when its
``grading_throughput.json`` exists, :func:`render` includes that section too, so ``make bench``
and ``grading_throughput.py`` write the same file.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
GRADING_JSON = HERE / "grading_throughput.json"


def _f(x, nd=1, unit=""):
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    return f"{x:,.{nd}f}{unit}"


def _load(sec) -> str:
    return f"{_f(sec.get('load_start'), 2)} → {_f(sec.get('load_end'), 2)}"


def _err(sec) -> list[str]:
    out = [f"**本节失败**：`{sec['error'][:600]}`", ""] if "error" in sec else []
    if sec.get("d2l_error"):
        out += [f"**参考环境不可用，没有 d2l 的数字**：`{sec['d2l_error'][:600]}`", ""]
    return out


def _head(title, sec) -> list[str]:
    runinfo = f"测于 {sec.get('started', '?')}，耗时 {_f(sec.get('seconds'), 0)} s，" \
              f"1 分钟负载 {_load(sec)}" + ("（--quick）" if sec.get("quick") else "")
    return [f"## {title}", "", runinfo, ""] + _err(sec)


def throughput(sec) -> list[str]:
    out = _head("1. 数据管道吞吐量（Fashion-MNIST，批量 256）", sec)
    if "rows" not in sec:
        return out
    out += ["| 图像尺寸 | 实现 | torch | 每轮样本/秒（中位数） | 各轮 | 构建加载器 (s) | 负载 始→末 |",
            "|---|---|---|---:|---|---:|---|"]
    for r in sec["rows"]:
        out.append(f"| {r['size']}×{r['size']} | {r['label']} | {r['torch']} | "
                   f"{_f(r['median_examples_per_sec'], 0)} | "
                   f"{', '.join(_f(e, 0) for e in r['examples_per_sec'])} | {_f(r['setup_s'], 2)} | "
                   f"{_f(r['load_start'], 2)} → {_f(r['load_end'], 2)} |")
    out += ["", "相对 d2l 的倍数（同一行 torch 版本的 course_utils ÷ d2l）：", ""]
    for size, ratios in sec["ratios"].items():
        parts = "，".join(f"{k} **{v:.1f}×**" for k, v in ratios.items())
        out.append(f"- {size}×{size}：{parts}")
    out += ["", f"目标：96×96 时 ≥ 5×。{sec.get('note', '')}", ""]
    return out


def train(sec) -> list[str]:
    ep = (sec.get("rows") or [{}])[0].get("epochs", 10)
    out = _head(f"2. 端到端训练：BN-LeNet（sigmoid，lr 1.0，批量 256，{ep} 轮）", sec)
    if "rows" not in sec:
        return out
    out += ["| 实现 | torch | 设备 | 墙钟时间 (s) | 训练损失 | 训练准确率 | 测试准确率 | 样本/秒 | 负载 始→末 |",
            "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for r in sec["rows"]:
        out.append(f"| {r['label']} | {r['torch']} | {r['device']} | {_f(r['wall_s'], 1)} | "
                   f"{_f(r['train_loss'], 3)} | {_f(r['train_acc'], 3)} | "
                   f"{_f(r['test_acc'], 3)} | {_f(r['examples_per_sec'], 0)} | "
                   f"{_f(r['load_start'], 2)} → {_f(r['load_end'], 2)} |")
    parts = "，".join(f"{k} **{v:.2f}×**" for k, v in sec["speedup"].items()) or "—"
    out += ["", f"墙钟时间加速比（d2l ÷ course_utils）：{parts}。目标：≥ 2×，准确率在噪声范围内。",
            "", "墙钟时间从建立数据迭代器开始，到最后一轮的测试准确率算完为止（不含 Python 与 torch "
            "的导入）。两边是同一个网络（`nn.Sequential`，BatchNorm2d/1d + sigmoid）、同样的 Xavier "
            "初始化（d2l 的 `train_ch6` 所用）、SGD lr 1.0；d2l 的 `Animator` 照常作图，只是不显示"
            "（MPLBACKEND=Agg，`display` 置空）。", ""]
    return out


def imports(sec) -> list[str]:
    out = _head("5. 导入与初始化时间（新进程，中位数）", sec)
    if "median" not in sec:
        return out
    m = sec["median"]
    out += ["| 步骤 | 秒 |", "|---|---:|",
            f"| `import torch` | {_f(m['import_torch_s'], 3)} |",
            f"| 之后导入 `course_utils` 的 env、data、train、plotting、widgets | "
            f"{_f(m['import_course_utils_s'], 3)} |",
            f"| `env.setup_notebook()`（首次：字体、样式、种子） | {_f(m['setup_notebook_s'], 3)} |",
            f"| 以上合计（进程内） | {_f(m['total_s'], 3)} |",
            f"| 整个子进程（含解释器启动与退出） | {_f(m['process_wall_s'], 3)} |",
            "", f"{sec['n']} 次独立进程取中位数。", ""]
    return out


def notebooks(sec) -> list[str]:
    out = _head("4. 课程笔记本执行时间", sec)
    if "rows" not in sec:
        return out
    by = {}
    for r in sec["rows"]:
        by.setdefault(r["notebook"], {})[r["mode"]] = r

    def cell(r):
        if r is None:
            return "—"
        if r.get("skipped") == "budget":
            return "未测（超出 cpu 模式的时间预算）"
        if r.get("skipped"):
            return "未测（未选）"
        if r.get("error"):
            return f"出错：{str(r['error'])[:80]}"
        retry = "，第 1 次超时后重试" if r.get("attempt", 1) > 1 else ""
        return (f"{_f(r['wall_s'], 1)} s（负载 {_f(r.get('load_start'), 1)}→"
                f"{_f(r.get('load_end'), 1)}{retry}）")

    out += ["| 笔记本 | smoke 模式 | cpu 模式 | cpu 模式最慢的单元 |", "|---|---|---|---|"]
    for nb, modes in by.items():
        cpu = modes.get("cpu") or {}
        slow = "；".join(f"#{c['cell']} {c['s']:.0f} s" for c in cpu.get("slowest_cells", [])[:2])
        out.append(f"| {nb} | {cell(modes.get('smoke'))} | {cell(modes.get('cpu'))} | "
                   f"{slow or '—'} |")
    out += ["", "用 nbclient 在临时副本上从头执行（由 `notebooks/src/` 的 jupytext 源生成，含内核启动），"
            "不改动 `notebooks/*.ipynb`。", ""]
    if any(r.get("skipped") for r in sec["rows"] if r["mode"] == "cpu"):
        out += [f"cpu 模式的选择：{sec.get('cpu_notebooks')}，总时间预算 "
                f"{_f(sec.get('cpu_budget_s'), 0)} s；未测的笔记本，其 cpu 模式的结果见已提交的输出"
                "（第 3 节注明了每个数字的来源）。", ""]
    return out


def accuracy(sec) -> list[str]:
    out = _head("3. 各章主要实验的结果与 d2l 公布值", sec)
    if "rows" not in sec:
        return out
    out += ["| 章 | 实验 | 配置 | 本课程结果 | d2l 公布值 | 单次运行时间 | 来源 |",
            "|---|---|---|---|---|---|---|"]
    for r in sec["rows"]:
        out.append(f"| {r['chapter']} | {r['experiment']} | {r.get('config', '')} | "
                   f"{r.get('value', '—')} | {r.get('d2l', '—')} | {r.get('time', '—')} | "
                   f"{r.get('source', '')} |")
    out += [""]
    return out


def summary(secs) -> list[str]:
    """The headline numbers against the issue's targets."""
    out = []
    tp = secs.get("throughput", {}).get("ratios", {}).get("96", {})
    if "course_utils" in tp:
        r = tp["course_utils"]
        out.append(f"- 数据管道，96×96：course_utils 是 d2l 的 **{r:.1f}×**（目标 ≥ 5×："
                   f"{'达到' if r >= 5 else '未达到'}）")
    tr = secs.get("train", {})
    if "course_utils" in tr.get("speedup", {}):
        by = {r["label"]: r for r in tr["rows"]}
        c, d = by["course_utils"], by["d2l"]
        sp = tr["speedup"]["course_utils"]
        out.append(f"- BN-LeNet {c['epochs']} 轮端到端：course_utils {c['wall_s']:.0f} s，d2l {d['wall_s']:.0f} s，"
                   f"快 **{sp:.2f}×**（目标 ≥ 2×：{'达到' if sp >= 2 else '未达到'}）；"
                   f"测试准确率 {c['test_acc']:.3f} vs {d['test_acc']:.3f}")
    return (["## 摘要", ""] + out + [""]) if out else []


RENDER = {"throughput": throughput, "train": train, "accuracy": accuracy,
          "notebooks": notebooks, "imports": imports}


def _reference_line(meta: dict, secs: dict) -> str:
    """The reference venv's torch: from the meta data, else from the rows measured in it."""
    version = meta.get("torch_reference_venv")
    if not version:
        seen = {r.get("torch") for s in secs.values() if isinstance(s, dict)
                for r in s.get("rows", []) if isinstance(r, dict) and r.get("label") == "d2l"}
        version = ", ".join(sorted(v for v in seen if v)) or None
    if not version:
        return "本次运行没有用到参考环境 `benchmarks/.venv-d2l`"
    return f"参考环境 `benchmarks/.venv-d2l` {version}（d2l + torchvision 0.29.1）"


def grading(path=GRADING_JSON) -> list[str]:
    """Section 6 from ``grading_throughput.json`` (rendered by ``grading_throughput.py``), or []."""
    path = Path(path)
    if not path.is_file():
        return []
    spec = importlib.util.spec_from_file_location("grading_throughput", HERE / "grading_throughput.py")
    gt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gt)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["extrapolation"] = gt.extrapolate(data["rows"])
    return gt.section(data).rstrip("\n").split("\n") + [""]


def render(results: dict, grading_json=GRADING_JSON) -> str:
    m = results.get("meta", {})
    secs = results.get("sections", {})
    runs = sorted({s.get("run") for s in secs.values() if s.get("run")})
    out = ["# 基准测试结果（`make bench`）", "",
           "本文件由 `benchmarks/run.py` 生成，原始数据见 `results.json`。除第 3 节“来源”一列注明取自"
           "已提交笔记本输出的数字外，所有数字都来自下列运行。", "",
           f"- 日期：{', '.join(runs) or m.get('run')}"
           + ("（各节来自不同的运行，见各节的测量时间）" if len(runs) > 1 else ""),
           f"- CPU：{m.get('cpu')}，{m.get('cores')} 核；torch 线程数 {m.get('threads')}",
           f"- torch：课程环境 `.venv` {m.get('torch_course_venv') or '未知'}；" + _reference_line(m, secs),
           f"- Python {m.get('python')}，{m.get('os')}，提交 {m.get('git_commit')}",
           "- 每次测量都在新的子进程里进行，并记下开始与结束时的 1 分钟平均负载：负载明显高于核数时，"
           "数字受其他进程干扰。",
           "- 比较 d2l 时以同一个参考环境（同一 torch 构建）里的 course_utils 为准，"
           "课程自己 `.venv` 的数字另列一行。", ""]
    if m.get("quick"):
        out += ["> ⚠️ 这是 `--quick` 运行：规模极小，只用于检查测试工具本身，数字没有参考价值。", ""]
    out += summary(secs)
    for name in ("throughput", "train", "accuracy", "notebooks", "imports"):
        if name in secs:
            out += RENDER[name](secs[name])
    out += grading(grading_json)
    return "\n".join(out).rstrip() + "\n"
