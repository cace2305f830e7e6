//! An engine for another thread ([`ReadAheadEngine`]): the sandbox, the types and the functions that
//! read nothing but their arguments, the parameters and the posting date; every other function of
//! the API is a stand-in that notes its use and fails, so the caller knows when not to trust what
//! the engine worked out (a run's read-ahead, `process::ReadAhead`).
//!
//! It must not depend on the session: it only reads a session's API listing ([`ApiDoc`]).

use std::cell::Cell;
use std::collections::HashSet;
use std::path::Path;
use std::rc::Rc;

use chrono::NaiveDate;
use rhai::{Dynamic, Engine, EvalAltResult};

use super::api::{Api, ApiDoc};
use super::errors::{RhaiResult, runtime_error};
use super::functions::{HookLedger, register_hook_functions, register_pure};
use super::sandbox::harden;
use super::types::register_types;
use crate::ledger::{AheadBooks, LedgerCalls, LedgerError, ReadAheadLedger, Vendor};
use crate::parameters::Parameters;

/// A script engine that works away from any session (on another thread): the same sandbox,
/// standard library and types as a session's engine, and the functions that read nothing but
/// their arguments, the company parameters and the posting date. What it works out equals what
/// a session's engine would, as long as nothing else is used: every other function of the API is
/// there by name and number of parameters, but only to note that it was called (and fail), as
/// are `print`, `debug` and `timestamp`. [`ReadAheadEngine::touched`] tells; the caller must then not
/// trust the result (a script may catch the failure) and evaluate with the session instead.
pub struct ReadAheadEngine {
    /// The engine.
    pub engine: Engine,
    touched: Rc<Cell<bool>>,
}

impl ReadAheadEngine {
    /// An engine with these parameters and posting date; `import` resolves inside `rules_dir`
    /// only. `api` is the listing of a session's engine ([`super::Session::api`]): its functions that
    /// need the session become the noting stand-ins. With `reads`, `vendor` and `find_vendor`
    /// answer for the vendors that existed when the transaction began (which a run never
    /// changes); for any other account they are stand-ins too, as the run may have created it.
    pub fn new(
        params: Parameters,
        date: NaiveDate,
        rules_dir: Option<&Path>,
        api: &[ApiDoc],
        reads: Option<ReadAheadLedger>,
        books: Option<Rc<AheadBooks>>,
    ) -> ReadAheadEngine {
        let mut engine = Engine::new();
        harden(&mut engine, &params.limits, rules_dir);
        let touched = Rc::new(Cell::new(false));
        let t = Rc::clone(&touched);
        engine.on_print(move |_| t.set(true));
        let t = Rc::clone(&touched);
        engine.on_debug(move |_, _, _| t.set(true));
        let mut own = Api {
            engine: &mut engine,
            docs: Vec::new(),
        };
        register_types(&mut own);
        register_pure(&mut own, &Rc::new(params), move || date);
        if let Some(reads) = reads {
            register_existing_vendors(&mut own, reads, books.clone(), &touched);
        }
        if let Some(books) = books {
            let hooks: Rc<dyn HookLedger> = Rc::new(AheadHooks {
                books,
                date,
                touched: Rc::clone(&touched),
            });
            register_hook_functions(&mut own, &hooks);
        }
        let present: HashSet<(String, usize)> = own.docs.iter().filter_map(arity).collect();
        register_stand_ins(&mut engine, present, api, &touched);
        ReadAheadEngine { engine, touched }
    }

    /// Whether anything besides the functions that read only their arguments, the parameters
    /// and the date was used since the last call (and forgets it).
    pub fn touched(&self) -> bool {
        self.touched.replace(false)
    }
}

/// The ledger functions of the posting hooks over the books worked out ahead: a call they cannot
/// answer (or that fails) counts as touching something else, so the hook is worked out in place.
struct AheadHooks {
    books: Rc<AheadBooks>,
    date: NaiveDate,
    touched: Rc<Cell<bool>>,
}

impl HookLedger for AheadHooks {
    fn calls(&self) -> &dyn LedgerCalls {
        &*self.books
    }
    fn date(&self) -> NaiveDate {
        self.date
    }
    fn failed(&self, e: LedgerError) -> Box<EvalAltResult> {
        self.touched.set(true);
        runtime_error(format!("not available away from the session: {e}"))
    }
}

