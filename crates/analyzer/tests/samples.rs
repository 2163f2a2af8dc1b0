//! End-to-end checks: sample and held-out scores, bounded state, robustness to junk input.

use dossier_analyzer::eval::{Labels, aggregate, score};
use dossier_analyzer::{Analyzer, AnalyzerState, Knowledge};
use dossier_core::{Catalog, Conversation, Direction, Message, MessageId};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn run_dir(dir: &Path, catalog: &Path) -> dossier_analyzer::eval::Table {
    let catalog = Catalog::load(catalog).unwrap();
    let an = Analyzer::new(Arc::new(Knowledge::builtin()), &catalog);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().ends_with(".labels.json"));
    files.sort();
    let mut scores = Vec::new();
    for f in files {
        let conv = Conversation::from_json(&std::fs::read(&f).unwrap()).unwrap();
        let labels: Labels =
            serde_json::from_slice(&std::fs::read(f.to_string_lossy().replace(".json", ".labels.json")).unwrap())
                .unwrap();
        scores.push(score(&an.analyze(&conv, "demo-motors"), &labels));
    }
    aggregate(&scores)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

#[test]
fn sample_targets() {
    let t = run_dir(
        &root().join("../../data/conversations"),
        &root().join("../../data/catalog/demo-motors.csv"),
    );
    assert!(t.mean >= 0.90, "{t:?}");
    assert!(t.fields["stage"] >= 0.85 && t.fields["intent"] >= 0.80, "{t:?}");
    assert!(t.fields["interests"] >= 0.90 && t.fields["budget"] >= 0.85, "{t:?}");
}

#[test]
fn heldout_targets() {
    let demo = run_dir(
        &root().join("tests/heldout/demo"),
        &root().join("../../data/catalog/demo-motors.csv"),
    );
    assert!(demo.mean >= 0.85, "{demo:?}");
    let custom = run_dir(
        &root().join("tests/heldout/custom"),
        &root().join("tests/heldout/custom/catalog.csv"),
    );
    assert!(custom.mean >= 0.85, "{custom:?}");
    let fresh = run_dir(
        &root().join("tests/heldout/fresh"),
        &root().join("../../data/catalog/demo-motors.csv"),
    );
    assert!(fresh.mean >= 0.90, "{fresh:?}");
    let round2 = run_dir(
        &root().join("tests/heldout/round2"),
        &root().join("tests/heldout/round2/catalog.csv"),
    );
    assert!(round2.mean >= 0.90, "{round2:?}");
    let round3 = run_dir(
        &root().join("tests/heldout/round3"),
        &root().join("tests/heldout/round3/catalog.csv"),
    );
    assert!(round3.mean >= 0.90, "{round3:?}");
    // Round 4: the r4 (Panama/Miami, USD) and r5 (Dubai/Madrid, AED) sets, scored once before
    // anyone read them (0.898 and 0.920), then used to fix general rules; see ANALYZER-ROUND4.md.
    let round4 = run_dir(
        &root().join("tests/heldout/round4"),
        &root().join("tests/heldout/round4/catalog.csv"),
    );
    assert!(round4.mean >= 0.97, "{round4:?}");
    assert!(
        round4.fields["stage"] >= 0.95 && round4.fields["intent"] >= 0.95,
        "{round4:?}"
    );
    let round5 = run_dir(
        &root().join("tests/heldout/round5"),
        &root().join("tests/heldout/round5/catalog.csv"),
    );
    assert!(round5.mean >= 0.97, "{round5:?}");
    assert!(
        round5.fields["stage"] >= 0.90 && round5.fields["intent"] >= 0.90,
        "{round5:?}"
    );
    // Round 6: the r6 set (Recife/Fortaleza/Lima/Amman, USD), scored once before anyone read it
    // (0.888), then used to fix general rules; see ANALYZER-ROUND6.md.
    let round6 = run_dir(
        &root().join("tests/heldout/round6"),
        &root().join("tests/heldout/round6/catalog.csv"),
    );
    assert!(round6.mean >= 0.98, "{round6:?}");
    assert!(
        round6.fields["stage"] >= 0.95 && round6.fields["intent"] >= 0.95,
        "{round6:?}"
    );
    // Round 7: r7 (Dubai/Lisbon/Miami, USD) and r8 (Medellín/Casablanca/Luanda, USD), each
    // scored once before anyone read it (0.915 and 0.917), then used to fix general rules; see
    // ANALYZER-ROUND7.md.
    let round7 = run_dir(
        &root().join("tests/heldout/round7"),
        &root().join("tests/heldout/round7/catalog.csv"),
    );
    assert!(round7.mean >= 0.96, "{round7:?}");
    let round8 = run_dir(
        &root().join("tests/heldout/round8"),
        &root().join("tests/heldout/round8/catalog.csv"),
    );
    assert!(round8.mean >= 0.93, "{round8:?}");
    // r9 (Amman/Lima/Porto, USD): scored once before anyone read it, 0.924; not tuned on.
    let round9 = run_dir(
        &root().join("tests/heldout/round9"),
        &root().join("tests/heldout/round9/catalog.csv"),
    );
    assert!(round9.mean >= 0.91, "{round9:?}");
    // Round 8 of the rules (issue #11): first runs 0.914 (round10, at d195fcf) and 0.920
    // (round11, at 2e5c3c2); the floors hold what the round's rules reached on them.
    let round10 = run_dir(
        &root().join("tests/heldout/round10"),
        &root().join("tests/heldout/round10/catalog.csv"),
    );
    assert!(round10.mean >= 0.95, "{round10:?}");
    let round11 = run_dir(
        &root().join("tests/heldout/round11"),
        &root().join("tests/heldout/round11/catalog.csv"),
    );
    assert!(round11.mean >= 0.93, "{round11:?}");
}

