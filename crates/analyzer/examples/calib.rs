//! `cargo run -p dossier-analyzer --example calib -- DIR CATALOG [DIR CATALOG ...]`: per evidence
//! class of `[confidence]` (config/knowledge/common.toml), how many values rested on it and how
//! often they were right — the rates to write back as the stated confidences.
//!
//! Each class gets a unique probe confidence for the run, so a stated confidence tells its class.

use dossier_analyzer::eval::{Labels, score};
use dossier_analyzer::{Analyzer, Knowledge};
use dossier_core::{Catalog, Conversation};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let base = Knowledge::builtin();
    let classes: Vec<String> = base
        .map("confidence")
        .map(|m| m.keys().filter(|k| !k.ends_with("bonus")).cloned().collect())
        .unwrap_or_default();
    // Probe values 0.10, 0.11, ...: distinct after rounding to 2 decimals; no bonus on top.
    let mut probe = String::from("[confidence]\n");
    for (i, c) in classes.iter().enumerate() {
        probe.push_str(&format!("\"{c}\" = \"{:.3}\"\n", 0.10 + i as f64 * 0.01));
    }
    probe.push_str("\"stage.repeat_bonus\" = \"0\"\n\"intent.multi_bonus\" = \"0\"\n");
    let mut k = base.clone();
    k.extend_from_str("probe", &probe).expect("probe");
    let k = Arc::new(k);
    let mut stats: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for pair in args.chunks(2) {
        let [dir, cat] = pair else { continue };
        let catalog = Catalog::load(&PathBuf::from(cat)).expect("catalog");
        let an = Analyzer::new(k.clone(), &catalog);
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().ends_with(".labels.json"))
            .collect();
        files.sort();
        for f in files {
            let lp = PathBuf::from(f.to_string_lossy().replace(".json", ".labels.json"));
            let (Ok(cb), Ok(lb)) = (std::fs::read(&f), std::fs::read(&lp)) else {
                continue;
            };
            let conv = Conversation::from_json(&cb).expect("conversation");
            let labels: Labels = serde_json::from_slice(&lb).expect("labels");
            let p = an.analyze(&conv, conv.company.as_deref().unwrap_or("default"));
            for (field, c, ok) in score(&p, &labels).confidences {
                let i = ((c - 0.10) / 0.01).round() as usize;
                let class = classes.get(i).cloned().unwrap_or_else(|| format!("? {c}"));
                let e = stats.entry((field, class)).or_default();
                e.0 += 1;
                e.1 += usize::from(ok);
            }
        }
    }
    println!("{:<12} {:<26} {:>5} {:>6}", "field", "class", "n", "acc");
    for ((f, c), (n, ok)) in stats {
        println!("{f:<12} {c:<26} {n:>5} {:>6.3}", ok as f64 / n as f64);
    }
}
