#!/usr/bin/env bash
# Checks `reimburse export` with the tools auditors trust: hledger and beancount.
#
# Builds the demo company (examples/contoso) in a temporary folder, imports next month's files,
# runs a reimbursement and a payment, exports the books in both formats, and requires that
#   - `hledger check --strict ordereddates` and `bean-check` accept the exports (balanced
#     transactions, valid and declared account names, declared commodities, dates in order);
#   - the balances each tool computes, per general-ledger account (the sub-ledger accounts summed
#     into their summary account), per customer and per vendor, in each currency, equal
#     `reimburse trial-balance --json` and `reimburse balances --json` exactly.
# Then it proves that the check bites: deliberately broken copies of the exports (an amount
# changed so a transaction no longer balances; an amount changed on both sides so the books
# disagree; an invalid account name in a posting; an account under an invalid root, declared and
# used; an undeclared account) must each fail both tools' checks.
#
# Installs the tools when missing (Debian's hledger, beancount 3 from PyPI); quick when present.
#
#   scripts/check-export.sh                 # the check and its self-test
#   scripts/check-export.sh --corrupt KIND  # run the check on a broken export (must fail):
#                                           # KIND = unbalanced | wrong-amount | misnamed | wrong-root |
#                                           # undeclared
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corrupt=""
case "${1:-}" in
    "") ;;
    --corrupt) corrupt=${2:?--corrupt needs a kind}; ;;
    --corrupt=*) corrupt=${1#--corrupt=} ;;
    *) echo "usage: $0 [--corrupt unbalanced|wrong-amount|misnamed|wrong-root|undeclared]" >&2; exit 2 ;;
esac

start=$(date +%s%N)
stage() {
    local ms=$((($(date +%s%N) - start) / 1000000))
    printf '[check-export %3d.%01ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*"
}

# ----- the tools -----
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v hledger >/dev/null; then
    stage "installing hledger (apt)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hledger >/dev/null
fi
if ! python3 -c 'import beancount, sys; sys.exit(int(beancount.__version__.split(".")[0]) < 3)' 2>/dev/null; then
    stage "installing beancount 3 (pip)"
    python3 -m pip install -q 'beancount>=3,<4' 2>/dev/null \
        || python3 -m pip install -q --break-system-packages 'beancount>=3,<4'
fi
bean_check() {
    if command -v bean-check >/dev/null; then bean-check "$@"; else python3 -m beancount.scripts.check "$@"; fi
}
stage "tools: $(hledger --version | head -1); beancount $(python3 -c 'import beancount; print(beancount.__version__)')"

# ----- the demo company after an import, a reimbursement run and a payment run -----
(cd "$root" && cargo build -q --locked)
bin=${CARGO_TARGET_DIR:-$root/target}/debug/reimburse
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e 's#^database:.*#database: contoso.db#' -e "s#^rules:.*#rules: $root/rules/reimburse.rhai#" \
    "$root/examples/contoso/company.yaml" >"$work/company.yaml"
r() { "$bin" --company "$work/company.yaml" "$@"; }
r init --fixture "$root/examples/contoso/ledger.yaml" >/dev/null
# Next month's data imported (new customers, invoices, payments, one applied to its invoice).
month="$root/examples/contoso/next-month"
r import --customers "$month/customers.csv" --vendors "$month/vendors.csv" \
    --transactions "$month/transactions.csv" | tail -1
r run --date 2026-11-30 | tail -1
r pay --date 2026-12-01 | tail -1
r export --format ledger -o "$work/books.journal"
r export --format beancount -o "$work/books.beancount"
r trial-balance --json >"$work/trial.json"
r balances --json >"$work/balances.json"
stage "exported"

# ----- the checks -----
compare() { python3 "$root/scripts/compare-export-balances.py" "$@"; }

check_hledger() { # FILE
    local f=$1 out
    out=$(mktemp -d -p "$work")
    hledger -f "$f" check --strict ordereddates || return 1
    # Every account needs a type (from its root: Assets, Liabilities, Equity, Income, Expenses),
    # or hledger's balance sheet and income statement leave it out.
    local untyped
    untyped=$(hledger -f "$f" accounts --types | grep -v '; type: [ALERXCV]$' | sed 's/ *; type: *$//' || true)
    if [ -n "$untyped" ]; then
        echo "hledger: accounts without a type (invalid root): $untyped"
        return 1
    fi
    hledger -f "$f" bal --pivot gl-account --layout bare -O csv >"$out/gl.csv" || return 1
    hledger -f "$f" bal --pivot customer tag:customer --layout bare -O csv >"$out/customers.csv" || return 1
    hledger -f "$f" bal --pivot vendor tag:vendor --layout bare -O csv >"$out/vendors.csv" || return 1
    compare hledger "$work/trial.json" "$work/balances.json" "$out/gl.csv" "$out/customers.csv" "$out/vendors.csv"
}

