//! The `codexkey` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    codexkey::run()
}
