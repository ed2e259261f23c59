#!/usr/bin/env python3
"""Write the Windows module-definition file (.def) from the ELF symbol map,
so that one list of exports serves both. The build runs it on Windows:

    map_to_def.py src/libmgwauth.map OUTPUT.def

Every name under `global:` of every version node is exported, in map order.
"""
import re
import sys


def exported_names(map_text):
    text = re.sub(r"/\*.*?\*/", "", map_text, flags=re.S)
    names = []
    for node in re.finditer(r"\b\w+\s*\{(.*?)\}[^;]*;", text, flags=re.S):
        body = re.split(r"\blocal\s*:", node.group(1))[0]
        body = re.sub(r"\bglobal\s*:", "", body)
        for name in re.findall(r"([A-Za-z_]\w*)\s*;", body):
            if name not in names:
                names.append(name)
    return names


def def_text(names):
    lines = ["; Generated from src/libmgwauth.map by src/map_to_def.py: do not edit.", "EXPORTS"]
    return "\n".join(lines + ["    " + n for n in names]) + "\n"


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: map_to_def.py SYMBOL_MAP OUTPUT.def")
    with open(argv[1], encoding="utf-8") as f:
        names = exported_names(f.read())
    if not names:
        sys.exit(f"{argv[1]}: no exported names")
    with open(argv[2], "w", encoding="utf-8", newline="\r\n") as f:
        f.write(def_text(names))


if __name__ == "__main__":
    main(sys.argv)
