//! Open questions, objections, a short extractive summary, the next best action and signals.
//!
//! The summary is built from the facts already extracted plus the latest customer request in
//! their own words, so it stays short and never says more than the messages do.

use crate::stage::{self};
use crate::state::{AnalyzerState, MAX_NOTES, NoteState, push_capped};
use crate::{Analyzer, Msg};
use dossier_core::Message;
use dossier_core::money::format_amount;
use dossier_core::profile::{BudgetPeriod, Note, Profile, Signal};
use serde_json::json;

const MAX_NOTE_CHARS: usize = 140;

fn clip(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(MAX_NOTE_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Splits raw text into sentences, keeping the end mark.
fn sentences(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if matches!(c, '?' | '؟' | '!' | '.' | '\n') {
            let end = i + c.len_utf8();
            let piece = s[start..end].trim();
            if piece.chars().any(char::is_alphanumeric) {
                out.push(piece);
            }
            start = end;
        }
    }
    let tail = s[start..].trim();
    if tail.chars().any(char::is_alphanumeric) {
        out.push(tail);
    }
    out
}

pub(crate) fn observe(an: &Analyzer, st: &mut AnalyzerState, msg: &Message, m: &Msg) {
    for s in sentences(m.raw) {
        if s.ends_with('?') || s.ends_with('؟') {
            push_capped(
                &mut st.open_questions,
                NoteState {
                    text: clip(s),
                    evidence: msg.id.clone(),
                },
                MAX_NOTES,
            );
        }
    }
    if m.has_pos(an, "objection.cue") {
        let text = sentences(m.raw)
            .into_iter()
            .find(|s| {
                let f = dossier_core::text::fold(s);
                an.knowledge
                    .cues("objection.cue")
                    .iter()
                    .any(|c| f.contains(&dossier_core::text::fold(c)))
            })
            .unwrap_or(m.raw);
        push_capped(
            &mut st.objections,
            NoteState {
                text: clip(text),
                evidence: msg.id.clone(),
            },
            MAX_NOTES,
        );
    }
    // The latest customer request in their words: a question, else a substantive sentence.
    let best = sentences(m.raw)
        .into_iter()
        .filter(|s| s.split_whitespace().count() >= 3)
        .max_by_key(|s| (s.ends_with('?') || s.ends_with('؟'), s.len().min(100)));
    if let Some(b) = best {
        push_capped(
            &mut st.highlights,
            NoteState {
                text: clip(b),
                evidence: msg.id.clone(),
            },
            2,
        );
    }
}

fn notes(v: &[NoteState]) -> Vec<Note> {
    v.iter()
        .map(|n| Note {
            text: n.text.clone(),
            evidence: vec![n.evidence.clone()],
        })
        .collect()
}

pub(crate) fn fill(an: &Analyzer, st: &AnalyzerState, p: &mut Profile) {
    p.open_questions = notes(&st.open_questions);
    p.objections = notes(&st.objections);
    if st.messages_in == 0 {
        return;
    }
    let who = p.contact.name.clone().unwrap_or_else(|| "The customer".to_owned());
    let stage = p.stage.as_ref().map(|s| s.value.replace('_', " ")).unwrap_or_default();
    let mut parts = vec![format!("{who} ({stage})")];
    let items: Vec<String> = p.interests.iter().take(3).map(|i| i.item.clone()).collect();
    if !items.is_empty() {
        parts.push(format!("wants {}", items.join(" / ")));
    }
    if let Some(b) = &p.budget {
        let per = if b.period == BudgetPeriod::Monthly {
            "/month"
        } else {
            ""
        };
        parts.push(format!("budget {} {}{per}", format_amount(b.amount), b.currency));
    }
    if p.financing.as_ref().is_some_and(|f| f.interested) {
        parts.push("wants financing".into());
    }
    if let Some(t) = p.trade_in.as_ref().filter(|t| t.has) {
        parts.push(match &t.description {
            Some(d) => format!("trade-in {d}"),
            None => "has a trade-in".into(),
        });
    }
    if p.urgency == Some(dossier_core::profile::Urgency::High) {
        parts.push("has a deadline".into());
    }
    let mut s = parts.join(", ");
    s.push('.');
    if let Some(h) = st.highlights.last() {
        s.push_str(&format!(" Latest: \"{}\"", h.text));
    }
    p.summary = Some(s);
    let intent = p
        .intent
        .as_ref()
        .map(|i| i.value.clone())
        .unwrap_or_else(|| "greeting".into());
    let item = p
        .leading_interest()
        .map(|i| i.item.clone())
        .unwrap_or_else(|| "the vehicle".into());
    p.next_best_action = an
        .knowledge
        .map("actions")
        .and_then(|a| a.get(&intent))
        .map(|t| t.replace("{item}", &item).replace("{stage}", &stage));
    let _ = stage::SUPPORT;
}

/// The raw observations behind the profile, with provenance.
pub(crate) fn signals(an: &Analyzer, st: &AnalyzerState, contact_named: bool, p: &mut Profile) {
    let conf = |class: &str| stage::round2(an.confidence(class));
    let Some(at) = st.last_seen else { return };
    let mut out = Vec::new();
    let mut push =
        |kind: &str, value: serde_json::Value, confidence: f32, evidence: Vec<dossier_core::MessageId>, observed_at| {
            out.push(Signal {
                kind: kind.to_owned(),
                value,
                confidence,
                source: "builtin".into(),
                evidence,
                observed_at,
            });
        };
    if let Some(s) = &p.stage {
        push(
            "stage",
            json!(s.value),
            s.confidence,
            s.evidence.clone(),
            s.since.unwrap_or(at),
        );
    }
    if let Some(i) = &p.intent {
        push("intent", json!(i.value), i.confidence, i.evidence.clone(), at);
    }
    for i in &p.interests {
        push(
            "interest",
            json!({"make": i.make, "model": i.model, "year": i.year}),
            conf(if i.mentions >= 2 {
                "interest.repeated"
            } else {
                "interest.single"
            }),
            i.evidence.clone(),
            i.last_mentioned.unwrap_or(at),
        );
    }
    if let (Some(b), Some(pb)) = (&st.budget, &p.budget) {
        push(
            "budget",
            json!({"amount": b.amount.to_string(), "currency": pb.currency.as_str(), "monthly": b.monthly}),
            conf(match (b.cued, b.monthly) {
                (true, false) => "budget.cue_total",
                (true, true) => "budget.cue_monthly",
                (false, _) => "budget.answer",
            }),
            vec![b.evidence.clone()],
            b.at,
        );
    }
    if let Some(f) = &p.financing {
        push(
            "financing",
            json!({"interested": f.interested, "term_months": f.term_months}),
            conf("financing.stated"),
            f.evidence.clone(),
            at,
        );
    }
    if let Some(t) = &p.trade_in {
        push(
            "trade_in",
            json!({"has": t.has, "description": t.description}),
            conf("trade_in.stated"),
            t.evidence.clone(),
            at,
        );
    }
    match (&st.urgency, &p.urgency) {
        (Some((u, id)), _) => push("urgency", json!(u), conf("urgency.stated"), vec![id.clone()], at),
        (None, Some(u)) => push("urgency", json!(u), conf("urgency.default"), Vec::new(), at),
        _ => {}
    }
    if let Some(s) = &p.sentiment {
        let strength = st.sentiment.abs();
        let class = if strength >= 2.0 {
            "sentiment.strong"
        } else if strength >= an.tuning("sentiment.threshold", crate::mood::THRESHOLD) {
            "sentiment.mild"
        } else if st.sentiment_evidence.is_empty() {
            "sentiment.no_cue"
        } else {
            "sentiment.weak_cues"
        };
        push("sentiment", json!(s), conf(class), st.sentiment_evidence.clone(), at);
    }
    if let Some((n, id)) = &st.name {
        let class = if n.split_whitespace().count() >= 2 {
            "name.text_full"
        } else {
            "name.text_first"
        };
        push("name", json!(n), conf(class), vec![id.clone()], at);
    } else if let Some(n) = p.contact.name.as_ref().filter(|_| contact_named) {
        push("name", json!(n), conf("name.profile"), Vec::new(), at);
    }
    if let Some((e, id)) = &st.email {
        push("email", json!(e), conf("email.text"), vec![id.clone()], at);
    }
    p.signals = out;
}
