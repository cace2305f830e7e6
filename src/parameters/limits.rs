//! The `limits:` section: the sandbox limits of the rule scripts, explicit so that debug and
//! release builds behave the same.

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

/// The most `limits.max_call_levels` and `limits.max_expr_depth` may be.
pub const MAX_NESTING: usize = 100;

/// Limits of the rule scripts' sandbox. Every limit is explicit so that debug and release builds
/// behave the same.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ScriptLimits {
    /// Operations one hook call (or one script) may execute.
    pub max_operations: u64,
    /// Nesting of function calls.
    pub max_call_levels: usize,
    /// Nesting of expressions.
    pub max_expr_depth: usize,
    /// Length of a string, in bytes.
    pub max_string_size: usize,
    /// Length of an array.
    pub max_array_size: usize,
    /// Entries of an object map.
    pub max_map_size: usize,
    /// Modules a script may import.
    pub max_modules: usize,
    /// Memory a script may allocate (net, while it runs), in MiB; enforced when the program
    /// installs [`crate::scripting::ScriptMemory`] as its global allocator (the binary does).
    pub max_memory_mb: usize,
    /// Wall-clock seconds one evaluation (a hook call, a script, a REPL entry, `--where` for one
    /// customer) may take.
    pub max_seconds: u64,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        ScriptLimits {
            max_operations: 1_000_000,
            max_call_levels: 32,
            max_expr_depth: 64,
            max_string_size: 64 * 1024,
            max_array_size: 100_000,
            max_map_size: 10_000,
            max_modules: 16,
            max_memory_mb: 256,
            max_seconds: 60,
        }
    }
}

impl Serialize for ScriptLimits {
    /// Only the limits that differ from their default (the canonical form of the parameters
    /// leaves defaults out, so a limit added later does not change a file's hash).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Destructured so that a new limit cannot be forgotten here.
        let ScriptLimits {
            max_operations,
            max_call_levels,
            max_expr_depth,
            max_string_size,
            max_array_size,
            max_map_size,
            max_modules,
            max_memory_mb,
            max_seconds,
        } = self;
        let default = ScriptLimits::default();
        let mut map = s.serialize_map(None)?;
        macro_rules! differing {
            ($($field:ident),*) => {
                $( if *$field != default.$field {
                    map.serialize_entry(stringify!($field), $field)?;
                } )*
            };
        }
        differing!(
            max_operations,
            max_call_levels,
            max_expr_depth,
            max_string_size,
            max_array_size,
            max_map_size,
            max_modules,
            max_memory_mb,
            max_seconds
        );
        map.end()
    }
}
