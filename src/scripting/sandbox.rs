//! The sandbox every engine gets ([`harden`]): the limits from the parameters, the progress
//! callback that enforces memory, string size and wall clock, no `eval`, exact decimal literals,
//! and `import` confined to the rules folder.
//!
//! It must not depend on the session, the API or the ledger: a [`super::ReadAheadEngine`] engine on
//! another thread is hardened by the same function.

use std::path::Path;

use rhai::{Dynamic, Engine};

use super::imports::ConfinedResolver;
use super::memory::{MemoryLimit, ScriptMemory};
use super::{guard, literals};
use crate::parameters::ScriptLimits;

/// Applies the sandbox to an engine: limits, no `eval`, imports confined to `rules_dir`.
pub fn harden(engine: &mut Engine, limits: &ScriptLimits, rules_dir: Option<&Path>) {
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_modules(limits.max_modules)
        .set_max_variables(10_000)
        .set_max_functions(10_000)
        .set_fail_on_invalid_map_property(true)
        // No string interning: with a customer's name or account in every hook, the interner
        // (256 entries) is always full, and each new string made it scan all its entries to
        // evict one (about 20,000 instructions per string assigned to a variable).
        .set_max_strings_interned(0);
    // Rhai's size limits do not bound memory (`m[key] = value` adds keys unchecked, elements
    // replaced by index are not added up), so the bytes allocated since the evaluation began
    // (`ScriptMemory::arm`, called by every caller of the engine) are checked at every operation.
    let budget = limits
        .max_memory_mb
        .saturating_mul(1024 * 1024)
        .min(isize::MAX as usize) as isize;
    let (seconds, time) = (limits.max_seconds, guard::seconds(limits.max_seconds));
    engine.on_progress(move |_| {
        if ScriptMemory::used_bytes() > budget {
            return Some(Dynamic::from(MemoryLimit));
        }
        ScriptMemory::set_ceiling(budget);
        if guard::was_cut() {
            return Some(Dynamic::from(guard::StringLimit));
        }
        // The wall clock (`ScriptMemory::arm` starts it too).
        guard::out_of_time(time).then(|| Dynamic::from(guard::TimeLimit(seconds)))
    });
    guard::install(engine);
    engine.disable_symbol("eval");
    literals::exact_literals(engine);
    engine.set_module_resolver(ConfinedResolver::new(rules_dir));
}
