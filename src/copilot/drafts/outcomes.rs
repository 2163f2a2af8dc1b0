//! What became of each draft, counted so a company can see how often its agents send drafts as
//! written: approved as is, edited then sent (and how much: the character edit distance),
//! discarded, superseded by a newer customer message; and the agents' thumbs up or down. Each
//! outcome is counted once, where the draft's status changes compare-and-set, per company,
//! language and intent, in Prometheus (`dossier_draft_outcomes_total`,
//! `dossier_draft_edit_chars_total`, `dossier_draft_feedback_total`) and in the store (the
//! company's `drafts` counters), which `GET /v1/companies/{c}/drafts/stats` reads.

use super::Draft;
use crate::state::App;
use dossier_core::{CompanyId, ContactId};
use serde::Serialize;
use std::collections::BTreeMap;

const COUNTERS: &str = "drafts";
/// How long a vote mark is kept: one vote per draft.
const VOTE_TTL_SECS: u64 = 90 * 24 * 3600;

/// What became of a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Approved,
    Edited { distance: usize },
    Discarded,
    Superseded,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::Edited { .. } => "edited",
            Outcome::Discarded => "discarded",
            Outcome::Superseded => "superseded",
        }
    }

    /// Approved when the text sent is the draft's, edited (with the distance) otherwise.
    pub fn sent(drafted: &str, sent: &str) -> Outcome {
        if drafted.trim() == sent.trim() {
            Outcome::Approved
        } else {
            Outcome::Edited {
                distance: edit_distance(drafted.trim(), sent.trim()),
            }
        }
    }
}

/// Label values are bounded: a language code or intent the composer does not know is `other`.
fn label(v: &str) -> String {
    if !v.is_empty() && v.len() <= 16 && v.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        v.to_owned()
    } else {
        "other".into()
    }
}

/// Counts `outcome` for draft `d` of `company`. A store failure is logged, never raised: the
/// agent's action has happened whatever the counters say.
pub async fn record(app: &App, company: &CompanyId, d: &Draft, outcome: Outcome) {
    let (lang, intent) = (label(&d.language), label(&d.intent));
    let labels = [
        ("company", company.to_string()),
        ("language", lang.clone()),
        ("intent", intent.clone()),
    ];
    let mut with_outcome = labels.to_vec();
    with_outcome.push(("outcome", outcome.as_str().to_owned()));
    metrics::counter!("dossier_draft_outcomes_total", &with_outcome).increment(1);
    let mut fields = vec![(format!("o|{}|{lang}|{intent}", outcome.as_str()), 1)];
    if let Outcome::Edited { distance } = outcome {
        metrics::counter!("dossier_draft_edit_chars_total", &labels).increment(distance as u64);
        fields.push((format!("e|{lang}|{intent}"), distance as i64));
    }
    if let Err(e) = app.store.incr_counters(company, COUNTERS, &fields).await {
        tracing::warn!(error = %e, "draft outcome not counted");
    }
}

/// An agent's thumbs up (`true`) or down on draft `d`; the first vote on a draft counts, later
/// ones do not. Returns whether this vote counted.
pub async fn vote(app: &App, company: &CompanyId, contact: &ContactId, d: &Draft, up: bool) -> bool {
    let mark = format!("vote:{}:{}", contact.as_str(), d.seq);
    match app.store.claim_kv(company, &mark, VOTE_TTL_SECS).await {
        Ok(true) => {}
        Ok(false) => return false,
        Err(e) => {
            tracing::warn!(error = %e, "draft vote not counted");
            return false;
        }
    }
    let (lang, intent) = (label(&d.language), label(&d.intent));
    let v = if up { "up" } else { "down" };
    metrics::counter!("dossier_draft_feedback_total", "company" => company.to_string(),
        "language" => lang.clone(), "intent" => intent.clone(), "vote" => v)
    .increment(1);
    if let Err(e) = app
        .store
        .incr_counters(company, COUNTERS, &[(format!("f|{v}|{lang}|{intent}"), 1)])
        .await
    {
        tracing::warn!(error = %e, "draft vote not counted");
    }
    true
}

