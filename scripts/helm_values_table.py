#!/usr/bin/env python3
"""Writes the values table of helm/trellis/README.md from helm/trellis/values.yaml.

Every key of values.yaml gets a row: its path, its default and the `# --` comment above it
(continued by the `#` lines that follow). The table sits between the README's
`<!-- values-table:start -->` and `<!-- values-table:end -->` markers.

Usage: helm_values_table.py [--check]   (--check: exit 1 if the README's table is stale)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

CHART = Path(__file__).resolve().parent.parent / "helm" / "trellis"
START, END = "<!-- values-table:start -->", "<!-- values-table:end -->"
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):(?P<rest>.*)$")


def rows(values_text: str) -> list[tuple[str, str, str]]:
    """(path, default as JSON, description) of every key, in file order; mappings written as
    blocks get a row only when described, their keys get their own rows."""
    values = yaml.safe_load(values_text)
    stack: list[tuple[int, str]] = []
    description: list[str] = []
    table = []
    for line in values_text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            description = [stripped[4:].strip()]
            continue
        if stripped.startswith("#"):
            if description:
                description.append(stripped[1:].strip())
            continue
        match = KEY_LINE.match(line)
        if not match:
            description = []
            continue
        indent, key, rest = len(match["indent"]), match["key"], match["rest"].strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = [name for _, name in stack] + [key]
        if rest == "":
            stack.append((indent, key))
            if not description:
                continue
        default = values
        for name in path:
            default = default[name]
        table.append((".".join(path), json.dumps(default), " ".join(description)))
        description = []
    return table


def markdown(table: list[tuple[str, str, str]]) -> str:
    lines = ["| key | default | description |", "| --- | --- | --- |"]
    for path, default, description in table:
        default, description = default.replace("|", "\\|"), description.replace("|", "\\|")
        lines.append(f"| `{path}` | `{default}` | {description} |")
    return "\n".join(lines)


def main() -> int:
    readme_path = CHART / "README.md"
    readme = readme_path.read_text()
    before, rest = readme.split(START, 1)
    _, after = rest.split(END, 1)
    table = markdown(rows((CHART / "values.yaml").read_text()))
    updated = f"{before}{START}\n{table}\n{END}{after}"
    if "--check" in sys.argv[1:]:
        if updated != readme:
            print("helm/trellis/README.md: the values table is stale; run scripts/helm_values_table.py")
            return 1
        return 0
    readme_path.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
