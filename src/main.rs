//! The `reimburse` command: parses arguments and hands them to the library.
fn main() -> std::process::ExitCode {
    reimburse::cli::main(std::env::args_os())
}
