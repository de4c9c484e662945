//! The `codexkey` binary: everything lives in the library.

// mimalloc returns freed memory to the system where glibc's allocator keeps it: password
// hashing briefly takes ~19 MiB per login, which glibc would hold for the process's life and
// count in the gateway's RSS. It is also cheaper per allocation on the hot path. With
// `override` it also serves C's malloc (SQLite's): glibc trimmed its heap after each metering
// transaction, and every trim cost a TLB shootdown across the gateway's threads. `no_thp`:
// without it mimalloc asks for transparent huge pages, and touched memory then counts in
// 2 MiB steps (~11 MB of RSS more for the same heap). `v2`: mimalloc 3 kept ~8 MB more resident
// under the same load (pages freed by another thread, as metering writes are, came back late),
// at no gain in CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    codexkey::run()
}
