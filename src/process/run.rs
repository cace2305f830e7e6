//! The run from start to end: checks the selection, begins the transaction, records the run,
//! pages through the selected customers (evaluating `--where` when it was not worked out ahead),
//! hands blocks of customers to `block`, and commits or rolls back. The top of the process:
//! nothing else in the folder depends on it.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::audit::{now_text, parameters_hash};
use super::block::{BLOCK, CustomerCredits, run_block};
use super::credit::RunScope;
use super::error::RunError;
use super::hooks::{Rules, eval_filter};
use super::options::{RunOptions, Selection};
use super::pager::{CustomerPager, count_selection};
use super::read_ahead::{Candidate, Feedback, PostingsAhead, ReadAheadCredit, is_candidate};
use super::replay::HookTally;
use super::report::{Collect, HooksAhead, RunObserver, RunReport};
use super::script_functions::offer;
use crate::ledger::{
    Balance, ChangeOrigin, Customer, CustomerPage, Ledger, NewRun, RunCounts, RunId, RunKind,
};
use crate::scripting::{ScriptFault, Session};

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
    // The engine of the rules has the process's own functions (`dry_run`) too.
    offer(session);
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
    let params_hash = parameters_hash(ledger);
    let run_id = record_start(ledger, rules, options, &params_hash)?;
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

    let mut report = new_report(run_id, options, rules, params_hash);
    let total = count_selection(ledger, &options.selection)?;
    let postings = match read_ahead {
        true => Some(postings_ahead(ledger)?),
        false => None,
    };
    let mut pager = CustomerPager::new(
        &options.selection,
        ledger,
        read_ahead.then(|| (rules, &**session, postings.clone())),
    );
    let run = RunContext {
        session,
        rules,
        options,
        filter,
        postings: postings.as_ref(),
    };
    run.process_pages(&mut pager, total, &mut report, observer)?;
    observer.progress(total, total);
    record_end(ledger, &report)?;
    report.output = session.take_output();
    Ok(report)
}

/// What the run shares with its read-ahead thread to work the posting hooks out there: the number
/// sequences and where the counters stand as the run begins.
fn postings_ahead(ledger: &Ledger) -> Result<PostingsAhead, RunError> {
    let sequences = ledger.sequences()?;
    let counters = ledger.counters(&sequences)?;
    Ok(PostingsAhead {
        sequences,
        counters,
        feedback: Feedback::default(),
    })
}

/// Records the reimbursement run that is starting (who, when, what, with which rules and
/// parameters); returns its id.
fn record_start(
    ledger: &Ledger,
    rules: &Rules,
    options: &RunOptions,
    params_hash: &str,
) -> Result<RunId, RunError> {
    Ok(ledger.insert_run(&NewRun {
        kind: RunKind::Reimbursement,
        started_at: &now_text(),
        finished_at: None,
        user: &options.user,
        posting_date: options.date,
        selection: &options.selection.to_string(),
        rules_path: Some(&rules.file.to_string_lossy()),
        rules_hash: Some(&rules.hash),
        parameters_hash: params_hash,
    })?)
}

/// Records the end of the run and its counts.
fn record_end(ledger: &Ledger, report: &RunReport) -> Result<(), RunError> {
    let counts = RunCounts {
        considered: report.considered as i64,
        reimbursed: report.reimbursed_count as i64,
        skipped: report.skipped_count as i64,
        failed: report.failed_count as i64,
    };
    Ok(ledger.finish_run(report.run, &now_text(), &counts)?)
}

/// The report of a run that has not processed any customer yet.
fn new_report(
    run_id: RunId,
    options: &RunOptions,
    rules: &Rules,
    params_hash: String,
) -> RunReport {
    RunReport {
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
        hooks_ahead: HooksAhead::default(),
    }
}

/// What the run's pass over the customers needs.
struct RunContext<'a> {
    session: &'a Rc<Session>,
    rules: &'a Rules,
    options: &'a RunOptions,
    /// The compiled `--where` expression.
    filter: Option<&'a rhai::AST>,
    /// The posting hooks worked out ahead, to replay.
    postings: Option<&'a PostingsAhead>,
}

