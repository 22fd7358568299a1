"""Catalog checks shared by the tests and the session fixture that compiles catalogs.

A fresh extraction (what `make extract-messages` writes) against each language's .po:
every msgid translated, nothing fuzzy, placeholders that match (Babel's Catalog.check);
and compiled .mo files that equal what the .po compiles to now.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"


def po_path(language: str, root: Path = TRANSLATIONS) -> Path:
    return root / language / "LC_MESSAGES" / "messages.po"


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def extract(target: Path) -> Catalog:
    """A fresh extraction of every marked string, with the Makefile's options."""
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [
            str(pybabel),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-wrap",
            "--project=Helpdesk",
            "-o",
            str(target),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return read(target)


def _translated(message) -> bool:
    if isinstance(message.string, (list, tuple)):
        return all(form for form in message.string)
    return bool(message.string)


def catalog_problems(template: Catalog, catalog: Catalog) -> list[str]:
    """What keeps `catalog` from being complete for `template`, one line per problem."""
    problems = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, message.context)
        label = repr(message.id if isinstance(message.id, str) else message.id[0])
        if entry is None:
            problems.append(f"missing: {label}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {label}")
        elif not _translated(entry):
            problems.append(f"untranslated: {label}")
    for message, errors in catalog.check():
        label = repr(message.id if isinstance(message.id, str) else message.id[0])
        problems.extend(f"{error}: {label}" for error in errors)
    return problems


def compiled(po: Path, language: str) -> bytes:
    """The .mo bytes `pybabel compile` writes for a .po (fuzzy entries left out)."""
    buffer = io.BytesIO()
    write_mo(buffer, read(po, language), use_fuzzy=False)
    return buffer.getvalue()


def stale_catalogs(root: Path = TRANSLATIONS) -> list[Path]:
    """The .mo files that are missing or differ from what their .po compiles to."""
    stale = []
    for po in sorted(root.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        language = po.parent.parent.name
        if not mo.exists() or mo.read_bytes() != compiled(po, language):
            stale.append(mo)
    return stale


def compile_stale(root: Path = TRANSLATIONS) -> list[Path]:
    """Compile every missing or stale .mo in place; returns what it wrote."""
    written = stale_catalogs(root)
    for mo in written:
        language = mo.parent.parent.name
        # Atomically: other processes (a running server, another test run) may read it now.
        partial = mo.with_name(f".{mo.name}.{os.getpid()}")
        partial.write_bytes(compiled(mo.with_suffix(".po"), language))
        os.replace(partial, mo)
    return written
