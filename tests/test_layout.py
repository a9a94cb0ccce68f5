"""The house keeps its shape: no class over 30 methods (its project bases' methods counted, so a
mixin cannot hide one), the settings every default is read from, and a README Layout that names
every room there is. The import rules themselves are import-linter's (`lint-imports`, .importlinter),
run here too so a plain `pytest` catches a broken contract."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAX_METHODS = 30
OPTIONAL = ("crawler.distributed.queue",)  # needs scrapy-redis (the [distributed] extra)


def project_modules():
    for package in ("crawler", "pipelines"):
        root = importlib.import_module(package)
        yield root
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if info.name.endswith("__main__"):
                continue
            try:
                yield importlib.import_module(info.name)
            except ImportError:
                if info.name in OPTIONAL:
                    continue
                raise


def methods_of(cls) -> set[str]:
    """Functions defined in the class and in its project bases (not Scrapy's, not object's)."""
    names: set[str] = set()
    for klass in inspect.getmro(cls):
        if not klass.__module__.startswith(("crawler", "pipelines")):
            continue
        names.update(n for n, v in vars(klass).items()
                     if inspect.isfunction(v) or isinstance(v, (classmethod, staticmethod, property)))
    return names


def test_no_class_over_30_methods():
    too_big = {}
    for module in project_modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:
                n = len(methods_of(cls))
                if n > MAX_METHODS:
                    too_big[f"{cls.__module__}.{cls.__qualname__}"] = n
    assert not too_big, too_big


def test_the_count_sees_inherited_methods():
    from pipelines.corpus.oplog import OpLogRecorder
    from pipelines.corpus.recorder import Recorder

    assert methods_of(Recorder) <= methods_of(OpLogRecorder)
    assert "plan_captures" in methods_of(OpLogRecorder)


def test_settings_are_read_bare():
    """Every default is declared once (crawler/settings.py): no call site repeats one."""
    repeated = []
    pattern = re.compile(r"""(?<!environ)\.get(?:int|float|bool)?\(\s*["'](PALIMPSEST_\w+)["']\s*,""")
    for path in [*REPO.glob("crawler/**/*.py"), *REPO.glob("pipelines/**/*.py")]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                repeated.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert not repeated, "\n".join(repeated)
    settings = (REPO / "crawler" / "settings.py").read_text(encoding="utf-8")
    declared = set(re.findall(r"^([A-Z][A-Z0-9_]+) = ", settings, re.M))
    read = set()
    for path in [*REPO.glob("crawler/**/*.py"), *REPO.glob("pipelines/**/*.py")]:
        read.update(re.findall(r"""(?:settings|\bs)(?:\.get\w*\(|\[)\s*["'](PALIMPSEST_\w+|REDIS_URL)["']""",
                               path.read_text(encoding="utf-8")))
    assert len(read) > 30  # the pattern sees the reads
    assert read - declared == set()


def test_readme_layout_names_every_room():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    rooms = [p.parent.relative_to(REPO) for p in [*REPO.glob("crawler/**/__init__.py"),
                                                  *REPO.glob("pipelines/**/__init__.py")]]
    missing = [str(r) for r in rooms if r.parent != Path(".") and f"{r.name}/" not in layout]
    assert not missing, f"README Layout does not show {missing}"
    for mod in [*REPO.glob("pipelines/*.py"), *REPO.glob("crawler/*.py")]:
        if mod.name != "__init__.py":
            assert mod.name in layout, f"README Layout does not show {mod.relative_to(REPO)}"


@pytest.mark.skipif(shutil.which("lint-imports") is None and
                    not (Path(sys.executable).parent / "lint-imports").exists(),
                    reason="import-linter is not installed (pip install -e '.[test]')")
def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    r = subprocess.run([exe, "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


def test_the_corpus_commands_load_no_scrapy():
    """ingest, reextract and the commands that read a corpus start without Scrapy or Twisted
    (about 0.3 s of imports on this machine): the command line reaches them through the archive
    registry, whose meta keys must not pull the runtime in."""
    code = ("import sys, crawler.cli, crawler.cli.rederive, crawler.cli.show, crawler.cli.pages; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted'}))")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
