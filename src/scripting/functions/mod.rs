//! The functions of the script API, registered through [`super::Api`] with their documentation,
//! one file per group: reading the ledger, the script's arguments and output, master data,
//! postings, settlements, reports, and the pure functions. (`dry_run` is the process's: it
//! registers it itself, see `Session::extend`.)
//!
//! They depend on the session (each holds it) and on the ledger they call, never on the
//! process; the pure ones (`register_pure`) depend on neither, so a [`super::ReadAheadEngine`] engine
//! has them too. Nothing below the session depends on them.

mod hook_ledger;
mod master_data;
mod postings;
mod pure;
mod reads;
mod reports;
mod script_io;
mod settlements;

use std::rc::Rc;

use super::api::Api;
use super::session::Session;

pub(crate) use hook_ledger::HookLedger;
pub(super) use pure::register_pure;
pub(crate) use reports::{decision_map, reimbursement_map};

/// Registers the whole API of a session's engine.
pub(super) fn register_functions(api: &mut Api, session: &Rc<Session>) {
    reads::register(api, session);
    register_pure(api, &session.params, {
        let s = Rc::clone(session);
        move || s.date()
    });
    script_io::register(api, session);
    master_data::register(api, session);
    postings::register(api, &(Rc::clone(session) as Rc<dyn HookLedger>));
    settlements::register(api, session);
    reports::register(api, session);
}

/// Registers the ledger functions a posting hook calls (and `balances`, which the books answer for
/// their customer), over `hooks`: for an engine that works the hooks out ahead, over books of its
/// own.
pub(crate) fn register_hook_functions(api: &mut Api, hooks: &Rc<dyn HookLedger>) {
    reads::register_hook_reads(api, hooks);
    master_data::register_hook_calls(api, hooks);
    postings::register(api, hooks);
    settlements::register_hook_calls(api, hooks);
}
