#!/usr/bin/env bash
# The outputs a behaviour-neutral change (the architecture issue) must leave byte for byte the
# same, on the demo and on a generated 10,000-customer company. Run it with each binary, then
# compare the folders:
#   scripts/compare-outputs.sh /path/to/reimburse-before /tmp/before
#   scripts/compare-outputs.sh target/debug/reimburse /tmp/after
#   diff -r /tmp/before /tmp/after   # only the times in changes.txt may differ
set -u
BIN=$(realpath "$1"); OUT=$2; ROOT=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$OUT"; mkdir -p "$OUT"; cd "$OUT"
mkdir -p examples && cp -r $ROOT/examples/contoso examples/ && cp -r $ROOT/rules . && ln -s examples/contoso demo  # the names the commands print
Y=examples/contoso/company.yaml
$BIN --company $Y init --fixture demo/ledger.yaml --force > init.txt 2>&1
$BIN --company $Y run --date 2026-11-30 --dry-run --json | sed 's/"started_at": "[^"]*"//; s/"finished_at": "[^"]*"//; s/"elapsed[^,]*,//' > dry.json 2>&1
$BIN --company $Y run --date 2026-11-30 --json | sed 's/"started_at": "[^"]*"//; s/"finished_at": "[^"]*"//; s/"elapsed[^,]*,//' > run.json 2>&1
$BIN --company $Y run --date 2026-11-30 > run2.txt 2>&1
$BIN --company $Y reimbursements --json > page.json 2>&1
$BIN --company $Y reimbursements --csv > page.csv 2>&1
$BIN --company $Y reimbursements > page.txt 2>&1
$BIN --company $Y trial-balance --json > tb.json 2>&1
$BIN --company $Y trial-balance > tb.txt 2>&1
$BIN --company $Y balances --json > bal.json 2>&1
$BIN --company $Y balances > bal.txt 2>&1
$BIN --company $Y pay --date 2026-12-01 --json > pay.json 2>&1
for f in ledger hledger beancount; do $BIN --company $Y export --format $f > export.$f 2>&1; done
M=demo/next-month
$BIN --company $Y import --customers $M/customers.csv --vendors $M/vendors.csv --transactions $M/transactions.csv > import.txt 2>&1
$BIN --company $Y changes > changes.txt 2>&1
$BIN --company $Y api > api.txt 2>&1
$BIN --company $Y test demo/fixtures 2>&1 | sed 's/([0-9.]* ms)//' > test.txt
echo 'let c = customers(); c.len()' | $BIN --company $Y repl > repl.txt 2>&1
$BIN generate --customers 10000 --out big > gen.txt 2>&1
$BIN --company big/company.yaml run --date 2026-11-30 --json | sed 's/"started_at": "[^"]*"//; s/"finished_at": "[^"]*"//; s/"elapsed[^,]*,//' > big-run.json 2>&1
$BIN --company big/company.yaml reimbursements --json > big-page.json 2>&1
$BIN --company big/company.yaml trial-balance --json > big-tb.json 2>&1
$BIN --company big/company.yaml export > big-export.ledger 2>&1
