"""Install the front-end packages pinned in package-lock.json into node_modules/.

Reads exact versions and sha512 integrity hashes from the lock file, downloads the
tarballs from the npm registry and verifies them, so a fresh machine needs no Node.js.
Packages already present at the locked version are skipped.
"""

import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = os.environ.get("NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")


def tarball_url(name: str, version: str) -> str:
    basename = name.rsplit("/", 1)[-1]
    return f"{REGISTRY}/{name}/-/{basename}-{version}.tgz"


def verify(data: bytes, integrity: str, name: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"integrity check failed for {name}: expected {integrity}")


def install(location: str, version: str, integrity: str) -> None:
    target = ROOT / location
    name = location.removeprefix("node_modules/")
    manifest = target / "package.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("version") == version:
        return
    url = tarball_url(name, version)
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - fixed https registry
        data = response.read()
    verify(data, integrity, name)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            # npm tarballs keep everything under one top folder, usually "package/".
            member.name = member.name.split("/", 1)[1] if "/" in member.name else ""
            if member.name:
                archive.extract(member, target, filter="data")
    print(f"installed {name}@{version}")


def main() -> int:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for location, meta in lock["packages"].items():
        if location.startswith("node_modules/"):
            install(location, meta["version"], meta["integrity"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