check_ledger_cli() { # FILE: ledger-cli too, when it is installed
    command -v ledger >/dev/null || return 0
    ledger -f "$1" --pedantic bal >/dev/null && echo "ledger: accepted"
}

check_beancount() { # FILE
    bean_check "$1" || return 1
    compare beancount "$work/trial.json" "$work/balances.json" "$1"
}

# A broken copy of an export: KIND FORMAT FILE → prints the new file's path. Fails if the edit
# did not apply (so a change of the demo data cannot turn the self-test into a no-op).
break_copy() {
    local kind=$1 format=$2 file=$3 indent copy
    [ "$format" = ledger ] && indent='    ' || indent='  '
    copy="$work/$kind.$format"
    case $kind in
        # One posting of the first reimbursement voucher: 50.00 → 50.01 (no longer balances).
        unbalanced) sed -E "0,/^(${indent}Assets:Receivables:C-001 +)50\.00 USD\$/s//\150.01 USD/" "$file" ;;
        # Both postings: 50.00 → 60.00 (balances, but disagrees with the books).
        wrong-amount) sed -E "0,/^(${indent}Assets:Receivables:C-001 +)50\.00 USD\$/s//\160.00 USD/;
                              0,/^(${indent}Liabilities:Payables:V-100 +)-50\.00 USD\$/s//\1-60.00 USD/" "$file" ;;
        # A posting to an invalid account name (lowercase component).
        misnamed) sed -E "0,/^(${indent})Liabilities:Payables:V-100 /s//\1Liabilities:payables:V-100 /" "$file" ;;
        # An account under an invalid root, declared and posted to (consistently misnamed).
        wrong-root) sed -E "s/Equity:Opening-Balances/Capital:Opening-Balances/" "$file" ;;
        # A posting to a valid but undeclared (never opened) account.
        undeclared) sed -E "0,/^(${indent})Liabilities:Payables:V-100 /s//\1Liabilities:Payables:V-999 /" "$file" ;;
        *) echo "unknown corruption '$kind'" >&2; return 2 ;;
    esac >"$copy"
    if cmp -s "$file" "$copy"; then
        echo "check-export: the '$kind' edit did not apply to $file" >&2
        return 2
    fi
    echo "$copy"
}

journal=$work/books.journal
beancount=$work/books.beancount
if [ -n "$corrupt" ]; then
    journal=$(break_copy "$corrupt" ledger "$journal")
    beancount=$(break_copy "$corrupt" beancount "$beancount")
    stage "checking a deliberately broken export ($corrupt): this must fail"
fi
status=0
if check_hledger "$journal" && check_ledger_cli "$journal"; then
    stage "hledger accepts the export and agrees with the books"
else
    stage "FAILED: hledger rejects the export or disagrees with the books"; status=1
fi
if check_beancount "$beancount"; then
    stage "beancount accepts the export and agrees with the books"
else
    stage "FAILED: beancount rejects the export or disagrees with the books"; status=1
fi
if [ "$status" != 0 ] || [ -n "$corrupt" ]; then
    exit "$status"
fi

# ----- the check bites -----
failures=0
for kind in unbalanced wrong-amount misnamed wrong-root undeclared; do
    for tool in hledger beancount; do
        [ "$tool" = hledger ] && format=ledger || format=beancount
        [ "$tool" = hledger ] && file=$work/books.journal || file=$work/books.beancount
        copy=$(break_copy "$kind" "$format" "$file")
        if output=$("check_$tool" "$copy" 2>&1); then
            echo "check-export: the $tool check accepted an export with a $kind edit:" >&2
            echo "$output" | sed 's/^/    /' >&2
            failures=$((failures + 1))
        else
            reason=$(echo "$output" | grep -iE 'not balance|undeclared|unknown|invalid|says|type' | head -1)
            printf '  %-12s %-9s rejected: %s\n' "$kind" "$tool" "${reason:-$(echo "$output" | head -1)}"
        fi
    done
done
if [ "$failures" -gt 0 ]; then
    echo "check-export: $failures broken export(s) passed the check" >&2
    exit 1
fi
stage "every broken export was rejected by both tools' checks"
