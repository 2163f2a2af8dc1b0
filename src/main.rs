//! The `dossier` binary: parses the command line and hands over to the library.

use clap::Parser;
use std::process::ExitCode;

/// mimalloc, not glibc's malloc: `perf` on the webhook under load put a quarter of `serve`'s CPU
/// in glibc's allocator (BENCHMARKS.md, issue #14).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    dossier::cli::main(dossier::cli::Cli::parse())
}