/// A tiny deterministic PRNG (no extra dependency).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn junk(r: &mut Rng) -> String {
    const POOL: &[&str] = &[
        "$",
        "R$",
        "٢٥",
        "ألف",
        "k",
        "mil",
        "25,000",
        ".",
        ",",
        "?",
        "؟",
        "é",
        "🙏",
        "\u{0301}",
        "\u{064E}",
        "ـ",
        "0",
        "9.9.9",
        "mo",
        "a month",
        "my name is",
        "أنا",
        "soy",
        "Corolla",
        "cr-v",
        "trade in",
        "no",
        "مش",
        "\n",
        " ",
        "x",
        "𝕏",
        "\u{200d}",
        "ß",
        "İ",
    ];
    let n = (r.next() % 40) as usize;
    let mut s = String::new();
    for _ in 0..n {
        if r.next().is_multiple_of(3) {
            if let Some(c) = char::from_u32((r.next() % 0x2FFFF) as u32) {
                s.push(c);
            }
        } else {
            s.push_str(POOL[(r.next() as usize) % POOL.len()]);
            if r.next().is_multiple_of(2) {
                s.push(' ');
            }
        }
    }
    s
}

#[test]
fn never_panics_and_state_stays_bounded() {
    let catalog = Catalog::load(&root().join("../../data/catalog/demo-motors.csv")).unwrap();
    let an = Analyzer::new(Arc::new(Knowledge::builtin()), &catalog);
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut st = AnalyzerState::default();
    let base = jiff::Timestamp::from_second(1_790_000_000).unwrap();
    for i in 0..5000 {
        let m = Message {
            id: MessageId::parse(format!("wamid.{i}")).unwrap(),
            direction: if r.next().is_multiple_of(2) {
                Direction::In
            } else {
                Direction::Out
            },
            timestamp: base + jiff::SignedDuration::from_secs(i * 3600),
            text: Some(junk(&mut r)),
            kind: None,
            status: None,
            detail: None,
        };
        an.observe(&mut st, &m);
    }
    let _ = an.profile(&st, "x", &Default::default());
    let bytes = serde_json::to_vec(&st).unwrap().len();
    assert!(bytes < 16_000, "state is {bytes} bytes");
    let back: AnalyzerState = serde_json::from_slice(&serde_json::to_vec(&st).unwrap()).unwrap();
    assert_eq!(back, st);
}

#[test]
fn incremental_equals_whole() {
    let catalog = Catalog::load(&root().join("../../data/catalog/demo-motors.csv")).unwrap();
    let an = Analyzer::new(Arc::new(Knowledge::builtin()), &catalog);
    let conv =
        Conversation::from_json(&std::fs::read(root().join("../../data/conversations/006.json")).unwrap()).unwrap();
    let whole = an.analyze(&conv, "demo-motors");
    let mut st = AnalyzerState::default();
    for m in &conv.messages {
        // Round-trip through JSON as the service does via Redis.
        st = serde_json::from_slice(&serde_json::to_vec(&st).unwrap()).unwrap();
        an.observe(&mut st, m);
    }
    assert_eq!(an.profile(&st, "demo-motors", &conv.contact), whole);
}
