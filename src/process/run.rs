//! The run from start to end: checks the selection, begins the transaction, records the run,
//! pages through the selected customers (evaluating `--where` when it was not worked out ahead),
//! hands blocks of customers to `block`, and commits or rolls back. The top of the process:
//! nothing else in the folder depends on it but for [`eval_filter`].

use std::collections::BTreeMap;
use std::rc::Rc;

use rhai::{Dynamic, Engine, Scope};
use rusqlite::params;

use super::ahead::{Candidate, is_candidate};
use super::audit::{now_text, parameters_hash};
use super::block::{BLOCK, CustomerCredits, run_block};
use super::error::RunError;
use super::hooks::Rules;
use super::options::{RunOptions, Selection};
use super::pager::{CustomerPager, count_selection};
use super::report::{Collect, RunObserver, RunReport};
use crate::ledger::{ChangeOrigin, Customer, CustomerPage};
use crate::scripting::{ScriptFault, ScriptMemory, Session};
use crate::store::StoreError;

/// Runs the reimbursement process. Atomic: on error nothing is written.
pub fn run(session: &Rc<Session>, options: &RunOptions) -> Result<RunReport, RunError> {
    run_with_progress(session, options, &mut |_, _| {})
}

/// Like [`run`], calling `progress(done, total)` as customers are processed.
pub fn run_with_progress(
    session: &Rc<Session>,
    options: &RunOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<RunReport, RunError> {
    let mut collect = Collect {
        reimbursements: Vec::new(),
        skipped: Vec::new(),
        failed: Vec::new(),
        progress,
    };
    let mut report = run_observed(session, options, &mut collect)?;
    report.reimbursements = collect.reimbursements;
    report.skipped = collect.skipped;
    report.failed = collect.failed;
    Ok(report)
}

/// Runs the reimbursement process, handing each row to `observer` instead of keeping it: the
/// returned report has the counts and totals but empty row lists. Atomic like [`run`].
pub fn run_observed(
    session: &Rc<Session>,
    options: &RunOptions,
    observer: &mut dyn RunObserver,
) -> Result<RunReport, RunError> {
    session.set_date(options.date);
    let rules = Rules::load(session, &options.rules)?;
    let ledger = session.ledger();
    let store = ledger.store();
    let filter = match &options.selection {
        Selection::Where(expr) => Some(rules.engine.compile_expression(expr).map_err(|e| {
            RunError::Selection(format!(
                "--where: {} at column {}",
                e.err_type(),
                e.position().position().unwrap_or(0)
            ))
        })?),
        _ => None,
    };
    if let Selection::Customers(list) = &options.selection {
        for account in list {
            if ledger.customer(account)?.is_none() {
                return Err(RunError::Selection(format!("unknown customer '{account}'")));
            }
        }
    }
    if let Selection::Groups(list) = &options.selection {
        for group in list {
            if !ledger.customer_group_exists(group)? {
                return Err(RunError::Selection(format!(
                    "no customer is in group '{group}' (groups are case-sensitive)"
                )));
            }
        }
    }
    // A run that begins the transaction itself reads its customers ahead on a second connection;
    // inside a REPL or script transaction, that connection would not see what is uncommitted.
    // The read-ahead thread works the hooks out from the rule file's text alone: not with
    // definitions that override it.
    let read_ahead = !store.in_transaction() && rules.overrides.is_none();
    store.begin()?;
    let result = run_in_transaction(
        session,
        &rules,
        options,
        filter.as_ref(),
        read_ahead,
        observer,
    );
    match result {
        Ok(report) if !options.dry_run => {
            store.commit()?;
            ledger.set_run(None);
            Ok(report)
        }
        Ok(report) => {
            store.rollback();
            ledger.set_run(None);
            Ok(report)
        }
        Err(e) => {
            store.rollback();
            ledger.set_run(None);
            ledger.take_journal();
            Err(e)
        }
    }
}

fn run_in_transaction(
    session: &Rc<Session>,
    rules: &Rules,
    options: &RunOptions,
    filter: Option<&rhai::AST>,
    read_ahead: bool,
    observer: &mut dyn RunObserver,
) -> Result<RunReport, RunError> {
    let ledger = session.ledger();
    let store = ledger.store();
    let conn = store.conn();
    let sql = |e| RunError::from(StoreError::sqlite(store.path(), e));
    let params_hash = parameters_hash(ledger);
    let run_id: i64 = conn
        .query_row(
            "INSERT INTO runs(kind, started_at, user_name, posting_date, selection, rules_path,
                 rules_hash, parameters_hash) VALUES ('reimbursement', ?1, ?2, ?3, ?4, ?5, ?6, ?7)
             RETURNING id",
            params![
                now_text(),
                options.user,
                options.date.to_string(),
                options.selection.to_string(),
                rules.file.to_string_lossy(),
                rules.hash,
                params_hash
            ],
            |r| r.get(0),
        )
        .map_err(sql)?;
    ledger.set_run(Some(run_id));
    // A run's postings are bounded by what other postings bound (see MAX_PROCESS_TOTAL).
    let _bound = ledger.process_postings();
    ledger.set_origin(ChangeOrigin {
        user: options.user.clone(),
        source: "run".into(),
        line: None,
    });
    ledger.take_journal();
    session.take_output();

    let mut report = RunReport {
        run: run_id,
        dry_run: options.dry_run,
        date: options.date,
        selection: options.selection.to_string(),
        rules: rules.file.clone(),
        rules_hash: rules.hash.clone(),
        parameters_hash: params_hash,
        considered: 0,
        reimbursed_count: 0,
        skipped_count: 0,
        failed_count: 0,
        reimbursements: Vec::new(),
        skipped: Vec::new(),
        failed: Vec::new(),
        totals: BTreeMap::new(),
        output: Vec::new(),
    };

    let total = count_selection(ledger, &options.selection)?;
    let mut done = 0u64;
    let mut pager = CustomerPager::new(
        &options.selection,
        ledger,
        read_ahead.then_some((rules, &**session)),
    );
    let mut block = Vec::with_capacity(BLOCK);
    let flush = |block: &mut Vec<_>, report: &mut RunReport, observer: &mut dyn RunObserver| {
        run_block(session, rules, run_id, options, block, report, observer)
    };
    // A page's balances are read with it, before its customers are processed: hooks only change
    // their own customer.
    while let Some((
        CustomerPage {
            customers,
            mut balances,
        },
        mut foreseen,
    )) = pager.next(ledger)?
    {
        for (i, customer) in customers.into_iter().enumerate() {
            done += 1;
            if done.is_multiple_of(256) {
                observer.progress(done, total);
            }
            let ahead = foreseen.get_mut(i).map(std::mem::take).unwrap_or_default();
            if let Some(ast) = filter {
                let selected = match ahead.selected {
                    Some(selected) => selected,
                    None => selected_by(session, rules, ast, &customer)?,
                };
                if !selected {
                    continue;
                }
            }
            report.considered += 1;
            let mut credits = ahead.credits.into_iter();
            let candidates: Vec<Candidate> = balances
                .remove(&customer.account)
                .unwrap_or_default()
                .into_iter()
                .filter(is_candidate)
                .map(|credit| Candidate {
                    credit,
                    ahead: credits.next().unwrap_or_default(),
                })
                .collect();
            if candidates.is_empty() {
                continue;
            }
            block.push(CustomerCredits {
                customer,
                candidates,
            });
            if block.len() == BLOCK {
                flush(&mut block, &mut report, observer)?;
            }
        }
        flush(&mut block, &mut report, observer)?;
    }
    observer.progress(total, total);
    conn.execute(
        "UPDATE runs SET finished_at = ?2, considered = ?3, reimbursed = ?4, skipped = ?5,
             failed = ?6 WHERE id = ?1",
        params![
            run_id,
            now_text(),
            report.considered as i64,
            report.reimbursed_count as i64,
            report.skipped_count as i64,
            report.failed_count as i64
        ],
    )
    .map_err(sql)?;
    report.output = session.take_output();
    Ok(report)
}

