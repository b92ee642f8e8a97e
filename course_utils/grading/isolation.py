"""Process isolation applied in a grading child before any learner code runs.

Namespaces (network, mounts), a read-only file system with a small writable work directory,
privilege drop to ``nobody`` where possible, rlimits, and an audit hook. See ``sandbox.py``.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND = 1, 2, 4, 32, 4096
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
NETNS, USERNS = "独立网络命名空间（无网络）", "用户+网络命名空间（无网络）"
NOBODY = 65534
BLOCKED_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                  "os.fork", "os.forkpty", "os.kill", "os.killpg", "pty.spawn", "ctypes.dlopen",
                  "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.call_function",
                  "os.symlink", "os.link", "os.chroot", "sys.setprofile", "os.setuid")
PATH_EVENTS = ("os.remove", "os.rename", "os.rmdir", "os.chmod", "os.chown", "os.truncate",
               "shutil.rmtree", "os.mkdir", "os.utime")


def _readable_by_others(path: str) -> bool:
    """True when ``path`` and all its parent directories are readable by any user."""
    path = os.path.realpath(path)
    while True:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return False
        if not mode & (0o001 if os.path.isdir(path) else 0o004):
            return False
        if path == os.path.dirname(path):
            return True
        path = os.path.dirname(path)


def _mounts() -> list[str]:
    with open("/proc/self/mounts") as fh:
        points = [line.split()[1].replace("\\040", " ") for line in fh]
    return [p for p in points if not p.startswith(("/proc", "/sys", "/dev"))]


def isolate(protect, workdir, namespaces: bool = True) -> list[str]:
    """Namespaces, mounts and privilege drop; returns the measures that took effect.

    ``namespaces=False`` skips all of them (rlimits and the audit hook still apply): this is what
    happens on machines that allow neither; the tests use it to exercise that fallback.
    """
    done = []
    if not namespaces:
        return done
    libc = ctypes.CDLL(None, use_errno=True)
    if os.geteuid() == 0:
        if libc.unshare(CLONE_NEWNET | CLONE_NEWNS) == 0:
            done.append(NETNS)
            if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0:
                hidden = 0
                for p in protect:
                    if os.path.isdir(p):
                        hidden += libc.mount(b"tmpfs", p.encode(), b"tmpfs",
                                             MS_RDONLY | MS_NOSUID | MS_NODEV, b"size=4k") == 0
                done.append(f"隐藏 {hidden} 个受保护目录（挂载命名空间）")
                ro = sum(libc.mount(None, m.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY,
                                    None) == 0 for m in _mounts())
                if libc.mount(b"tmpfs", workdir.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                              b"size=64m,mode=0777") == 0 and ro:
                    done.append("文件系统只读，仅工作目录可写（64 MB tmpfs）")
        import torch  # noqa: F401 - the interpreter must stay readable after the drop
        if all(_readable_by_others(p) for p in (os.__file__, torch.__file__, __file__)):
            try:
                os.chown(workdir, NOBODY, NOBODY)
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                done.append("降权为 nobody 用户")
            except OSError:
                pass  # e.g. no such user mapping in a container: keep the other measures
    elif libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
        done.append(USERNS)
    return done


def limits(mem_mb, cpu_s) -> None:
    vm = 0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                vm = int(line.split()[1]) * 1024
    lim = [(resource.RLIMIT_AS, vm + (mem_mb << 20)), (resource.RLIMIT_CPU, cpu_s),
           (resource.RLIMIT_FSIZE, 16 << 20), (resource.RLIMIT_CORE, 0),
           (resource.RLIMIT_NOFILE, 256), (resource.RLIMIT_NPROC, 256)]
    for what, value in lim:
        try:
            resource.setrlimit(what, (value, value))
        except (ValueError, OSError):
            pass
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over-long output → OSError, not death


def audit(protect, workdir):
    protect = tuple(os.path.realpath(p) + os.sep for p in protect)
    workdir = os.path.realpath(workdir) + os.sep
    real = os.path.realpath

    def inside(path, roots):
        try:
            p = real(os.fsdecode(path)) + os.sep
        except Exception:  # noqa: BLE001
            return True
        return p.startswith(roots)

    def hook(event, args):
        if event.startswith("socket.") or event in BLOCKED_EVENTS or (
                event == "import" and args and args[0] in ("_posixsubprocess", "_ctypes")):
            raise PermissionError(f"评分时禁止此操作：{event}")
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            writing = any(c in mode for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR)
            if inside(args[0], protect) or (writing and not inside(args[0], (workdir, "/dev/null/"))):
                raise PermissionError(f"评分时禁止访问该路径：{os.fsdecode(args[0])}")
        elif event in PATH_EVENTS and args and isinstance(args[0], (str, bytes, os.PathLike)):
            if not inside(args[0], (workdir,)):
                raise PermissionError(f"评分时禁止修改该路径：{event}")

    sys.addaudithook(hook)
    try:  # the one process-spawning primitive without an audit event of its own
        import _posixsubprocess

        def _blocked(*args, **kwargs):
            raise PermissionError("评分时禁止创建子进程")
        _posixsubprocess.fork_exec = _blocked
    except ImportError:  # pragma: no cover - not on POSIX
        pass