impl RunContext<'_> {
    /// Pages through the selected customers and runs the hooks for those with candidate credits,
    /// a block at a time.
    fn process_pages(
        &self,
        pager: &mut CustomerPager,
        total: u64,
        report: &mut RunReport,
        observer: &mut dyn RunObserver,
    ) -> Result<(), RunError> {
        let ledger = self.session.ledger();
        let tally = HookTally::default();
        let scope = RunScope {
            session: self.session,
            rules: self.rules,
            run_id: report.run,
            postings: self.postings,
            tally: &tally,
        };
        let mut done = 0u64;
        let mut block = Vec::with_capacity(BLOCK);
        let flush = |block: &mut Vec<_>, report: &mut RunReport, observer: &mut dyn RunObserver| {
            run_block(&scope, self.options, block, report, observer)
        };
        // A page's balances are read with it, before its customers are processed: hooks only
        // change their own customer.
        while let Some((
            CustomerPage {
                customers,
                mut balances,
            },
            mut read_ahead,
        )) = pager.next(ledger)?
        {
            for (i, customer) in customers.into_iter().enumerate() {
                done += 1;
                if done.is_multiple_of(256) {
                    observer.progress(done, total);
                }
                let ahead = read_ahead
                    .get_mut(i)
                    .map(std::mem::take)
                    .unwrap_or_default();
                if !self.selects(&customer, ahead.selected)? {
                    continue;
                }
                report.considered += 1;
                let balances = balances.remove(&customer.account).unwrap_or_default();
                let candidates = candidates(balances, ahead.credits);
                if candidates.is_empty() {
                    continue;
                }
                block.push(CustomerCredits {
                    customer,
                    candidates,
                });
                if block.len() == BLOCK {
                    flush(&mut block, report, observer)?;
                }
            }
            flush(&mut block, report, observer)?;
        }
        report.hooks_ahead = HooksAhead {
            replayed: tally.replayed.get(),
            in_place: tally.in_place.get(),
        };
        Ok(())
    }

    /// Whether the selection takes `customer`: no `--where`, or the expression (worked out ahead,
    /// `read_ahead`, or else here) is true.
    fn selects(&self, customer: &Customer, read_ahead: Option<bool>) -> Result<bool, RunError> {
        match (self.filter, read_ahead) {
            (None, _) => Ok(true),
            (Some(_), Some(selected)) => Ok(selected),
            (Some(ast), None) => selected_by(self.session, self.rules, ast, customer),
        }
    }
}

/// A customer's candidate credits (its balances with open credits, in order), each with what was
/// worked out ahead for it.
fn candidates(balances: Vec<Balance>, ahead: Vec<ReadAheadCredit>) -> Vec<Candidate> {
    // Worked out ahead, there is one per candidate credit, in the same order (or none at all).
    debug_assert!(
        ahead.is_empty() || ahead.len() == balances.iter().filter(|b| is_candidate(b)).count()
    );
    let mut credits = ahead.into_iter();
    balances
        .into_iter()
        .filter(is_candidate)
        .map(|credit| Candidate {
            credit,
            ahead: credits.next().unwrap_or_default(),
        })
        .collect()
}

/// Evaluates the `--where` expression for one customer. It only selects: one that writes to the
/// ledger (it has the whole API) is an error.
fn selected_by(
    session: &Session,
    rules: &Rules,
    ast: &rhai::AST,
    customer: &Customer,
) -> Result<bool, RunError> {
    let store = session.ledger().store();
    let changes = store.total_changes();
    let value = eval_filter(&rules.engine, ast, customer).map_err(|e| {
        let f = ScriptFault::from_error(&e);
        RunError::Selection(format!(
            "--where, customer {}: {}",
            customer.account, f.message
        ))
    })?;
    if store.total_changes() != changes {
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
