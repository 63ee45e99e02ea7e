"""Compare the packages installed in this interpreter's environment with the pins of uv.lock.

    python .ci/lock_diff.py uv.lock           # list what differs (make test-latest: what an upgrade brings)
    python .ci/lock_diff.py --check uv.lock   # exit 1 when anything differs (make install, CI)

uv.lock is universal (one file for every platform and Python), so a package may be pinned at more
than one version under different markers; an installed version matches when the lock pins it.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock: Path) -> dict[str, set[str]]:
    pins: dict[str, set[str]] = {}
    for package in tomllib.loads(lock.read_text(encoding="utf-8"))["package"]:
        if "version" in package:  # the project itself (editable) has no version in the lock
            pins.setdefault(canonical(package["name"]), set()).add(package["version"])
    return pins


def installed_versions() -> dict[str, str]:
    return {canonical(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path)
    parser.add_argument("--check", action="store_true", help="exit 1 when an installed version is not locked")
    args = parser.parse_args()
    pins = locked_versions(args.lock)
    differ = []
    for name, version in sorted(installed_versions().items()):
        if name == "chatbi":
            continue
        if version not in pins.get(name, set()):
            locked = ", ".join(sorted(pins.get(name, set()))) or "not in the lock"
            differ.append(f"  {name}: installed {version}, locked {locked}")
    if differ:
        print(f"{len(differ)} installed package(s) differ from {args.lock}:", *differ, sep="\n")
    else:
        print(f"every installed package is at the version {args.lock} pins")
    return 1 if differ and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