/// Evaluates the `--where` expression for one customer. It only selects: one that writes to the
/// ledger (it has the whole API) is an error.
fn selected_by(
    session: &Session,
    rules: &Rules,
    ast: &rhai::AST,
    customer: &Customer,
) -> Result<bool, RunError> {
    let conn = session.ledger().store().conn();
    let changes = conn.total_changes();
    let value = eval_filter(&rules.engine, ast, customer).map_err(|e| {
        let f = ScriptFault::from_error(&e);
        RunError::Selection(format!(
            "--where, customer {}: {}",
            customer.account, f.message
        ))
    })?;
    if conn.total_changes() != changes {
        return Err(RunError::Selection(format!(
            "--where must only select customers: it wrote to the ledger (customer {})",
            customer.account
        )));
    }
    value.as_bool().map_err(|t| {
        RunError::Selection(format!(
            "--where must give true or false, not {t} (customer {})",
            customer.account
        ))
    })
}

/// Evaluates the `--where` expression for one customer, with the memory limit counted from here.
pub(super) fn eval_filter(
    engine: &Engine,
    ast: &rhai::AST,
    customer: &Customer,
) -> Result<Dynamic, Box<rhai::EvalAltResult>> {
    let mut scope = Scope::new();
    scope.push_constant("customer", customer.clone());
    ScriptMemory::arm();
    engine.eval_ast_with_scope::<Dynamic>(&mut scope, ast)
}
