//! Scoring: which vehicles match every query word, and how well.
//!
//! One pass per word group over its postings. Per-vehicle state lives in dense arrays indexed by
//! vehicle, not hash maps: a common word ("suv") has thousands of postings, and an array slot
//! keeps each one a plain index.

use super::SearchIndex;
use super::filter::Filter;
use super::index::{Doc, Field};
use super::query::Group;

impl Field {
    /// How much a match in this field says about the vehicle. Branch and trim words are weaker
    /// evidence than make, model or an attribute the customer asked for.
    fn weight(self) -> f32 {
        match self {
            Field::Trim | Field::Branch => 0.9,
            _ => 1.0,
        }
    }
}

impl SearchIndex {
    /// Matching vehicles with their score in 0..1.
    ///
    /// Per query word the best way the vehicle matches it (quality × field weight) counts; the
    /// score is 0.9 × the mean over words + 0.1 × how much of the vehicle's model name the query
    /// covered (so "corolla" ranks a Corolla above a Corolla Cross). Unavailable vehicles, when
    /// asked for, are scaled by 0.9 so they sink below equal available ones.
    pub(super) fn score(&self, groups: &[Group], filter: &Filter) -> Vec<(u32, f32)> {
        let n = self.docs.len();
        let mut out = Vec::new();
        if groups.is_empty() {
            // Hits are returned to `extend`, not pushed from a shared closure, and the full scan
            // walks the docs rather than indexing them: that keeps the loop's state in registers
            // across the out-of-line `accepts` call (pushing cost filter-only searches ~8%).
            let hit = |d: u32, doc: &Doc| {
                filter
                    .accepts(doc)
                    .then_some((d, if doc.available { 1.0 } else { 0.9 }))
            };
            let listed = |d: u32| hit(d, &self.docs[d as usize]);
            let lists = |by: &[Vec<u32>], set: &[bool]| -> Vec<u32> {
                set.iter()
                    .zip(by)
                    .filter(|(on, _)| **on)
                    .flat_map(|(_, l)| l.iter().copied())
                    .collect()
            };
            match (&filter.models, &filter.makes) {
                (Some(m), _) => out.extend(lists(&self.by_model, m).into_iter().filter_map(listed)),
                (None, Some(m)) => out.extend(lists(&self.by_make, m).into_iter().filter_map(listed)),
                (None, None) => out.extend((0..).zip(&self.docs).filter_map(|(d, doc)| hit(d, doc))),
            }
            return out;
        }
        let mut total = vec![0f32; n];
        let mut hits = vec![0u16; n];
        let mut model_cov = vec![0u8; n];
        let mut cur = vec![0f32; n];
        let mut cur_cov = vec![0u8; n];
        let mut touched: Vec<u32> = Vec::new();
        for (gi, g) in groups.iter().enumerate() {
            for alt in &g.alts {
                let Some(list) = self.postings.get(&alt.term) else {
                    continue;
                };
                for &(d, f) in list {
                    if alt.field.is_some_and(|af| af != f) {
                        continue;
                    }
                    let di = d as usize;
                    // Only vehicles that matched every earlier word can still qualify.
                    if hits[di] as usize != gi {
                        continue;
                    }
                    let s = alt.quality * f.weight();
                    if cur[di] == 0.0 {
                        touched.push(d);
                    }
                    if s > cur[di] {
                        cur[di] = s;
                    }
                    let cov = match f {
                        Field::Model => 1,
                        Field::ModelFull => self.model_token_count[self.docs[di].model as usize],
                        _ => 0,
                    };
                    cur_cov[di] = cur_cov[di].max(cov);
                }
            }
            for &d in &touched {
                let di = d as usize;
                total[di] += cur[di];
                hits[di] += 1;
                model_cov[di] = model_cov[di].saturating_add(cur_cov[di]);
                cur[di] = 0.0;
                cur_cov[di] = 0;
            }
            if gi + 1 < groups.len() {
                touched.clear();
            }
        }
        // `touched` now holds exactly the vehicles that matched every word.
        let ng = groups.len() as f32;
        for &d in &touched {
            let d = d as usize;
            let doc = &self.docs[d];
            if !filter.accepts(doc) {
                continue;
            }
            let cov = match model_cov[d] {
                0 => 1.0,
                c => {
                    let t = self.model_token_count[doc.model as usize];
                    f32::from(c.min(t)) / f32::from(t)
                }
            };
            let mut s = 0.9 * (total[d] / ng) + 0.1 * cov;
            if !doc.available {
                s *= 0.9;
            }
            out.push((d as u32, s.clamp(0.0, 1.0)));
        }
        out
    }
}
