"""Section 3: each chapter's main result next to d2l's published figure.

Numbers come, in this order of preference, from (a) the notebook executed in cpu mode by this run
(section 4), (b) the committed cpu-mode outputs of ``notebooks/NN_*.ipynb``, (c) direct runs of the
d2l configuration by this run (BN-LeNet from section 2, airfoil minibatch SGD). Each row says which.
The patterns below follow what the chapter notebooks print; a notebook whose output no longer
matches gives a row saying so rather than a wrong number.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat


def output_text(path: Path) -> str:
    """All text outputs (streams, text/plain results) of a notebook, in cell order."""
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if o.get("output_type") == "stream" and o.get("name") == "stdout":
                parts.append(o.get("text", ""))
            elif "data" in o:
                t = o["data"].get("text/plain", "")
                if t and not t.startswith(("<Figure", "VBox(", "HBox(", "<IPython")):
                    parts.append(t)
    return "\n".join(parts)


def _source(root: Path, executed: dict, stem: str):
    """(text, provenance) of a chapter notebook's cpu-mode outputs, or (None, reason)."""
    path = executed.get((stem, "cpu"))
    if path is not None:
        return output_text(path), "本次运行（cpu 模式执行笔记本）"
    committed = root / "notebooks" / f"{stem}.ipynb"
    if committed.exists():
        text = output_text(committed)
        if "MODE=cpu" in text:
            return text, f"已提交的 `notebooks/{stem}.ipynb` 输出（cpu 模式）"
        return None, f"`notebooks/{stem}.ipynb` 的输出不是 cpu 模式"
    return None, f"`notebooks/{stem}.ipynb` 不存在"


def _stem(root: Path, prefix: str) -> str | None:
    hits = sorted((root / "notebooks" / "src").glob(f"{prefix}_*.py")) + \
        sorted((root / "notebooks").glob(f"{prefix}_*.ipynb"))
    return hits[0].stem if hits else None


# ---------------------------------------------------------------------------------------------
# Per-chapter extractors: text -> list of rows (experiment, config, value, d2l, time)
# ---------------------------------------------------------------------------------------------
def ch4_rows(text: str) -> list[dict]:
    rows = []
    m = re.search(r"gd\(lr=0\.2\) 10 步后 x = ([-\d.e+]+)", text) or \
        re.search(r"10 步后 x = ([-\d.e+]+)", text)
    if m:
        rows.append({"experiment": "一维梯度下降 f(x)=x²", "config": "x₀=10，lr 0.2，10 步",
                     "value": f"x = {m.group(1)}", "d2l": "x: 0.060466"})
    m = re.search(r"20 步后 \(x1, x2\) = \(([-\d.e+]+), ([-\d.e+]+)\)", text)
    if m:
        rows.append({"experiment": "二维梯度下降 x₁²+2x₂²", "config": "(−5, −2)，lr 0.1，20 步",
                     "value": f"({m.group(1)}, {m.group(2)})", "d2l": "x1: -0.057646, x2: -0.000073"})
    return rows


def ch5_rows(text: str) -> list[dict]:
    rows = []
    times = {r.get("设置"): r for r in tables(text) if "毫秒/轮" in r}
    pat = r"^最终损失 ([\d.]+)，共\s*(\d+) 次更新（每轮\s*(\d+) 次）：(.+)$"
    for loss, updates, per_epoch, label in re.findall(pat, text, flags=re.M):
        epochs = int(updates) // max(int(per_epoch), 1)
        t = times.get(label.strip(), {}).get("毫秒/轮")
        rows.append({"experiment": f"airfoil {label.strip()}（从零实现）",
                     "config": f"{epochs} 轮，每轮 {per_epoch} 次更新", "value": f"损失 {loss}",
                     "d2l": "≈ 0.24–0.25",
                     "time": f"{float(t) * epochs:.1f} ms（训练部分）" if t else "—"})
    return rows


def _markdown_cells(line: str) -> list[str]:
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]


def tables(text: str) -> list[dict]:
    """Tables in the output, one dict per row: Markdown tables (the text form of
    ``course_utils.tables.table``: ``| a | b |`` lines under a ``|---|`` rule) and plain-text
    tables (a header whose cells are separated by two or more spaces, then rows with as many)."""
    rows, header, markdown = [], None, False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            markdown = True
            cells = _markdown_cells(stripped)
            if all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                continue  # the rule under the header
            if header is not None and len(cells) == len(header):
                rows.append(dict(zip(header, cells, strict=True)))
            else:
                header = cells
            continue
        if markdown:  # a Markdown table ended: plain lines never continue it
            header, markdown = None, False
        cells = [c for c in re.split(r"\s{2,}", line.strip()) if c]
        if header is not None and len(cells) == len(header) and not set(line.strip()) <= set("- "):
            rows.append(dict(zip(header, cells, strict=True)))
            continue
        if header is not None and set(line.strip()) <= set("- ") and line.strip():
            continue  # a ---- rule under the header
        header = cells if len(cells) >= 3 and not re.search(r"\d\.\d", line) else None
    return rows


