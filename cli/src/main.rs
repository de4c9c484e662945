//! The `codexkey` binary: everything lives in the library.

// mimalloc returns freed memory to the system where glibc's allocator keeps it: password
// hashing briefly takes ~19 MiB per login, which glibc would hold for the process's life and
// count in the gateway's RSS. It is also cheaper per allocation on the hot path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    codexkey::run()
}
