//! The hand-written baseline: the default rules in plain Rust over the same ledger primitives and
//! SQL, without scripting.

use super::*;

/// The default rules, hard-coded in Rust over the same ledger primitives and the same SQL.
pub(crate) fn baseline_run(ledger: &Ledger, date: NaiveDate) -> Res<Count> {
    let params = ledger.params().clone();
    let store = ledger.store();
    let conn = store.conn_for_benchmarks();
    store.begin()?;
    let run_id: i64 = conn.query_row(
        "INSERT INTO runs(kind, started_at, user_name, posting_date, selection, parameters_hash)
         VALUES ('baseline', datetime('now'), 'bench', ?1, 'all customers', '') RETURNING id",
        [date.to_string()],
        |r| r.get(0),
    )?;
    ledger.set_run(Some(RunId(run_id)));
    let mut count = Count::default();
    // The same reads as the engine: pages of customers and their balances, read ahead on a
    // second connection.
    let pages = ledger
        .read_ahead_customers(None, 1000)
        .ok_or("no read-ahead connection")?;
    for page in pages {
        let (
            CustomerPage {
                customers: page,
                mut balances,
            },
            (),
        ) = page?;
        for customer in &page {
            let mut one_time: Option<Vendor> = None;
            let credits = balances.remove(&customer.account).unwrap_or_default();
            // Under `skip`, an open debit in any currency leaves the customer alone.
            let any_open_debit = credits.iter().any(|b| b.open_debit > Decimal::ZERO);
            for credit in credits {
                if credit.open_credit >= Decimal::ZERO {
                    continue;
                }
                // Each credit left alone is recorded with its reason, as the engine records it.
                let mut skip = |reason: &str| -> Res<()> {
                    let minor = ledger
                        .currency(&credit.currency)?
                        .to_minor(-credit.open_credit)?;
                    conn.prepare_cached(
                        "INSERT INTO run_outcomes(run_id, customer, currency, amount_minor, outcome, reason)
                         VALUES (?1, ?2, ?3, ?4, 'skipped', ?5)",
                    )?
                    .execute(params![run_id, customer.account, credit.currency, minor, reason])?;
                    count.skipped += 1;
                    Ok(())
                };
                if credit.latest_open.is_some_and(|d| d > date) {
                    skip("open transactions dated after the posting date")?;
                    continue;
                }
                if customer.payment_hold {
                    skip("payment hold")?;
                    continue;
                }
                if params.open_debits == OpenDebits::Skip && any_open_debit {
                    skip("open debits")?;
                    continue;
                }
                let amount = if params.open_debits == OpenDebits::Ignore {
                    -credit.open_credit
                } else {
                    -credit.balance
                };
                if amount <= Decimal::ZERO {
                    skip("no credit balance")?;
                    continue;
                }
                let converted = params
                    .to_accounting(amount, &credit.currency)
                    .map_err(|e| e.to_string())?;
                if converted < params.minimum_reimbursement {
                    skip("below minimum")?;
                    continue;
                }
                let (vendor, created) = match &customer.vendor_account {
                    Some(account) => match ledger.vendor(account)? {
                        Some(v) if !v.blocked => (v, false),
                        Some(_) => {
                            skip(&format!("vendor {account} is blocked"))?;
                            continue;
                        }
                        None => {
                            skip(&format!("vendor account {account} does not exist"))?;
                            continue;
                        }
                    },
                    None => match &one_time {
                        Some(v) => (v.clone(), true),
                        None => {
                            let v = ledger.create_vendor(&NewVendor {
                                name: customer.name.clone(),
                                address: customer.address.clone(),
                                currency: customer.currency.clone(),
                                one_time: true,
                                created_for: Some(customer.account.clone()),
                                tax_id: customer.tax_id.clone(),
                                ..Default::default()
                            })?;
                            if params.one_time_vendor.link_to_customer {
                                ledger.link_vendor(&customer.account, Some(&v.account))?;
                            }
                            one_time = Some(v.clone());
                            (v, true)
                        }
                    },
                };
                if params.open_debits == OpenDebits::Net && credit.open_debit > Decimal::ZERO {
                    ledger.settle_open_debits(
                        Side::Customer,
                        &customer.account,
                        &credit.currency,
                        date,
                    )?;
                }
                let invoice = ledger.next_number("vendor_invoice")?;
                let posted = ledger.post_voucher(&VoucherDraft {
                    sequence: "reimbursement".into(),
                    date,
                    description: format!("Reimbursement of {} {}", customer.account, customer.name),
                    lines: vec![
                        LineDraft {
                            target: Target::Customer(customer.account.clone()),
                            currency: credit.currency.clone(),
                            amount,
                            document: Some(invoice.clone()),
                            kind: Some("reimbursement".into()),
                        },
                        LineDraft {
                            target: Target::Vendor(vendor.account.clone()),
                            currency: credit.currency.clone(),
                            amount: -amount,
                            document: Some(invoice.clone()),
                            kind: Some("invoice".into()),
                        },
                    ],
                })?;
                let (customer_txn, vendor_txn) = (
                    posted.customer_transactions[0],
                    posted.vendor_transactions[0],
                );
                if ledger.settle_against_open(customer_txn, date)? != amount {
                    return Err("baseline over-reimbursed".into());
                }
                let minor = ledger.currency(&credit.currency)?.to_minor(amount)?;
                conn.prepare_cached(
                    "INSERT INTO reimbursements(run_id, customer, vendor, one_time_vendor, currency,
                         amount_minor, date, voucher_id, vendor_invoice, customer_txn_id, vendor_txn_id, status)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open')",
                )?
                .execute(params![run_id, customer.account, vendor.account, created, credit.currency, minor, date.to_string(), posted.id, invoice, customer_txn, vendor_txn])?;
                count.reimbursed += 1;
                *count.totals.entry(credit.currency.clone()).or_default() += amount;
            }
        }
        ledger.take_journal();
    }
    conn.execute(
        "UPDATE runs SET finished_at = datetime('now'), reimbursed = ?2 WHERE id = ?1",
        params![run_id, count.reimbursed as i64],
    )?;
    store.commit()?;
    ledger.set_run(None);
    Ok(count)
}
