"""The README's Python examples run as written."""

import re
from pathlib import Path

import matplotlib
import pytest

README = Path(__file__).parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_example_runs(index, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    exec(compile(BLOCKS[index], f"README.md python block {index}", "exec"), {})


def test_the_readmes_design_file_ships_as_examples_design_toml_and_loads():
    from imc.config import load_config

    shipped = README.parent / "examples" / "design.toml"
    design = re.search(r"A design file mirrors.*?```toml\n(.*?)```", README.read_text(), re.S).group(1)
    assert design == shipped.read_text()
    assert load_config(shipped).chips == 200
