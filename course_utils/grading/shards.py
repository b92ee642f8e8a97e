"""Sharded grading: each machine grades a deterministic 1/N of the learners; ``merge`` joins them.

``grade --shard i/N`` keeps the learners whose position in the sorted list of learner ids
(Python's code-point order, the same on every machine) is ``i-1`` modulo ``N``: the shards are
disjoint, together cover everyone, and differ in size by at most one learner. Every ``grade``
writes ``shard.json`` next to ``grades.csv``: the assignment, a fingerprint of the instructor
source (the *release*), the shard, all learner ids it saw and the ones it graded, and the grading
settings. ``merge`` checks these before joining anything and refuses (``ShardError``, a Chinese
message) when a shard is missing or doubled, or comes from another assignment, release, settings
or set of submissions.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

from .classdata import RESULTS, dump, load, merge_docs
from .outdir import check_out, fresh, swap_in
from .report import write_report

MANIFEST = "shard.json"
FORMAT = 1


class ShardError(ValueError):
    """Bad ``--shard`` value or shards that cannot be merged (message in Chinese)."""


def parse_shard(text) -> tuple[int, int]:
    """``"2/4"`` → ``(2, 4)``; a Chinese ``ShardError`` naming ``--shard`` otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise ShardError(f"--shard 的格式应为 i/N（1 ≤ i ≤ N，例如 2/4），收到 {text!r}")
    return int(m.group(1)), int(m.group(2))


def select(found: list[tuple[str, Path]], shard: tuple[int, int] | None):
    """Keep this shard's ``(learner_id, path)`` pairs; return them and the shard bookkeeping."""
    i, n = shard or (1, 1)
    ordered = sorted(found, key=lambda f: f[0])
    mine = [f for k, f in enumerate(ordered) if k % n == i - 1]
    info = {"shard": [i, n], "learners": [f[0] for f in ordered], "graded": [f[0] for f in mine]}
    return mine, info


def release_of(source: Path) -> str:
    """Fingerprint of an instructor source file: a changed test or solution is another release."""
    return hashlib.sha256(Path(source).read_bytes()).hexdigest()[:16]


def write_manifest(out: Path, assignment, info: dict, settings: dict) -> None:
    data = {"format": FORMAT, "assignment": assignment.id, "release": release_of(assignment.path),
            "source": assignment.path.name, **info, "settings": settings}
    (Path(out) / MANIFEST).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                                      encoding="utf-8")


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not Path(folder).is_dir():
        raise ShardError(f"分片目录不存在：{folder}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = ("assignment", "release", "settings", "learners", "graded")
        if data.get("format") == FORMAT and len(data["shard"]) == 2 and all(k in data for k in keys):
            return data
    except FileNotFoundError:
        raise ShardError(f"{folder} 不是评分输出目录（缺少 {MANIFEST}）；"
                         "请先用 grade --shard i/N 生成各个分片") from None
    except Exception:  # noqa: BLE001 - damaged or foreign file
        pass
    raise ShardError(f"{path} 已损坏或格式不对，无法合并")


def check(folders: list[Path]) -> list[dict]:
    """Manifests of ``folders`` sorted by shard number; ``ShardError`` when they do not fit."""
    if not folders:
        raise ShardError("merge 至少需要一个分片目录")
    mans = [(Path(f), read_manifest(f)) for f in folders]
    first_dir, first = mans[0]
    for d, m in mans[1:]:
        for key, what in (("assignment", "作业编号"), ("release", "发布版本（教师源文件的指纹）"),
                          ("settings", "评分参数（超时、内存上限）")):
            if m[key] != first[key]:
                raise ShardError(f"分片不属于同一次评分：{first_dir} 与 {d} 的{what}不同"
                                 f"（{_show(first[key])} ≠ {_show(m[key])}）")
        if m["shard"][1] != first["shard"][1]:
            raise ShardError(f"分片总数不一致：{first_dir} 是 {_frac(first)}，{d} 是 {_frac(m)}")
        if m["learners"] != first["learners"]:
            raise ShardError(f"{first_dir} 与 {d} 看到的提交不同（{len(first['learners'])} 与 "
                             f"{len(m['learners'])} 名学生）：所有分片必须读取同一份提交目录")
    n = first["shard"][1]
    seen: dict[int, Path] = {}
    for d, m in mans:
        i = m["shard"][0]
        if i in seen:
            raise ShardError(f"分片 {i}/{n} 出现了两次：{seen[i]} 和 {d}")
        seen[i] = d
    missing = [str(i) for i in range(1, n + 1) if i not in seen]
    if missing:
        raise ShardError(f"缺少分片 {'、'.join(m + '/' + str(n) for m in missing)}"
                         f"（共 {n} 个分片，只给了 {len(seen)} 个）")
    graded = [x for _, m in mans for x in m["graded"]]
    if sorted(graded) != sorted(first["learners"]):
        raise ShardError("各分片评过的学生合起来与提交名单不一致：分片输出可能被改动过，请重新评分")
    return [dict(m, dir=str(d)) for d, m in sorted(mans, key=lambda dm: dm[1]["shard"][0])]


def _frac(m):
    return f"{m['shard'][0]}/{m['shard'][1]}"


def _show(v):
    return json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v)


