"""Only here so that a wheel carries the demo documents: `seeds/` is copied into the package as
`rag/seeds/` at build time (an editable install reads `<repo>/seeds` directly). Everything else
is in pyproject.toml."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithSeeds(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "rag" / "seeds"
        target.mkdir(parents=True, exist_ok=True)
        for f in sorted(Path(__file__).resolve().parent.joinpath("seeds").glob("*.txt")):
            shutil.copy2(f, target / f.name)


setup(cmdclass={"build_py": BuildPyWithSeeds})
