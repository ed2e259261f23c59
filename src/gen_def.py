#!/usr/bin/env python3
"""Write the Windows module-definition file (.def) of libmgwauth from the
symbol map, so that the DLL exports exactly the names of src/libmgwauth.map
(Windows has no version scripts). Usage: gen_def.py libmgwauth.map out.def"""
import re
import sys


def map_names(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    names = []
    for node in re.finditer(r"MGWAUTH_[\d.]+\s*\{(.*?)\}", text, flags=re.S):
        glob = re.search(r"global:(.*?)(?:local:|$)", node.group(1), flags=re.S)
        names += re.findall(r"\b(mgw_\w+)\s*;", glob.group(1) if glob else "")
    return names


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        names = map_names(f.read())
    if not names or len(set(names)) != len(names):
        sys.exit(f"{sys.argv[1]}: no names, or a name listed twice")
    with open(sys.argv[2], "w", encoding="ascii", newline="\n") as f:
        f.write("; generated from libmgwauth.map by gen_def.py\nEXPORTS\n")
        f.writelines(f"    {n}\n" for n in sorted(names))


if __name__ == "__main__":
    main()
