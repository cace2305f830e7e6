#!/usr/bin/env python3
"""Compares the balances a double-entry tool computed from `reimburse export` with the books.

    compare-export-balances.py hledger   TRIAL.json BALANCES.json GL.csv CUSTOMERS.csv VENDORS.csv
    compare-export-balances.py beancount TRIAL.json BALANCES.json FILE.beancount

TRIAL.json is `reimburse trial-balance --json`, BALANCES.json is `reimburse balances --json`.
For hledger, the CSV files are `hledger bal --pivot gl-account|customer|vendor -O csv --layout bare`
(hledger itself totals the postings per general-ledger account, customer and vendor, from the
tags of the accounts they post to). For beancount, the file is loaded with beancount's own loader
(which must report no error) and its postings are totalled per general-ledger account, customer
and vendor from the metadata of their `open` directives.

Amounts are compared exactly (Decimal, so to the cent and beyond), per account and currency; a
balance missing on one side counts as zero. Exits 1 on any difference, printing each one.
"""

import csv
import json
import sys
from collections import defaultdict
from decimal import Decimal


def books(trial_file, balances_file):
    """The balances of the books: {"gl-account": {(account, currency): amount}, ...}."""
    with open(trial_file) as f:
        trial = json.load(f)
    with open(balances_file) as f:
        balances = json.load(f)
    out = {"gl-account": {}, "customer": {}, "vendor": {}}
    for row in trial["accounts"]:
        out["gl-account"][(row["account"], row["currency"])] = Decimal(row["balance"])
    for side in ("customer", "vendor"):
        for row in balances[side + "s"]:
            out[side][(row["account"], row["currency"])] = Decimal(row["balance"])
    return out


def from_hledger_csv(path):
    totals = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["account"] in ("total", ""):
                # "" would be postings without the tag: there must be none (filtered by tag:).
                if row["account"] == "":
                    totals[("<untagged>", row["commodity"])] = Decimal(row["balance"])
                continue
            totals[(row["account"], row["commodity"])] = Decimal(row["balance"])
    return totals


def from_beancount(path):
    from beancount import loader
    from beancount.core import data

    entries, errors, _ = loader.load_file(path)
    if errors:
        for e in errors:
            print(f"beancount: {e.source.get('filename')}:{e.source.get('lineno')}: {e.message}")
        sys.exit(1)
    tags = {}
    for e in entries:
        if isinstance(e, data.Open):
            tags[e.account] = e.meta
    totals = {"gl-account": defaultdict(Decimal), "customer": defaultdict(Decimal),
              "vendor": defaultdict(Decimal)}
    for e in entries:
        if not isinstance(e, data.Transaction):
            continue
        for p in e.postings:
            meta = tags.get(p.account, {})
            if "gl-account" not in meta:
                totals["gl-account"][("<untagged " + p.account + ">", p.units.currency)] += p.units.number
            for key in totals:
                if key in meta:
                    totals[key][(str(meta[key]), p.units.currency)] += p.units.number
    return totals


def compare(tool, what, expected, actual):
    keys = sorted(set(expected) | set(actual))
    bad = 0
    for key in keys:
        e = expected.get(key, Decimal(0))
        a = actual.get(key, Decimal(0))
        if e != a:
            bad += 1
            print(f"{tool}: {what} {key[0]} {key[1]}: the books say {e}, {tool} says {a}")
    nonzero = sum(1 for k in keys if expected.get(k, 0) != 0)
    if not bad:
        print(f"{tool}: {len(keys)} {what} balances ({nonzero} non-zero) agree with reimburse")
    return bad


def main(argv):
    if len(argv) < 4 or argv[1] not in ("hledger", "beancount"):
        print(__doc__, file=sys.stderr)
        return 2
    tool = argv[1]
    expected = books(argv[2], argv[3])
    if tool == "hledger":
        if len(argv) != 7:
            print(__doc__, file=sys.stderr)
            return 2
        actual = {key: from_hledger_csv(path)
                  for key, path in zip(("gl-account", "customer", "vendor"), argv[4:7])}
    else:
        actual = from_beancount(argv[4])
    bad = 0
    for key, label in (("gl-account", "general-ledger"), ("customer", "customer"),
                       ("vendor", "vendor")):
        bad += compare(tool, label, expected[key], actual[key])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
