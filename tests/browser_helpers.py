"""Helpers for tests/test_browser.py: a throw-away JupyterLab server and the browser-side queries.

The server is isolated from the user's Jupyter setup (temporary config, settings, workspaces and
runtime directories), listens on 127.0.0.1 with a random port and token, serves a temporary copy of
``notebooks/`` (the committed notebooks are never modified), and never calls the internet
(announcements, update checks and the PyPI extension manager are off).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
ARTIFACTS = ROOT / "tests" / "_artifacts" / "browser"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]

_SERVER_CONFIG = """
c.ServerApp.open_browser = False
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.handlers.announcements.NeverCheckForUpdate"
c.LabApp.extension_manager = "readonly"
c.LabApp.expose_app_in_browser = True
c.LanguageServerManager.autodetect = False
"""

# JupyterLab user settings (JSON): no news/update toasts, no autosave (the copy is throw-away
# anyway), and every cell kept in the DOM so that all sliders can be found.
_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}


def find_chromium() -> str | None:
    """Path of a system Chromium (``COURSE_CHROMIUM`` overrides), or None."""
    cands = [os.environ.get("COURSE_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
             shutil.which("chromium-browser"), shutil.which("google-chrome")]
    for c in cands:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    return None


def lesson_notebooks() -> list[Path]:
    """Lesson notebooks to test: ``notebooks/0*.ipynb``, or ``COURSE_BROWSER_NOTEBOOKS`` (paths
    separated by ``os.pathsep``; for developing the test itself)."""
    extra = os.environ.get("COURSE_BROWSER_NOTEBOOKS")
    if extra:
        return [Path(p).resolve() for p in extra.split(os.pathsep) if p]
    return sorted(NB_DIR.glob("0*.ipynb"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """``jupyter lab`` in its own process group, serving a temporary copy of the notebooks."""

    def __init__(self, workdir: Path, notebooks: list[Path]):
        self.workdir = workdir
        self.root = workdir / "notebooks"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = ARTIFACTS / "jupyterlab.log"
        self.proc: subprocess.Popen | None = None
        self._prepare(notebooks)

    def _prepare(self, notebooks: list[Path]) -> None:
        shutil.copytree(NB_DIR, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for nb in notebooks:  # notebooks given from elsewhere (COURSE_BROWSER_NOTEBOOKS)
            if not (self.root / nb.name).exists():
                shutil.copy2(nb, self.root / nb.name)
        for d in ("config", "data", "runtime", "settings", "workspaces"):
            (self.workdir / d).mkdir()
        (self.workdir / "config" / "jupyter_server_config.py").write_text(_SERVER_CONFIG)
        for key, value in _SETTINGS.items():
            path = self.workdir / "settings" / f"{key}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))

    def env(self) -> dict:
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # kernels must use the inline backend, as for a learner
        env.pop("JUPYTER_PATH", None)
        env.update({
            "COURSE_MODE": "smoke", "COURSE_OFFLINE": "1",
            "JUPYTER_CONFIG_DIR": str(self.workdir / "config"),
            "JUPYTER_DATA_DIR": str(self.workdir / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.workdir / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(self.workdir / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.workdir / "workspaces"),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        })
        return env

    def start(self, timeout: float = 120.0) -> None:
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.env(), stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab 启动失败（退出码 {self.proc.returncode}），"
                                   f"日志：{self.log_path}\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status", timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab 在 {timeout:.0f} s 内没有响应，日志：{self.log_path}")

    def api(self, method: str, path: str, timeout: float = 10):
        req = urllib.request.Request(self.url + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        try:
            for s in self.api("GET", "/api/sessions"):
                self.api("DELETE", f"/api/sessions/{s['id']}")
        except OSError:
            pass

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Shut the server and its kernels down; kill the process group if it does not exit."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.shutdown_kernels()
            try:
                self.api("POST", "/api/shutdown", timeout=5)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):  # the group also holds the kernels
            try:
                os.killpg(self.proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            try:
                self.proc.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
        self._log.close()
        self.proc = None


# ---- browser-side JavaScript (window.jupyterapp is exposed by the server config above) ----

JS_PANEL_READY = """(name) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return 'no app';
  const w = app.shell.currentWidget;
  if (!w || !w.context || w.context.path !== name) return 'no panel';
  if (!w.context.isReady || !w.sessionContext.isReady) return 'loading';
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!k) return 'no kernel';
  return k.status;
}"""

# Start "Run All" without awaiting it (the test polls with its own timeout); window.__runAll
# becomes 'done' (or 'failed: ...') when JupyterLab's command finishes.
# Kernel status of whatever notebook is current ('idle', 'busy', ...).
JS_PANEL_READY_ANY = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return k ? k.status : 'none';
}"""

JS_RUN_ALL = """async () => {
  const app = window.jupyterapp;
  await app.commands.execute('notebook:clear-all-cell-outputs');
  window.__runAll = 'running';
  app.commands.execute('notebook:run-all-cells').then(
    () => { window.__runAll = 'done'; }, (e) => { window.__runAll = 'failed: ' + e; });
  return true;
}"""

# State of the current notebook: kernel status, cells still queued/running, error outputs.
JS_STATE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = [], errors = [];
  w.content.widgets.forEach((cell, i) => {
    const m = cell.model;
    if (m.type !== 'code') return;
    const src = m.sharedModel.getSource();
    const prompt = cell.node.querySelector('.jp-InputPrompt');
    const busy = !!(prompt && prompt.textContent.includes('*'));
    cells.push({index: i, count: m.executionCount, empty: src.trim() === '', busy: busy});
    for (const o of m.outputs.toJSON()) {
      if (o.output_type === 'error') errors.push({index: i, ename: o.ename, evalue: o.evalue,
        source: src.slice(0, 200)});
    }
  });
  const text = w.node.innerText;
  const widgetErrors = (text.match(/Error displaying widget[^\\n]*/g) || [])
    .concat(text.match(/Error rendering output[^\\n]*/g) || []);
  return {status: k ? k.status : 'none', runAll: window.__runAll || null, cells: cells,
          errors: errors, widgetErrors: widgetErrors};
}"""

# Images shown in the output area of a cell (data: URLs of the PNG figures).
JS_CELL_IMAGES = """(cellNode) => Array.from(cellNode.querySelectorAll('.jp-OutputArea img'))
  .map(img => img.getAttribute('src') || '')"""

# Do CJK characters render as real glyphs in the font JupyterLab uses for Markdown? Missing
# glyphs all render as the same box, so two different characters would give identical pixels.
JS_GLYPHS_DIFFER = """(chars) => {
  const el = document.querySelector('.jp-RenderedMarkdown') || document.body;
  const family = getComputedStyle(el).fontFamily;
  const c = document.createElement('canvas');
  c.width = 48; c.height = 48;
  const g = c.getContext('2d');
  const draw = (ch) => { g.clearRect(0, 0, 48, 48); g.font = '36px ' + family;
    g.fillText(ch, 4, 40); return g.getImageData(0, 0, 48, 48).data.join(','); };
  const blank = draw(' ');
  const imgs = Array.from(chars).map(draw);
  return {family: family, blank: imgs.some(x => x === blank),
          distinct: new Set(imgs).size === imgs.length};
}"""
