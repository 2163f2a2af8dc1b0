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
    /// Company-defined fields: name → the value (`null`: the conversation does not show one).
    /// Scored only where labels carry them, apart from the mean.
    #[serde(default)]
    pub custom: BTreeMap<String, Option<String>>,
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
    /// (expected, predicted) stage and intent, for the confusion matrices.
    pub pairs: BTreeMap<String, (String, String)>,
    /// (field, stated confidence, right?) for every value the profile states a confidence for.
    pub confidences: Vec<(String, f64, bool)>,
    /// Company-defined field → right?, for the fields the labels carry.
    pub custom: BTreeMap<String, bool>,
}

/// Stated confidence of the profile's signal of a kind.
fn signal_conf(p: &Profile, kind: &str) -> Option<f64> {
    p.signals
        .iter()
        .find(|s| s.kind == kind)
        .map(|s| f64::from(s.confidence))
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
    for (name, expected) in &l.custom {
        let got = p.custom.get(name).map(|f| f.value.clone());
        let ok = got.as_deref().map(str::to_lowercase) == expected.as_deref().map(str::to_lowercase);
        if !ok {
            s.misses
                .insert(format!("custom.{name}"), (format!("{expected:?}"), format!("{got:?}")));
        }
        s.custom.insert(name.clone(), ok);
    }
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
    // Confusion pairs and stated confidences.
    s.pairs.insert("stage".into(), (l.stage.clone(), stage.clone()));
    s.pairs.insert("intent".into(), (l.intent.clone(), intent.clone()));
    let ok = |s: &Score, f: &str| s.exact.get(f).copied().unwrap_or(0.0) > 0.5;
    let mut conf: Vec<(String, f64, bool)> = Vec::new();
    if let Some(f) = &p.stage {
        conf.push(("stage".into(), f64::from(f.confidence), ok(&s, "stage")));
    }
    if let Some(f) = &p.intent {
        conf.push(("intent".into(), f64::from(f.confidence), ok(&s, "intent")));
    }
    let stated = [
        ("budget", p.budget.is_some()),
        ("name", p.contact.name.is_some()),
        ("sentiment", p.sentiment.is_some()),
        ("urgency", p.urgency.is_some()),
        ("financing", p.financing.is_some()),
        ("trade_in", p.trade_in.is_some()),
    ];
    for (field, present) in stated {
        if present && let Some(c) = signal_conf(p, field) {
            conf.push((field.into(), c, ok(&s, field)));
        }
    }
    let exp_interests: Vec<String> = l.interests.iter().map(|i| norm(i)).collect();
    for sig in p.signals.iter().filter(|g| g.kind == "interest") {
        let name = format!(
            "{} {}",
            sig.value.get("make").and_then(|v| v.as_str()).unwrap_or(""),
            sig.value.get("model").and_then(|v| v.as_str()).unwrap_or("")
        );
        conf.push((
            "interests".into(),
            f64::from(sig.confidence),
            exp_interests.contains(&norm(&name)),
        ));
    }
    s.confidences = conf;
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
    /// Confusion matrices of `stage` and `intent` (rows: label, columns: prediction).
    pub confusion: BTreeMap<String, Confusion>,
    /// Reliability of the stated confidences, per field and `all` pooled.
    pub calibration: BTreeMap<String, Calibration>,
    /// Company-defined field → (accuracy, conversations whose labels carry it).
    pub custom: BTreeMap<String, (f64, usize)>,
}

/// A confusion matrix: `counts[i][j]` conversations labelled `labels[i]` predicted `labels[j]`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Confusion {
    pub labels: Vec<String>,
    pub counts: Vec<Vec<usize>>,
}

/// One confidence bin of a reliability table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
    /// Mean stated confidence in the bin.
    pub confidence: f64,
    /// Share of the bin's values that were right.
    pub accuracy: f64,
}

/// How accuracy tracks the stated confidence for one field.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Calibration {
    pub n: usize,
    pub mean_confidence: f64,
    pub accuracy: f64,
    /// Expected calibration error: Σ (n_bin / n) · |accuracy_bin − confidence_bin|.
    pub ece: f64,
    pub bins: Vec<Bin>,
}

