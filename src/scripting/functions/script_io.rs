//! What a script gets and gives besides the ledger: its `--arg` map (`args`) and its output
//! (`log`).
//!
//! They must not touch the ledger.

use std::rc::Rc;

use rhai::{Dynamic, Map};

use crate::scripting::api::Api;
use crate::scripting::session::Session;

/// Registers `args` and `log`.
pub(super) fn register(api: &mut Api, session: &Rc<Session>) {
    let s = Rc::clone(session);
    api.add(
        "args",
        &[],
        "Map",
        "The `--arg key=value` arguments given to `reimburse script`.",
        move || -> Map { s.args.borrow().clone() },
    );
    let s = Rc::clone(session);
    api.add(
        "log",
        &["message: any"],
        "()",
        "Writes a line to the run's output.",
        move |message: Dynamic| s.emit(&message.to_string()),
    );
}
