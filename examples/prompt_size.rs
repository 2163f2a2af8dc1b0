//! Prompt size against conversation length: the rolling window keeps the analyze prompt about
//! the same size at 1,000 messages as at 100.
//!
//! Run with `cargo run --release --example prompt_size`. For each size it replays a synthetic
//! en/es conversation message by message as the worker would (the window is re-selected on every
//! arrival and the rolling summary folds in what ages out), then renders the real analyze prompt
//! and prints its estimated tokens.

use dossier::analysis::AnalysisInput;
use dossier::analysis::prompt::render_analyze;
use dossier::analysis::window::{RollingSummary, estimate_tokens, fold, message_tokens, select_recent};
use dossier_core::profile::{Profile, STAGES};
use dossier_core::{Direction, Message, MessageId};
use std::time::Instant;

/// Tokens of recent messages shown verbatim.
const RECENT_BUDGET: usize = 1_500;
/// Tokens the rolling summary may take.
const SUMMARY_MAX: usize = 400;

const CUSTOMER: [&str; 16] = [
    "Hi, do you have the Corolla 2022 in stock?",
    "Hola, ¿tienen la RAV4 híbrida?",
    "What would the monthly payment be over 60 months?",
    "Mi presupuesto es de 25,000 dólares, ¿qué opciones hay?",
    "Can I trade in my 2015 Civic?",
    "¿Puedo agendar una prueba de manejo el sábado?",
    "ok thanks",
    "gracias",
    "Is the warranty transferable?",
    "¿Cuánto es el enganche mínimo?",
    "I saw a better price at the other dealer, can you match it?",
    "Me interesa más la versión XLE, ¿cuál es la diferencia?",
    "What colors are available?",
    "¿Aceptan tarjeta para el apartado?",
    "I need it before the end of the month.",
    "Perfecto, lo platico con mi esposa y les aviso.",
];

const AGENT: [&str; 8] = [
    "Sure! We have two units available at our Polanco branch.",
    "¡Claro! Tenemos tres unidades disponibles.",
    "Let me check that for you.",
    "Con gusto le comparto la cotización.",
    "Yes, we accept trade-ins; we can appraise it when you visit.",
    "El sábado tenemos disponibilidad a las 11 y a las 4.",
    "The warranty is 3 years or 60,000 km.",
    "Le envío las opciones de financiamiento en un momento.",
];

fn conversation(n: usize) -> Vec<Message> {
    let mut seed: u64 = 0x5eed_1234;
    let mut next = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let start = 1_790_000_000i64;
    (0..n)
        .map(|i| {
            let inbound = i % 2 == 0 || next() % 5 == 0;
            let text = if inbound {
                CUSTOMER[next() % CUSTOMER.len()]
            } else {
                AGENT[next() % AGENT.len()]
            };
            Message {
                id: MessageId::parse(format!("wamid.HBgN{i:06}")).expect("valid id"),
                direction: if inbound { Direction::In } else { Direction::Out },
                timestamp: jiff::Timestamp::from_second(start + i as i64 * 300).expect("valid time"),
                text: Some(text.to_owned()),
                kind: None,
                status: None,
                detail: None,
            }
        })
        .collect()
}

fn main() {
    let stages: Vec<String> = STAGES.iter().map(|s| s.to_string()).collect();
    let catalog: Vec<String> = [
        "Toyota Corolla",
        "Toyota RAV4",
        "Toyota Camry",
        "Honda Civic",
        "Honda CR-V",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut profile = Profile::empty("demo-motors", Some("5215512345678"));
    profile.contact.language = Some("es".into());

    println!("budget: recent {RECENT_BUDGET} tokens, summary ≤ {SUMMARY_MAX} tokens");
    println!(
        "{:>9} {:>8} {:>8} {:>9} {:>9} {:>10} {:>9}",
        "messages", "recent", "folded", "summary", "recent_t", "prompt_t", "fold_ms"
    );
    let mut sizes = Vec::new();
    for n in [10usize, 100, 1_000] {
        let msgs = conversation(n);
        let mut summary = RollingSummary::default();
        let started = Instant::now();
        for k in 1..=msgs.len() {
            let (folded, _) = select_recent(&msgs[..k], RECENT_BUDGET);
            summary = fold(&summary, folded, SUMMARY_MAX);
        }
        let fold_ms = started.elapsed().as_secs_f64() * 1000.0;
        let (folded, recent) = select_recent(&msgs, RECENT_BUDGET);
        let input = AnalysisInput {
            templates: dossier::templates::Templates::embedded(),
            company_name: "Demo Motors",
            profile: &profile,
            summary: summary.as_prompt_text(),
            recent,
            stages: &stages,
            catalog_models: &catalog,
            fields: &[],
        };
        let (system, user) = match render_analyze(&input) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("render failed: {e}");
                std::process::exit(1);
            }
        };
        let prompt_tokens = estimate_tokens(&system) + estimate_tokens(&user);
        let recent_tokens: usize = recent.iter().map(message_tokens).sum();
        println!(
            "{:>9} {:>8} {:>8} {:>9} {:>9} {:>10} {:>9.1}",
            n,
            recent.len(),
            folded.len(),
            estimate_tokens(&summary.text),
            recent_tokens,
            prompt_tokens,
            fold_ms
        );
        sizes.push(prompt_tokens);
    }
    let ratio = sizes[2] as f64 / sizes[1] as f64;
    println!("prompt tokens at 1,000 / at 100 = {ratio:.3} (target ≤ 1.2)");
    if ratio > 1.2 {
        std::process::exit(1);
    }
}