/// Outcome counts of one group (all drafts, a language, an intent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub approved: i64,
    pub edited: i64,
    pub discarded: i64,
    pub superseded: i64,
    /// Drafts an agent decided on (approved, edited or discarded).
    pub decided: i64,
    /// Share of decided drafts sent exactly as drafted.
    pub approved_as_is_rate: Option<f64>,
    /// Share of decided drafts sent at all (as is or edited).
    pub sent_rate: Option<f64>,
    /// Mean characters changed in an edited draft.
    pub mean_edit_distance: Option<f64>,
    pub thumbs_up: i64,
    pub thumbs_down: i64,
    #[serde(skip)]
    edit_chars: i64,
}

impl Counts {
    fn finish(&mut self) {
        self.decided = self.approved + self.edited + self.discarded;
        let rate = |n: i64, d: i64| (d > 0).then(|| n as f64 / d as f64);
        self.approved_as_is_rate = rate(self.approved, self.decided);
        self.sent_rate = rate(self.approved + self.edited, self.decided);
        self.mean_edit_distance = rate(self.edit_chars, self.edited);
    }
}

/// The company's draft statistics: all drafts, and per language and per intent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub all: Counts,
    pub by_language: BTreeMap<String, Counts>,
    pub by_intent: BTreeMap<String, Counts>,
}

pub async fn stats(app: &App, company: &CompanyId) -> crate::store::StoreResult<Stats> {
    let fields = app.store.counters(company, COUNTERS).await?;
    Ok(from_counters(&fields))
}

fn from_counters(fields: &[(String, i64)]) -> Stats {
    let mut s = Stats::default();
    for (f, n) in fields {
        let parts: Vec<&str> = f.split('|').collect();
        let (lang, intent) = match parts.as_slice() {
            ["o" | "f", _, l, i] | ["e", l, i] => (*l, *i),
            _ => continue,
        };
        let add = |c: &mut Counts| match parts.as_slice() {
            ["o", "approved", ..] => c.approved += n,
            ["o", "edited", ..] => c.edited += n,
            ["o", "discarded", ..] => c.discarded += n,
            ["o", "superseded", ..] => c.superseded += n,
            ["e", ..] => c.edit_chars += n,
            ["f", "up", ..] => c.thumbs_up += n,
            ["f", "down", ..] => c.thumbs_down += n,
            _ => {}
        };
        add(&mut s.all);
        add(s.by_language.entry(lang.to_owned()).or_default());
        add(s.by_intent.entry(intent.to_owned()).or_default());
    }
    s.all.finish();
    s.by_language.values_mut().for_each(Counts::finish);
    s.by_intent.values_mut().for_each(Counts::finish);
    s
}

/// Characters to insert, delete or replace to turn `a` into `b` (Levenshtein, by character).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = if ca == cb {
                prev[j]
            } else {
                1 + prev[j].min(prev[j + 1]).min(cur[j])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("أهلاً", "أهلا"), 1);
        assert_eq!(Outcome::sent("Hi Ana!", " Hi Ana! "), Outcome::Approved);
        assert_eq!(Outcome::sent("Hi Ana!", "Hi Ana!!"), Outcome::Edited { distance: 1 });
    }

    #[test]
    fn counters_fold_into_rates() {
        let f = |k: &str, n| (k.to_owned(), n);
        let s = from_counters(&[
            f("o|approved|es|price", 3),
            f("o|edited|es|price", 1),
            f("e|es|price", 12),
            f("o|discarded|ar|complaint", 1),
            f("o|superseded|ar|complaint", 2),
            f("f|up|es|price", 2),
            f("junk", 5),
        ]);
        assert_eq!(s.all.decided, 5);
        assert_eq!(s.all.approved_as_is_rate, Some(0.6));
        assert_eq!(s.all.sent_rate, Some(0.8));
        assert_eq!(s.by_language["es"].mean_edit_distance, Some(12.0));
        assert_eq!(s.by_intent["complaint"].superseded, 2);
        assert_eq!(s.all.thumbs_up, 2);
    }
}
