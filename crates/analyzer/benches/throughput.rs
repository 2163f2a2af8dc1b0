//! Throughput of `observe` on one core, and the cost of one more message after 10 vs 1,000
//! prior messages (must be flat: the fold never re-reads earlier messages).
//! Run: `cargo bench -p dossier-analyzer --bench throughput`.

use dossier_analyzer::{Analyzer, AnalyzerState, Knowledge};
use dossier_core::{Catalog, Conversation, Message};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[v.len() / 2]
}

/// Nanoseconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let catalog = Catalog::load(&root.join("catalog/demo-motors.csv")).expect("catalog");
    let an = Analyzer::new(Arc::new(Knowledge::builtin()), &catalog);
    let mut msgs: Vec<Message> = Vec::new();
    let mut dir: Vec<_> = std::fs::read_dir(root.join("conversations"))
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    dir.sort();
    for p in dir {
        if p.to_string_lossy().ends_with(".labels.json") {
            continue;
        }
        let c = Conversation::from_json(&std::fs::read(&p).expect("read")).expect("parse");
        msgs.extend(c.messages);
    }
    println!("corpus: {} messages from the 24 sample conversations", msgs.len());

    // 1. Throughput of observe (all messages, one state per round): per wall-clock second and
    // per second this thread spent on a CPU (the per-core rate, steady on a shared machine).
    let mut rates = Vec::new();
    let mut cpu_rates = Vec::new();
    for _ in 0..7 {
        let mut st = AnalyzerState::default();
        let cpu0 = thread_cpu_ns();
        let t = Instant::now();
        let mut n = 0usize;
        while t.elapsed().as_millis() < 300 {
            for m in &msgs {
                an.observe(&mut st, m);
            }
            n += msgs.len();
            st = AnalyzerState::default();
        }
        rates.push(n as f64 / t.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (cpu0, thread_cpu_ns())
            && b > a
        {
            cpu_rates.push(n as f64 / ((b - a) as f64 / 1e9));
        }
    }
    println!("observe throughput: median {:.0} msg/s (7 rounds)", median(rates));
    if !cpu_rates.is_empty() {
        println!(
            "observe throughput per CPU-second: median {:.0} msg/s",
            median(cpu_rates)
        );
    }

    // 2. Cost of one more message after 10 vs 1,000 prior messages.
    let probe = msgs
        .iter()
        .find(|m| m.text().contains("budget") || m.text().len() > 80)
        .unwrap_or(&msgs[0])
        .clone();
    for prior in [10usize, 1000] {
        let mut st = AnalyzerState::default();
        for m in msgs.iter().cycle().take(prior) {
            an.observe(&mut st, m);
        }
        let bytes = serde_json::to_vec(&st).map(|v| v.len()).unwrap_or(0);
        let mut rounds = Vec::new();
        for _ in 0..9 {
            let reps = 2000;
            let t = Instant::now();
            for _ in 0..reps {
                let mut s = st.clone();
                an.observe(&mut s, &probe);
                std::hint::black_box(&s);
            }
            rounds.push(t.elapsed().as_secs_f64() * 1e6 / reps as f64);
        }
        println!(
            "one message after {prior:>4} prior: median {:.2} µs (incl. state clone), state {bytes} bytes JSON",
            median(rounds)
        );
    }
    // Profile building cost, for reference.
    let mut st = AnalyzerState::default();
    for m in &msgs {
        an.observe(&mut st, m);
    }
    let contact = dossier_core::ConversationContact::default();
    let t = Instant::now();
    for _ in 0..2000 {
        std::hint::black_box(an.profile(&st, "demo", &contact));
    }
    println!("profile(): {:.2} µs", t.elapsed().as_secs_f64() * 1e6 / 2000.0);
}
