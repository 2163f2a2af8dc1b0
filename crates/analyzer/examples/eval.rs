//! `cargo run -p dossier-analyzer --example eval -- DIR CATALOG [-v]`: scores the built-in
//! analyzer on every `*.json` conversation in DIR with a `*.labels.json` twin.
//! `--knowledge FILE` (repeatable) merges a company knowledge file over the built-in one.

use dossier_analyzer::eval::{Labels, aggregate, render, score};
use dossier_analyzer::{Analyzer, Knowledge};
use dossier_core::{Catalog, Conversation};
use std::path::PathBuf;
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    let mut extra: Vec<String> = Vec::new();
    let mut pos: Vec<&String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--knowledge" {
            extra.extend(it.next().cloned());
        } else if !a.starts_with('-') {
            pos.push(a);
        }
    }
    let (Some(dir), Some(cat)) = (pos.first(), pos.get(1)) else {
        eprintln!("usage: eval DIR CATALOG [-v]");
        std::process::exit(2);
    };
    let catalog = match Catalog::load(&PathBuf::from(cat)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut knowledge = Knowledge::builtin();
    for k in &extra {
        if let Err(e) = knowledge.extend_from_file(&PathBuf::from(k)) {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
    let an = Analyzer::new(Arc::new(knowledge), &catalog);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.as_str())
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().ends_with(".labels.json"));
    files.sort();
    let mut scores = Vec::new();
    for f in files {
        let labels_path = PathBuf::from(f.to_string_lossy().replace(".json", ".labels.json"));
        let (Ok(cb), Ok(lb)) = (std::fs::read(&f), std::fs::read(&labels_path)) else {
            continue;
        };
        let conv = match Conversation::from_json(&cb) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                std::process::exit(2);
            }
        };
        let labels: Labels = match serde_json::from_slice(&lb) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{}: {e}", labels_path.display());
                std::process::exit(2);
            }
        };
        let p = an.analyze(&conv, conv.company.as_deref().unwrap_or("default"));
        let s = score(&p, &labels);
        if verbose && !s.misses.is_empty() {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            for (field, (e, g)) in &s.misses {
                println!("{name:<14} {field:<10} expected {e:<30} got {g}");
            }
        }
        scores.push(s);
    }
    print!("{}", render(&aggregate(&scores)));
}