/// `vendor` and `find_vendor` over the vendors that existed when the run began and those the
/// current customer's hooks created in the books worked out ahead: a vendor found is as the run
/// would find it; one not found counts as touching something else (the run may have created it
/// since).
fn register_existing_vendors(
    own: &mut Api,
    reads: ReadAheadLedger,
    books: Option<Rc<AheadBooks>>,
    touched: &Rc<Cell<bool>>,
) {
    // Found: as the run would find it. Not found: the run may have created it since.
    let existing = {
        let touched = Rc::clone(touched);
        move |account: &str| -> RhaiResult<Vendor> {
            // A vendor the current customer's hooks created, when the books are worked out ahead.
            if let Some(vendor) = books.as_ref().and_then(|b| b.created_vendor(account)) {
                return Ok(vendor);
            }
            match reads.vendor(account) {
                Ok(Some(vendor)) => Ok(vendor),
                _ => Err(unavailable_in_read_ahead(&touched)),
            }
        }
    };
    let find = existing.clone();
    own.add(
        "vendor",
        &["account: String"],
        "Vendor",
        "A vendor that existed when the run began.",
        existing,
    );
    own.add(
        "find_vendor",
        &["account: String"],
        "Vendor or ()",
        "A vendor that existed when the run began.",
        move |account: &str| -> RhaiResult<Dynamic> { find(account).map(Dynamic::from) },
    );
}

/// Registers a noting stand-in for every function of the session's `api` (and `timestamp`)
/// that the engine does not have by name and number of parameters (`present`).
fn register_stand_ins(
    engine: &mut Engine,
    mut present: HashSet<(String, usize)>,
    api: &[ApiDoc],
    touched: &Rc<Cell<bool>>,
) {
    // `timestamp` differs from one call to the next: nothing that uses it is worked out ahead.
    let others = api
        .iter()
        .filter_map(arity)
        .chain([("timestamp".to_string(), 0)]);
    for (name, params) in others {
        if present.insert((name.clone(), params)) {
            let t = Rc::clone(touched);
            engine.register_raw_fn(
                name.as_str(),
                vec![std::any::TypeId::of::<Dynamic>(); params],
                move |_, _| -> RhaiResult<Dynamic> { Err(unavailable_in_read_ahead(&t)) },
            );
        }
    }
}

/// What a stand-in in a [`ReadAheadEngine`] engine does: note that it was used, and fail.
fn unavailable_in_read_ahead(touched: &Cell<bool>) -> Box<EvalAltResult> {
    touched.set(true);
    runtime_error("not available away from the session")
}

/// A documented function's name and number of parameters (`None` for types and properties).
fn arity(doc: &ApiDoc) -> Option<(String, usize)> {
    let head = doc.signature.split(" -> ").next()?;
    let (name, params) = head.split_once('(')?;
    let params = params.trim_end_matches(')');
    let count = params.split(',').filter(|p| !p.trim().is_empty()).count();
    Some((name.to_string(), count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Ledger;
    use crate::scripting::{Echo, ScriptFault, Session};

    fn engine() -> ReadAheadEngine {
        let company = crate::sample_company().unwrap();
        let ledger = Ledger::new(
            crate::store::Store::in_memory().unwrap(),
            company.params.clone(),
        )
        .unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let api = Session::new(ledger, date, Echo::Collect).api();
        ReadAheadEngine::new(company.params, date, None, &api, None, None)
    }

    fn eval(d: &ReadAheadEngine, code: &str) -> Result<String, String> {
        d.engine
            .eval::<Dynamic>(code)
            .map(|v| v.to_string())
            .map_err(|e| ScriptFault::from_error(&e).message)
    }

    #[test]
    fn a_read_ahead_engine_has_the_pure_functions_and_notes_every_other_one() {
        let d = engine();
        // The parameters, conversions, the date and dates work as in a session.
        assert_eq!(eval(&d, "params().minimum_reimbursement").unwrap(), "25.00");
        assert_eq!(eval(&d, "posting_date()").unwrap(), "2026-11-30");
        assert_eq!(eval(&d, "to_accounting(10.00, \"USD\")").unwrap(), "10.00");
        assert_eq!(
            eval(&d, "days_between(\"2026-11-01\", posting_date())").unwrap(),
            "29"
        );
        assert!(!d.touched());
        // A function that needs the session fails and is noted, even when the failure is caught.
        assert!(eval(&d, "find_vendor(\"V-1\")").is_err());
        assert!(d.touched());
        assert!(!d.touched(), "touched() forgets");
        assert_eq!(
            eval(&d, "try { customer(\"C-1\") } catch { 1 }; 2").unwrap(),
            "2"
        );
        assert!(d.touched());
        // So are output and the clock.
        for code in ["print(1)", "debug(1)", "timestamp()", "log(1)"] {
            let _ = eval(&d, code);
            assert!(d.touched(), "{code}");
        }
        // Functions of Rhai's standard library are not.
        assert_eq!(eval(&d, "\"abc\".len() + [1, 2].len()").unwrap(), "5");
        assert!(!d.touched());
    }
}
