//! How long a builtin draft takes, tool calls included: for every conversation of the held-out
//! draft sets (tests/heldout/drafts/d1 and d2, each with its own catalog, rate sheet and
//! programs), the profile is analysed once, then the reply is composed again and again (the
//! plan with its inventory, price, payment, rate and program calls, the template in the
//! customer's language and the gloss in the agent's). Prints p50, p99 and max per draft.
//!
//! cargo run --release --example draft_latency -- [rounds]

use dossier::companies::CompanyRuntime;
use dossier::config::company::CompanyConfig;
use dossier::copilot::drafts::compose;
use dossier::templates::Templates;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/heldout/drafts");
    let templates = Templates::embedded();
    let mut cases = Vec::new();
    for set in ["d1", "d2"] {
        let dir = root.join(set);
        let mut config = CompanyConfig::default_for("bench");
        config.catalog = Some(dir.join("catalog.csv"));
        config.rates = Some(dir.join("rates.toml"));
        config.programs = Some(dir.join("programs.toml"));
        let rt = std::sync::Arc::new(CompanyRuntime::build(config)?);
        let mut files: Vec<_> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json") && !p.to_string_lossy().ends_with(".labels.json"))
            .collect();
        files.sort();
        for f in files {
            let conv: dossier_core::Conversation = serde_json::from_slice(&std::fs::read(&f)?)?;
            let mut profile = rt.analyzer.analyze(&conv, "bench");
            profile.facts = rt.tools.profile_facts(&profile);
            let mut messages = conv.messages.clone();
            messages.sort_by_key(|m| m.timestamp);
            let agent = if set == "d1" { "en" } else { "es" };
            cases.push((rt.clone(), profile, messages, agent));
        }
    }
    let mut times = Vec::with_capacity(cases.len() * rounds);
    // One warm-up round (templates and lazily built tables), not counted.
    for r in 0..=rounds {
        for (rt, profile, messages, agent) in &cases {
            let t = Instant::now();
            let d = compose::compose(templates, &rt.tools, profile, messages, &rt.config, agent)?;
            let took = t.elapsed();
            std::hint::black_box(d);
            if r > 0 {
                times.push(took);
            }
        }
    }
    let mut plans = Vec::new();
    for (rt, profile, messages, _) in &cases {
        let dealer = dossier::copilot::drafts::plan::Dealer {
            company: &rt.config.name,
            branches: &rt.config.branches,
        };
        let t = Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(dossier::copilot::drafts::plan::plan(
                &rt.tools, profile, messages, dealer,
            ));
        }
        plans.push(t.elapsed() / rounds as u32);
    }
    plans.sort();
    println!(
        "the plan alone (its tool calls): p50 {:?}, max {:?} (mean per conversation)",
        plans[plans.len() / 2],
        plans[plans.len() - 1]
    );
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "builtin drafts: {} conversations x {rounds} rounds = {} drafts; p50 {:?}, p99 {:?}, max {:?}",
        cases.len(),
        times.len(),
        at(0.50),
        at(0.99),
        times[times.len() - 1]
    );
    Ok(())
}
