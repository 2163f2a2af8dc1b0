//! `cargo run -p dossier-analyzer --example probe -- FILE [--catalog CSV]`: quick checks of
//! hand-written cases. Each non-empty line not starting with `#`:
//! `INTENT STAGE | message | A: agent message | message …` (`-` for a field not checked).
//! Prints every case whose intent or stage differs, and the count of passes.
use dossier_analyzer::{Analyzer, Knowledge};
use dossier_core::{Catalog, Conversation, ConversationContact, Direction, Message, MessageId};
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut cat = "data/catalog/demo-motors.csv".to_owned();
    let mut file = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--catalog" {
            if let Some(c) = it.next() {
                cat = c.clone();
            }
        } else {
            file = Some(a.clone());
        }
    }
    let Some(file) = file else {
        eprintln!("usage: probe FILE [--catalog CSV]");
        std::process::exit(2);
    };
    let catalog = Catalog::load(std::path::Path::new(&cat)).unwrap_or_default();
    let an = Analyzer::new(Arc::new(Knowledge::builtin()), &catalog);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let base = jiff::Timestamp::from_second(1_790_000_000).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let (mut pass, mut total) = (0, 0);
    for (ln, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split(" | ").collect();
        let mut head = parts[0].split_whitespace();
        let (want_i, want_s) = (head.next().unwrap_or("-"), head.next().unwrap_or("-"));
        // Optional `i=make model;make model` (interests, any order; `i=` for none).
        let want_int: Option<Vec<String>> = head.collect::<Vec<_>>().join(" ").strip_prefix("i=").map(|l| {
            let mut v: Vec<String> = l
                .split(';')
                .map(|x| x.trim().to_lowercase())
                .filter(|x| !x.is_empty())
                .collect();
            v.sort();
            v
        });
        let messages = parts[1..]
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let (dir, t) = match t.strip_prefix("A: ") {
                    Some(t) => (Direction::Out, t),
                    None => (Direction::In, *t),
                };
                Message {
                    id: MessageId::parse(format!("m{i}")).unwrap_or_else(|_| unreachable!()),
                    direction: dir,
                    timestamp: base + jiff::SignedDuration::from_secs(60 * i as i64),
                    text: Some(t.to_owned()),
                    kind: None,
                    status: None,
                    detail: None,
                }
            })
            .collect();
        let conv = Conversation {
            company: None,
            contact: ConversationContact::default(),
            messages,
        };
        let p = an.analyze(&conv, "probe");
        let mut got_int: Vec<String> = p
            .interests
            .iter()
            .map(|i| format!("{} {}", i.make, i.model).to_lowercase())
            .collect();
        got_int.sort();
        let gi = p.intent.map(|f| f.value).unwrap_or_default();
        let gs = p.stage.map(|f| f.value).unwrap_or_default();
        total += 1;
        let ok_i = want_i == "-" || want_i == gi;
        let ok_s = want_s == "-" || want_s == gs;
        let ok_int = want_int.as_ref().is_none_or(|w| *w == got_int);
        if ok_i && ok_s && ok_int {
            pass += 1;
        } else {
            println!(
                "line {}: want {want_i}/{want_s} {want_int:?} got {gi}/{gs} {got_int:?}\n    {}",
                ln + 1,
                parts[1..].join(" | ")
            );
        }
    }
    println!("{pass} of {total} pass");
}
