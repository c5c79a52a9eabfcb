# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the Python tests: the tradpal binary (TRADPAL_BIN or build/tradpal), ../shared
and a synthetic CSV of bars."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, List

import numpy as np
import pytest

ROOT = Path(os.environ.get("TRADPAL_SOURCE_DIR", Path(__file__).resolve().parents[2]))


@pytest.fixture(scope="session")
def tradpal_bin() -> Path:
    path = Path(os.environ.get("TRADPAL_BIN", ROOT / "build" / "tradpal"))
    if not path.exists():
        pytest.skip(f"the tradpal binary is absent ({path})")
    return path


@pytest.fixture(scope="session")
def oracle_dir() -> Path:
    shared = Path(os.environ.get("TRADPAL_SHARED_DIR", ROOT.parent / "shared"))
    oracle = shared / "oracle" / "talib"
    if not (oracle / "visible_gbm_5000.csv").exists():
        pytest.skip("../shared/oracle/talib is absent")
    return oracle


def run_cli(binary: Path, *args: str, cwd: Path) -> str:
    done = subprocess.run([str(binary), *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"tradpal {' '.join(args)} failed: {done.stderr}"
    return done.stdout


def run_cli_json(binary: Path, *args: str, cwd: Path) -> Any:
    return json.loads(run_cli(binary, "--json", *args, cwd=cwd))


def gbm_bars(n: int, seed: int = 7, start: int = 1_600_000_000, step: int = 3600) -> List[List[float]]:
    """n hourly bars of a random walk: [unix seconds, open, high, low, close, volume]."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.005, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.005, n))
    volume = rng.uniform(10, 1000, n).round(4)
    return [[start + i * step, open_[i], high[i], low[i], close[i], volume[i]] for i in range(n)]


@pytest.fixture(scope="session")
def bars_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bars") / "gbm.csv"
    lines = ["timestamp,open,high,low,close,volume"]
    lines += [f"{int(r[0])},{r[1]!r},{r[2]!r},{r[3]!r},{r[4]!r},{r[5]!r}" for r in gbm_bars(3000)]
    path.write_text("\n".join(lines) + "\n")
    return path
