//! `cargo run -p dossier-analyzer --example explain -- "text"`: prints the cues found in a text.
use dossier_analyzer::{Analyzer, Knowledge};
use std::sync::Arc;

fn main() {
    // `--catalog CSV` first to use another catalog than the demo one.
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut path = "data/catalog/demo-motors.csv".to_owned();
    if args.first().is_some_and(|a| a == "--catalog") && args.len() >= 2 {
        path = args.remove(1);
        args.remove(0);
    }
    let catalog = dossier_core::Catalog::load(std::path::Path::new(&path)).unwrap_or_default();
    let an = Analyzer::new(Arc::new(Knowledge::builtin()), &catalog);
    for t in args {
        println!("{t}\n  {}", an.explain(&t).join("\n  "));
    }
}
