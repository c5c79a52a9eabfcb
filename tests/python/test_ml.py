# SPDX-License-Identifier: Apache-2.0
"""tradpal.ml through a tradpal binary built with libtorch (skipped without one)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import tradpal


def test_train_predict_evaluate(tradpal_bin: Path, tmp_path: Path, bars_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = json.loads(subprocess.run([str(tradpal_bin), "--json", "version"], capture_output=True, text=True, check=True).stdout)
    if not found["found_at_build"].get("libtorch"):
        pytest.skip("the tradpal binary has no libtorch")
    monkeypatch.setenv("TRADPAL_BIN", str(tradpal_bin))
    store = tmp_path / "store"
    tradpal.data.Store(store).import_csv(bars_csv, "GBM", "1h")
    info = tradpal.ml.train(store, "GBM", model="mlp", epochs=2, seq_len=16, hidden=8, layers=1, device="cpu", out=tmp_path / "model")
    assert info["model_dir"] == str(tmp_path / "model") and len(info["history"]) >= 1
    forecasts = tradpal.ml.predict(store, tmp_path / "model")
    assert len(forecasts) > 0 and str(forecasts.index.dtype) == "datetime64[ns, UTC]"
    assert not forecasts["in_sample"].any()
    assert "test" in tradpal.ml.evaluate(store, tmp_path / "model")
    with pytest.raises(ValueError, match="model"):
        tradpal.ml.predict(store, tmp_path / "no-model")


def test_without_a_binary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TRADPAL_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ImportError, match="TRADPAL_BIN"):
        tradpal.ml.train(tmp_path, "X")
