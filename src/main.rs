//! The `reimburse` command: parses arguments and hands them to the library.

/// Counts the memory each thread allocates, so scripts are held to `limits.max_memory_mb`.
#[global_allocator]
static MEMORY: reimburse::scripting::ScriptMemory = reimburse::scripting::ScriptMemory;

fn main() -> std::process::ExitCode {
    reimburse::main(std::env::args_os())
}
