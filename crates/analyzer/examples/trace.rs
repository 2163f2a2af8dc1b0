//! `cargo run -p dossier-analyzer --example trace -- FILE CATALOG`: the fold after each
//! message (stage, intent, sentiment score, budget, name, interests) — for debugging rules.
use dossier_analyzer::{Analyzer, AnalyzerState, Knowledge};
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let catalog = dossier_core::Catalog::load(std::path::Path::new(&args[1])).unwrap_or_default();
    let an = Analyzer::new(Arc::new(Knowledge::builtin()), &catalog);
    let conv = dossier_core::Conversation::from_json(&std::fs::read(&args[0]).expect("file")).expect("json");
    let mut st = AnalyzerState::default();
    for m in &conv.messages {
        an.observe(&mut st, m);
        let p = an.profile(&st, "x", &conv.contact);
        let t: String = m.text().chars().take(90).collect();
        println!(
            "{} {:<90} | st={} in={} sent={:.2} bud={:?} name={:?} int={:?}",
            if m.is_inbound() { "C" } else { "A" },
            t,
            p.stage.as_ref().map(|s| s.value.as_str()).unwrap_or("-"),
            p.intent.as_ref().map(|s| s.value.as_str()).unwrap_or("-"),
            st.sentiment,
            p.budget
                .as_ref()
                .map(|b| format!("{} {} {:?}", b.amount, b.currency, b.period)),
            p.contact.name,
            p.interests.iter().map(|i| i.model.clone()).collect::<Vec<_>>()
        );
    }
}