def ch1_rows(text: str) -> list[dict]:
    pat = (r"^(\S+?)[：:\s]\s*loss [\d.]+, train acc [\d.]+, test acc ([\d.]+), \d+ examples/sec"
           r"(?:，用时 (\d+) s)?")
    total = re.search(r"四次训练共用时 (\d+) s", text)
    lr = re.search(r"^\|\s*本章选用[^|]*\|\s*([\d.]+)\s*\|", text, flags=re.M)
    return [{"experiment": f"Fashion-MNIST 调度对比：{k}", "config": "小型 BN-CNN，SGD 动量 0.9，"
             f"峰值 lr {lr.group(1) if lr else '?'}，cpu 模式", "value": f"测试准确率 {acc}",
             "d2l": "—（d2l 用的网络与轮数不同）",
             "time": f"{t} s" if t else (f"四次共 {total.group(1)} s" if total else "—")}
            for k, acc, t in re.findall(pat, text, flags=re.M)
            if k in ("恒定", "阶梯衰减", "预热+余弦", "单周期", "1-cycle")]


def ch2_rows(text: str) -> list[dict]:
    rows = []
    m = re.search(r"目标实验 (\d+) 轮", text)
    epochs = int(m.group(1)) if m else None
    names = {"从零实现": "scratch", "nn.BatchNorm": "torch", "scratch": "scratch", "torch": "torch"}
    found = [(names[r["实现"]], r["最终测试准确率"], r["最高测试准确率"], r["样本/秒"])
             for r in tables(text) if r.get("实现") in names and "最终测试准确率" in r] or \
        re.findall(r"^(scratch|torch)\s+\|\s+([\d.]+)\s+\|\s+([\d.]+)\s+\|\s+(\d+)", text, flags=re.M)
    for impl, acc, best, eps in found:
        t = f"≈ {epochs * 60000 / float(eps):.0f} s（按样本/秒折算，仅训练）" \
            if epochs and float(eps) > 0 else "—"
        rows.append({"experiment": "BN-LeNet（sigmoid），" +
                     ("从零实现的 BatchNorm" if impl == "scratch" else "nn.BatchNorm"),
                     "config": f"全量数据，lr 1.0，批量 256，{epochs or '?'} 轮",
                     "value": f"测试准确率 {acc}（最高 {best}）", "d2l": "0.852 / 0.801",
                     "time": t})
    return rows


def ch3_rows(text: str) -> list[dict]:
    rows = []
    cfgs = re.findall(r"^\{.*'epochs': (\d+).*'resnet'.*$", text, flags=re.M)
    epochs = int(cfgs[-1]) if cfgs else None
    ref = {"ResNet": "0.898（ResNet-18，96×96，10 轮）", "DenseNet": "0.890（96×96，10 轮）"}
    for r in tables(text):
        name = r.get("模型")
        if name not in ref or "测试准确率" not in r:
            continue
        spe = float(r["秒/轮"]) if "秒/轮" in r else None
        rows.append({"experiment": name, "config": f"cpu 配置：28×28，缩窄的网络（{r.get('参数', '?')} "
                     f"参数），{epochs or '?'} 轮，1-cycle",
                     "value": f"测试准确率 {r['测试准确率']}", "d2l": ref[name],
                     "time": f"{spe * epochs:.0f} s" if spe and epochs else "—"})
    return rows


CHAPTERS = [
    ("01", "第1章 学习率调度", ch1_rows),
    ("02", "第2章 批量归一化", ch2_rows),
    ("03", "第3章 ResNet / DenseNet", ch3_rows),
    ("04", "第4章 凸优化与梯度下降", ch4_rows),
    ("05", "第5章 随机梯度下降", ch5_rows),
]


def table(root: Path, executed: dict, train_section: dict | None, airfoil: dict | None):
    rows = []
    for prefix, chapter, extract in CHAPTERS:
        stem = _stem(root, prefix)
        if stem is None:
            rows.append({"chapter": chapter, "experiment": "—", "source": "该章笔记本尚不存在"})
        else:
            text, source = _source(root, executed, stem)
            found = extract(text) if text is not None else []
            if text is not None and not found:
                source = f"未能从 {stem} 的输出中识别主实验结果（{source}）"
            for r in found or [{"experiment": "—"}]:
                rows.append({"chapter": chapter, **r, "source": source})
        if prefix == "02" and train_section and "rows" in train_section:
            for r in train_section["rows"]:
                if r["label"] == "course_utils (.venv)" and not train_section.get("quick"):
                    rows.append({"chapter": chapter, "experiment": "BN-LeNet（d2l 配置）",
                                 "config": "全量数据，lr 1.0，批量 256，10 轮",
                                 "value": f"测试准确率 {r['test_acc']:.3f}",
                                 "d2l": "0.852 / 0.801", "time": f"{r['wall_s']:.0f} s",
                                 "source": "本次运行第 2 节（course_utils，`.venv`）"})
        if prefix == "05" and airfoil and "runs" in airfoil:
            for r in airfoil["runs"]:
                rows.append({"chapter": chapter, "experiment": f"airfoil {r['run']}（d2l 配置）",
                             "config": f"批量 {r['batch_size']}，η {r['lr']}，{r['epochs']} 轮",
                             "value": f"损失 {r['loss']:.3f}", "d2l": "≈ 0.24–0.25",
                             "time": f"{r['wall_s']:.3f} s",
                             "source": "本次运行（`worker.py airfoil`，course_utils 数据 + 从零 SGD）"})
    return rows
