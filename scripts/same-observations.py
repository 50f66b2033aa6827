#!/usr/bin/env python3
"""Compares two results.json files by what a refactoring must keep: the set of
observation ids, and each one's unit and status. Prints what differs; exit 1 if anything.

    scripts/same-observations.py before.json after.json
"""
import json
import sys


def observations(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return {o["id"]: (o["unit"], o["status"]["status"]) for o in data["observations"]}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip())
    before, after = (observations(p) for p in sys.argv[1:])
    differences = [f"only before: {i}" for i in sorted(before.keys() - after.keys())]
    differences += [f"only after: {i}" for i in sorted(after.keys() - before.keys())]
    differences += [
        f"{i}: {before[i]} before, {after[i]} after"
        for i in sorted(before.keys() & after.keys())
        if before[i] != after[i]
    ]
    for line in differences:
        print(line)
    print(f"{len(before)} before, {len(after)} after, {len(differences)} differences")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
