"""Compile every locale/**/django.po to its .mo with polib, so no machine needs GNU gettext.

Fuzzy and untranslated entries are left out of the .mo, as msgfmt does; a catalogue
that does not parse fails the build.
"""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def compile_catalogue(po_path: Path) -> Path:
    mo_path = po_path.with_suffix(".mo")
    polib.pofile(str(po_path), check_for_duplicates=True).save_as_mofile(str(mo_path))
    return mo_path


def main() -> int:
    catalogues = sorted((ROOT / "locale").glob("**/django.po"))
    for po_path in catalogues:
        mo_path = compile_catalogue(po_path)
        print(f"compiled {mo_path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