/// Bins of width 0.1 (the last one closed at 1.0); empty bins are left out.
pub fn calibrate(values: &[(f64, bool)]) -> Calibration {
    let mut c = Calibration {
        n: values.len(),
        ..Default::default()
    };
    if values.is_empty() {
        return c;
    }
    let n = values.len() as f64;
    c.mean_confidence = values.iter().map(|v| v.0).sum::<f64>() / n;
    c.accuracy = values.iter().filter(|v| v.1).count() as f64 / n;
    for b in 0..10 {
        let (lo, hi) = (b as f64 / 10.0, (b + 1) as f64 / 10.0);
        let inb: Vec<&(f64, bool)> = values
            .iter()
            .filter(|v| ((v.0 * 10.0).floor() as i64).clamp(0, 9) == b)
            .collect();
        if inb.is_empty() {
            continue;
        }
        let k = inb.len() as f64;
        let conf = inb.iter().map(|v| v.0).sum::<f64>() / k;
        let acc = inb.iter().filter(|v| v.1).count() as f64 / k;
        c.ece += k / n * (acc - conf).abs();
        c.bins.push(Bin {
            lo,
            hi,
            n: inb.len(),
            confidence: conf,
            accuracy: acc,
        });
    }
    c
}

fn confusion(scores: &[Score], field: &str, order: &[&str]) -> Confusion {
    let pairs: Vec<&(String, String)> = scores.iter().filter_map(|s| s.pairs.get(field)).collect();
    let mut labels: Vec<String> = order
        .iter()
        .filter(|o| pairs.iter().any(|(e, g)| e == *o || g == *o))
        .map(|o| (*o).to_owned())
        .collect();
    for (e, g) in &pairs {
        for x in [e, g] {
            if !labels.contains(x) {
                labels.push(x.clone());
            }
        }
    }
    let idx = |x: &str| labels.iter().position(|l| l == x).unwrap_or(0);
    let mut counts = vec![vec![0usize; labels.len()]; labels.len()];
    for (e, g) in pairs {
        counts[idx(e)][idx(g)] += 1;
    }
    Confusion { labels, counts }
}

const STAGES: [&str; 6] = [
    "first_inquiry",
    "exploring",
    "comparing",
    "negotiating",
    "ready_to_buy",
    "support",
];
const INTENTS: [&str; 13] = [
    "greeting",
    "availability",
    "price",
    "features",
    "comparison",
    "financing",
    "trade_in",
    "test_drive",
    "reservation",
    "documents",
    "complaint",
    "service",
    "other",
];

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
    t.confusion.insert("stage".into(), confusion(scores, "stage", &STAGES));
    t.confusion
        .insert("intent".into(), confusion(scores, "intent", &INTENTS));
    let mut by_field: BTreeMap<String, Vec<(f64, bool)>> = BTreeMap::new();
    for s in scores {
        for (f, c, ok) in &s.confidences {
            by_field.entry(f.clone()).or_default().push((*c, *ok));
            by_field.entry("all".into()).or_default().push((*c, *ok));
        }
    }
    t.calibration = by_field.into_iter().map(|(f, v)| (f, calibrate(&v))).collect();
    let mut custom: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for s in scores {
        for (f, ok) in &s.custom {
            let e = custom.entry(f.clone()).or_default();
            e.0 += usize::from(*ok);
            e.1 += 1;
        }
    }
    t.custom = custom
        .into_iter()
        .map(|(f, (ok, n))| (f, (ok as f64 / n as f64, n)))
        .collect();
    t
}

fn short(label: &str) -> String {
    let s: String = label.chars().take(5).collect();
    s
}

