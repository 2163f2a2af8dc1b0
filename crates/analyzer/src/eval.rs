//! Scoring profiles against human labels (docs/conversation-and-profile.md §5).
//!
//! Accuracy for categorical fields, exact match for name/email/budget, and micro-averaged
//! precision/recall/F1 for interests; the mean is over the per-field scores.

use dossier_core::Profile;
use dossier_core::text::fold;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelBudget {
    pub amount: Decimal,
    pub currency: String,
    pub period: String,
}

/// What a careful human read in a conversation (`NAME.labels.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labels {
    pub stage: String,
    pub intent: String,
    pub language: Option<String>,
    #[serde(default)]
    pub interests: Vec<String>,
    pub budget: Option<LabelBudget>,
    #[serde(default)]
    pub financing: bool,
    #[serde(default)]
    pub trade_in: bool,
    pub name: Option<String>,
    pub email: Option<String>,
    pub urgency: String,
    pub sentiment: String,
    #[serde(default)]
    pub returning: bool,
}

/// The fields, in table order.
pub const FIELDS: [&str; 13] = [
    "stage",
    "intent",
    "language",
    "interests",
    "budget",
    "financing",
    "trade_in",
    "name",
    "email",
    "urgency",
    "sentiment",
    "returning",
    "mean",
];

fn norm(s: &str) -> String {
    fold(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn norm_compact(s: &str) -> String {
    fold(s).chars().filter(|c| !c.is_whitespace()).collect()
}

/// The score of one conversation: per field, hits/total (interests: tp/fp/fn).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Score {
    /// field -> 1.0 (match) or 0.0
    pub exact: BTreeMap<String, f64>,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    /// field -> (expected, got) for the mismatches.
    pub misses: BTreeMap<String, (String, String)>,
}

fn enum_str<T: Serialize>(v: &Option<T>) -> String {
    v.as_ref()
        .and_then(|x| serde_json::to_value(x).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Scores one profile against its labels.
pub fn score(p: &Profile, l: &Labels) -> Score {
    let mut s = Score::default();
    let put = |s: &mut Score, field: &str, expected: String, got: String, ok: bool| {
        s.exact.insert(field.to_owned(), if ok { 1.0 } else { 0.0 });
        if !ok {
            s.misses.insert(field.to_owned(), (expected, got));
        }
    };
    let stage = p.stage.as_ref().map(|f| f.value.clone()).unwrap_or_default();
    put(&mut s, "stage", l.stage.clone(), stage.clone(), stage == l.stage);
    let intent = p.intent.as_ref().map(|f| f.value.clone()).unwrap_or_default();
    put(&mut s, "intent", l.intent.clone(), intent.clone(), intent == l.intent);
    let lang = p.contact.language.clone().unwrap_or_default();
    let el = l.language.clone().unwrap_or_default();
    put(&mut s, "language", el.clone(), lang.clone(), lang == el);
    let budget_got = p.budget.as_ref().map(|b| {
        let per = serde_json::to_value(b.period)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        (b.amount.normalize(), b.currency.to_string(), per)
    });
    let budget_exp = l
        .budget
        .as_ref()
        .map(|b| (b.amount.normalize(), b.currency.to_uppercase(), b.period.clone()));
    put(
        &mut s,
        "budget",
        format!("{budget_exp:?}"),
        format!("{budget_got:?}"),
        budget_got == budget_exp,
    );
    let fin = p.financing.as_ref().is_some_and(|f| f.interested);
    put(
        &mut s,
        "financing",
        l.financing.to_string(),
        fin.to_string(),
        fin == l.financing,
    );
    let tr = p.trade_in.as_ref().is_some_and(|t| t.has);
    put(
        &mut s,
        "trade_in",
        l.trade_in.to_string(),
        tr.to_string(),
        tr == l.trade_in,
    );
    let name = p.contact.name.as_deref().map(norm_compact);
    put(
        &mut s,
        "name",
        format!("{:?}", l.name),
        format!("{:?}", p.contact.name),
        name == l.name.as_deref().map(norm_compact),
    );
    let email = p.contact.email.as_deref().map(norm_compact);
    put(
        &mut s,
        "email",
        format!("{:?}", l.email),
        format!("{:?}", p.contact.email),
        email == l.email.as_deref().map(norm_compact),
    );
    let urg = enum_str(&p.urgency);
    put(&mut s, "urgency", l.urgency.clone(), urg.clone(), urg == l.urgency);
    let sen = enum_str(&p.sentiment);
    put(
        &mut s,
        "sentiment",
        l.sentiment.clone(),
        sen.clone(),
        sen == l.sentiment,
    );
    put(
        &mut s,
        "returning",
        l.returning.to_string(),
        p.returning.to_string(),
        p.returning == l.returning,
    );
    let got: Vec<String> = p
        .interests
        .iter()
        .map(|i| norm(&format!("{} {}", i.make, i.model)))
        .collect();
    let exp: Vec<String> = l.interests.iter().map(|i| norm(i)).collect();
    s.tp = got.iter().filter(|g| exp.contains(g)).count();
    s.fp = got.len() - s.tp;
    s.fn_ = exp.iter().filter(|e| !got.contains(e)).count();
    if s.fp + s.fn_ > 0 {
        s.misses
            .insert("interests".into(), (format!("{exp:?}"), format!("{got:?}")));
    }
    s
}

/// Per-field results over many conversations.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Table {
    pub n: usize,
    pub fields: BTreeMap<String, f64>,
    pub interests_precision: f64,
    pub interests_recall: f64,
    pub mean: f64,
}

/// Aggregates scores: mean accuracy per field, micro F1 for interests, and the mean of fields.
pub fn aggregate(scores: &[Score]) -> Table {
    let mut t = Table {
        n: scores.len(),
        ..Default::default()
    };
    if scores.is_empty() {
        return t;
    }
    for f in FIELDS.iter().filter(|f| **f != "interests" && **f != "mean") {
        let sum: f64 = scores.iter().map(|s| s.exact.get(*f).copied().unwrap_or(0.0)).sum();
        t.fields.insert((*f).to_owned(), sum / scores.len() as f64);
    }
    let (tp, fp, fn_) = scores
        .iter()
        .fold((0, 0, 0), |a, s| (a.0 + s.tp, a.1 + s.fp, a.2 + s.fn_));
    let p = if tp + fp == 0 {
        1.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let r = if tp + fn_ == 0 {
        1.0
    } else {
        tp as f64 / (tp + fn_) as f64
    };
    let f1 = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
    t.interests_precision = p;
    t.interests_recall = r;
    t.fields.insert("interests".into(), f1);
    t.mean = t.fields.values().sum::<f64>() / t.fields.len() as f64;
    t
}

/// A printable table.
pub fn render(t: &Table) -> String {
    let mut s = format!("{:<12} {:>6}\n", "field", "score");
    for f in FIELDS.iter().filter(|f| **f != "mean") {
        let v = t.fields.get(*f).copied().unwrap_or(0.0);
        s.push_str(&format!("{f:<12} {v:>6.3}\n"));
    }
    s.push_str(&format!(
        "{:<12} {:>6.3}   (interests P {:.3} R {:.3}, n = {})\n",
        "mean", t.mean, t.interests_precision, t.interests_recall, t.n
    ));
    s
}
