# SPDX-License-Identifier: Apache-2.0
"""Running the tradpal binary for the parts the extension does not link (data sources over
HTTP, libtorch): TRADPAL_BIN, else tradpal on PATH."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any, Dict, List, Optional


def binary(needs: Optional[str] = None) -> str:
    """The binary's path; `needs` names a part it must have been built with ("libtorch").
    Raises ImportError when there is no binary or it lacks the part."""
    path = os.environ.get("TRADPAL_BIN") or shutil.which("tradpal")
    if not path:
        raise ImportError("this part of tradpal runs the tradpal binary: set TRADPAL_BIN or put tradpal on PATH")
    if needs:
        found = json.loads(subprocess.run([path, "--json", "version"], capture_output=True, text=True, check=True).stdout)
        if not found.get("found_at_build", {}).get(needs):
            raise ImportError(f"{path} was built without {needs}")
    return path


def options(values: Dict[str, Any]) -> List[str]:
    """{"seq_len": 64, "gpu": True} -> ["--seq-len", "64", "--gpu"]."""
    out: List[str] = []
    for name, value in values.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            out.append(flag)
        elif value is not False and value is not None:
            out += [flag, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]
    return out


def run(store: "str | os.PathLike[str]", *args: str, needs: Optional[str] = None) -> str:
    """stdout of `tradpal --store STORE ARGS...`; ValueError with its message when it fails."""
    done = subprocess.run([binary(needs), "--store", os.fspath(store), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise ValueError(done.stderr.strip() or f"tradpal {' '.join(args)} failed ({done.returncode})")
    return done.stdout
