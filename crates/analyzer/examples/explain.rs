//! `cargo run -p dossier-analyzer --example explain -- "text"`: prints the cues found in a text.
use dossier_analyzer::{Analyzer, Knowledge};
use std::sync::Arc;

fn main() {
    let catalog = dossier_core::Catalog::load(std::path::Path::new("data/catalog/demo-motors.csv")).unwrap_or_default();
    let an = Analyzer::new(Arc::new(Knowledge::builtin()), &catalog);
    for t in std::env::args().skip(1) {
        println!("{t}\n  {}", an.explain(&t).join("\n  "));
    }
}
