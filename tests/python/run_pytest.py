# SPDX-License-Identifier: Apache-2.0
"""ctest entry: runs the pytest suite in argv[1], or exits 77 (skipped) when pytest or the
tradpal extension cannot be imported by this interpreter."""
import sys

try:
    import pytest
    import tradpal  # noqa: F401
except ImportError as e:
    print(f"skipping the Python tests: {e}")
    sys.exit(77)

sys.exit(pytest.main([sys.argv[1], "-q", "-p", "no:cacheprovider"]))
