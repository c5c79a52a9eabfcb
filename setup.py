# SPDX-License-Identifier: Apache-2.0
"""Builds tradpal._tradpal with CMake: the whole tree configured without tests and benchmarks
(and without the GPU, libtorch and MPI parts the extension does not use), then only the
extension's target and what it links. Metadata lives in pyproject.toml."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        build_dir = Path(self.build_temp).resolve() / "cmake"
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            "-DTRADPAL_BUILD_TESTS=OFF", "-DTRADPAL_BUILD_BENCHMARKS=OFF",
            "-DTRADPAL_WITH_PYTHON=ON", f"-DPython3_EXECUTABLE={sys.executable}",
            "-DTRADPAL_WITH_CUDA=OFF", "-DTRADPAL_WITH_TORCH=OFF", "-DTRADPAL_WITH_MPI=OFF",
        ]
        if shutil.which("ninja") and not (build_dir / "CMakeCache.txt").exists():
            configure += ["-G", "Ninja"]
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "tradpal_python", "-j", jobs], check=True)
        built = sorted((build_dir / "python" / "tradpal").glob("_tradpal*.so"))
        if not built:
            raise RuntimeError(f"the CMake build left no _tradpal*.so in {build_dir / 'python' / 'tradpal'}")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[-1], target)


setup(ext_modules=[Extension("tradpal._tradpal", sources=[])], cmdclass={"build_ext": CMakeBuild})