def _table(folder: Path, man: dict) -> tuple[list[str], dict[str, list[str]]]:
    """The header of ``grades.csv`` and its rows by learner id."""
    try:
        with open(folder / "grades.csv", newline="", encoding="utf-8") as fh:
            header, *rows = list(csv.reader(fh))
    except (OSError, ValueError):
        raise ShardError(f"{folder} 中缺少可读的 grades.csv，分片输出不完整") from None
    if "learner" in header:
        by = {row[header.index("learner")]: row for row in rows}
    else:  # older outputs without the learner column: rows are in learner order
        by = dict(zip(man["graded"], rows))
    if len(rows) != len(man["graded"]) or set(by) != set(man["graded"]):
        raise ShardError(f"{folder}/grades.csv 与该分片的 {MANIFEST} 不一致（{len(rows)} 行，"
                         f"评了 {len(man['graded'])} 名学生）：分片输出不完整，请重新评分")
    return header, by


def merge(folders, out, *, echo=print) -> Path:
    """Join shard outputs into ``out``: grades.csv (rows in whole-run order), feedback/, the
    logs, ``shard.json`` (as one 1/1 run) and ``report.html``. ``ShardError`` when refused."""
    folders = [Path(f) for f in folders]
    out = Path(out)
    if any(out.resolve() == f.resolve() for f in folders):
        raise ShardError(f"--out 不能是某个分片目录本身：{out}")
    check_out(out, ShardError)
    mans = check(folders)
    header, by_learner = None, {}
    for man in mans:
        h, rows = _table(Path(man["dir"]), man)
        if header is not None and h != header:
            raise ShardError(f"{man['dir']}/grades.csv 的列与其他分片不同，无法合并")
        header = h
        by_learner.update(rows)
    docs = [_results(Path(m["dir"])) for m in mans]
    tmp = fresh(out)
    try:
        _write_merged(tmp, mans, header, by_learner, docs)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    swap_in(tmp, out)
    echo(f"已合并 {len(mans)} 个分片、{len(by_learner)} 名学生的成绩；结果在 {out}")
    return out


def _write_merged(out: Path, mans, header, by_learner, docs) -> None:
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(by_learner[x] for x in mans[0]["learners"])
    for man in mans:
        _copy_feedback(Path(man["dir"]) / "feedback", out / "feedback")
    dump(merge_docs(docs, mans[0]["learners"]), out)
    logs = [f"合并 {len(mans)} 个分片（作业 {mans[0]['assignment']}，发布版本 {mans[0]['release']}）"
            f"：共 {len(by_learner)} 名学生"]
    for man in mans:
        log = Path(man["dir"]) / "grading.log"
        text = log.read_text(encoding="utf-8") if log.is_file() else "（该分片没有 grading.log）\n"
        logs.append(f"\n######## 分片 {_frac(man)}：{man['dir']}\n{text.rstrip()}")
    (out / "grading.log").write_text("\n".join(logs) + "\n", encoding="utf-8")
    info = {"shard": [1, 1], "learners": mans[0]["learners"], "graded": mans[0]["learners"],
            "merged_from": [m["dir"] for m in mans]}
    keys = ("assignment", "release", "source", "settings")
    data = {"format": FORMAT, **{k: mans[0][k] for k in keys}, **info}
    (out / MANIFEST).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                                encoding="utf-8")
    write_report(out)


def _results(folder: Path) -> dict:
    try:
        return load(folder)
    except (OSError, ValueError):
        raise ShardError(f"{folder} 中缺少可读的 {RESULTS}，分片输出不完整") from None


def _copy_feedback(src: Path, dest: Path) -> None:
    if not src.is_dir():
        return
    for f in sorted(src.rglob("*")):
        if f.is_file():
            target = dest / f.relative_to(src)
            if target.exists():
                raise ShardError(f"两个分片都有反馈文件 {f.relative_to(src)}：同一名学生被评了两次？")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
