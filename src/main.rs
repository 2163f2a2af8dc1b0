//! The `dossier` binary: parses the command line and hands over to the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    dossier::cli::main(dossier::cli::Cli::parse())
}