/// The confusion matrix as text (rows: label, columns: prediction; `.` for zero).
pub fn render_confusion(name: &str, c: &Confusion) -> String {
    let mut s = format!("{name} confusion (rows: label, columns: predicted)\n{:<14}", "");
    for l in &c.labels {
        s.push_str(&format!(" {:>5}", short(l)));
    }
    s.push('\n');
    for (i, l) in c.labels.iter().enumerate() {
        s.push_str(&format!("{l:<14}"));
        for n in &c.counts[i] {
            if *n == 0 {
                s.push_str(&format!(" {:>5}", "."));
            } else {
                s.push_str(&format!(" {n:>5}"));
            }
        }
        s.push('\n');
    }
    s
}

/// The reliability table as text: per field n, mean confidence, accuracy, ECE; then the bins
/// of all fields pooled.
pub fn render_calibration(cal: &BTreeMap<String, Calibration>) -> String {
    let mut s = format!(
        "calibration (stated confidence vs accuracy)\n{:<12} {:>5} {:>6} {:>6} {:>6}\n",
        "field", "n", "conf", "acc", "ece"
    );
    for (f, c) in cal.iter().filter(|(f, _)| f.as_str() != "all") {
        s.push_str(&format!(
            "{f:<12} {:>5} {:>6.3} {:>6.3} {:>6.3}\n",
            c.n, c.mean_confidence, c.accuracy, c.ece
        ));
    }
    if let Some(all) = cal.get("all") {
        s.push_str(&format!(
            "{:<12} {:>5} {:>6.3} {:>6.3} {:>6.3}\n",
            "all", all.n, all.mean_confidence, all.accuracy, all.ece
        ));
        s.push_str(&format!("{:<12} {:>5} {:>6} {:>6}\n", "bin (all)", "n", "conf", "acc"));
        for b in &all.bins {
            s.push_str(&format!(
                "{:<12} {:>5} {:>6.3} {:>6.3}\n",
                format!("[{:.1},{:.1})", b.lo, b.hi),
                b.n,
                b.confidence,
                b.accuracy
            ));
        }
    }
    s
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
    for f in ["stage", "intent"] {
        if let Some(c) = t.confusion.get(f).filter(|c| !c.labels.is_empty()) {
            s.push('\n');
            s.push_str(&render_confusion(f, c));
        }
    }
    if !t.calibration.is_empty() {
        s.push('\n');
        s.push_str(&render_calibration(&t.calibration));
    }
    if !t.custom.is_empty() {
        s.push_str(&format!(
            "\ncompany fields (not in the mean)\n{:<20} {:>5} {:>6}\n",
            "field", "n", "score"
        ));
        for (f, (acc, n)) in &t.custom {
            s.push_str(&format!("{f:<20} {n:>5} {acc:>6.3}\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_bins_and_ece() {
        let v = [(0.95, true), (0.95, true), (0.65, true), (0.65, false), (0.35, false)];
        let c = calibrate(&v);
        assert_eq!(c.n, 5);
        assert_eq!(c.bins.len(), 3);
        assert!((c.accuracy - 0.6).abs() < 1e-9);
        // |1-0.95|*2/5 + |0.5-0.65|*2/5 + |0-0.35|*1/5 = 0.02 + 0.06 + 0.07
        assert!((c.ece - 0.15).abs() < 1e-9, "{}", c.ece);
        assert_eq!(calibrate(&[(1.0, true)]).bins[0].lo, 0.9);
    }

    #[test]
    fn confusion_counts_and_renders() {
        let mut a = Score::default();
        a.pairs.insert("stage".into(), ("negotiating".into(), "support".into()));
        let mut b = Score::default();
        b.pairs
            .insert("stage".into(), ("negotiating".into(), "negotiating".into()));
        let c = confusion(&[a, b], "stage", &STAGES);
        assert_eq!(c.labels, ["negotiating", "support"]);
        assert_eq!(c.counts, vec![vec![1, 1], vec![0, 0]]);
        let text = render_confusion("stage", &c);
        assert!(text.contains("negotiating"), "{text}");
        let t = Table {
            confusion: [("stage".to_owned(), c)].into_iter().collect(),
            ..Default::default()
        };
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["confusion"]["stage"]["counts"][0][1], 1);
        assert!(render(&t).contains("stage confusion"));
    }
}
