//! The per-company rate table and `finance_rate`.
//!
//! A dealer's buy-rate sheet is a grid — condition × vehicle age × term × credit tier (× program) —
//! so the table is a list of rows, each a box in that grid. The most specific row that contains
//! the question wins (file order breaks ties), and a miss says which dimension ruled every row out,
//! so the agent can tell the customer "we finance certified up to 72 months", not just "no".
//! The format is documented at the top of `config/companies/demo-motors/rates.toml`.

use crate::ToolError;
use crate::book::{self, BookError};
use dossier_core::Condition;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A credit tier: a named FICO-style score band (both ends inclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub name: String,
    pub min_score: u32,
    pub max_score: u32,
}

/// One row of the rate sheet. Omitted dimensions match anything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateRow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Model-year range of the vehicle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_min: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_max: Option<i32>,
    /// Vehicle age in model years (this year − model year), for sheets that age rather than date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_min: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_max: Option<i32>,
    pub term_min: u32,
    pub term_max: u32,
    /// Tier names (from `[[tier]]`); empty = any credit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
    /// Only offered when the caller asks for this program (e.g. a manufacturer APR special).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    pub apr: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl RateRow {
    /// More constrained rows are more specific; used to pick among several matches.
    fn specificity(&self) -> u32 {
        let mut s = 0;
        if self.program.is_some() {
            s += 8;
        }
        if !self.tiers.is_empty() {
            s += 4;
        }
        if self.year_min.is_some() || self.year_max.is_some() || self.age_min.is_some() || self.age_max.is_some() {
            s += 2;
        }
        if !self.conditions.is_empty() {
            s += 1;
        }
        s
    }

    fn has_vehicle_age(&self) -> bool {
        self.year_min.is_some() || self.year_max.is_some() || self.age_min.is_some() || self.age_max.is_some()
    }
}

/// A company's rate sheet. `Default` is empty (every lookup answers `found: false`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateTable {
    /// Tier assumed when the caller gives no credit score (a conservative one, typically).
    #[serde(default)]
    pub default_tier: Option<String>,
    #[serde(default, rename = "tier")]
    pub tiers: Vec<Tier>,
    #[serde(default, rename = "rate")]
    pub rows: Vec<RateRow>,
}

#[derive(Debug, thiserror::Error)]
pub enum RatesError {
    #[error("cannot read rate table {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("rate table {path}: {reason}")]
    Invalid { path: String, reason: String },
}

impl From<BookError> for RatesError {
    fn from(e: BookError) -> RatesError {
        match e {
            BookError::Io { path, source } => RatesError::Io { path, source },
            BookError::Invalid { path, reason } => RatesError::Invalid { path, reason },
        }
    }
}

impl RateTable {
    /// Loads a company's `rates.toml`. Errors name the file and, for a syntax or type error, the
    /// line.
    pub fn load(path: &Path) -> Result<RateTable, RatesError> {
        Ok(book::load(path, RateTable::check)?)
    }

    /// Parses and checks the table (errors name the path `<string>`).
    pub fn from_toml_str(text: &str) -> Result<RateTable, RatesError> {
        Ok(book::parse(text, "<string>", RateTable::check)?)
    }

    /// What the types cannot say: tiers named in rows exist, ranges are not inverted, APRs sane.
    fn check(&self) -> Result<(), String> {
        for t in &self.tiers {
            if t.min_score > t.max_score {
                return Err(format!("tier `{}`: min_score > max_score", t.name));
            }
        }
        if let Some(d) = &self.default_tier
            && !self.tiers.iter().any(|t| &t.name == d)
        {
            return Err(format!("default_tier `{d}` is not a [[tier]]"));
        }
        for (i, r) in self.rows.iter().enumerate() {
            let name = r.id.clone().unwrap_or_else(|| format!("#{}", i + 1));
            if r.term_min > r.term_max {
                return Err(format!("rate {name}: term_min > term_max"));
            }
            if r.apr.is_sign_negative() || r.apr > Decimal::ONE_HUNDRED {
                return Err(format!("rate {name}: apr must be 0..100"));
            }
            if let Some(t) = r.tiers.iter().find(|t| !self.tiers.iter().any(|x| &x.name == *t)) {
                return Err(format!("rate {name}: tier `{t}` is not a [[tier]]"));
            }
        }
        Ok(())
    }

    /// The tier a credit score falls in (first listed band that contains it).
    pub fn tier_for(&self, score: u32) -> Option<&Tier> {
        self.tiers.iter().find(|t| (t.min_score..=t.max_score).contains(&score))
    }

    /// `finance_rate`.
    pub fn lookup(&self, input: &RateInput) -> Result<RateOutput, ToolError> {
        self.lookup_in_year(input, crate::today().year().into())
    }

    /// `finance_rate` as of a given calendar year (vehicle age = `this_year` − model year).
    pub fn lookup_in_year(&self, input: &RateInput, this_year: i32) -> Result<RateOutput, ToolError> {
        if input.term_months == 0 || input.term_months > 120 {
            return Err(ToolError::invalid("term_months", "must be between 1 and 120 months"));
        }
        if let Some(s) = input.credit_score
            && !(300..=850).contains(&s)
        {
            return Err(ToolError::invalid("credit_score", "must be between 300 and 850"));
        }
        if let Some(y) = input.vehicle_year
            && !(1900..=2100).contains(&y)
        {
            return Err(ToolError::invalid(
                "vehicle_year",
                "must be a model year between 1900 and 2100",
            ));
        }
        let program = input.program.as_deref().map(str::trim).filter(|p| !p.is_empty());

        let (tier, tier_assumed) = match input.credit_score {
            Some(s) => (self.tier_for(s).map(|t| t.name.clone()), false),
            None => (self.default_tier.clone(), self.default_tier.is_some()),
        };

        // Narrow dimension by dimension so a miss can name the dimension that emptied the set.
        let rows: Vec<&RateRow> = self.rows.iter().collect();
        if rows.is_empty() {
            return Ok(RateOutput::miss("the company has no rate table"));
        }
        let rows: Vec<&RateRow> = rows
            .into_iter()
            .filter(|r| r.conditions.is_empty() || r.conditions.contains(&input.condition))
            .collect();
        if rows.is_empty() {
            return Ok(RateOutput::miss(format!(
                "no rate for {} vehicles",
                condition_name(input.condition)
            )));
        }
        let before = rows.clone();
        let rows: Vec<&RateRow> = rows
            .into_iter()
            .filter(|r| match (&r.program, program) {
                (None, _) => true,
                (Some(p), Some(q)) => p.eq_ignore_ascii_case(q),
                (Some(_), None) => false,
            })
            .collect();
        if rows.is_empty() {
            let offered: Vec<&str> = before.iter().filter_map(|r| r.program.as_deref()).collect();
            return Ok(RateOutput::miss(format!(
                "program `{}` has no rate for {} vehicles{}",
                program.unwrap_or(""),
                condition_name(input.condition),
                list_suffix(" (programs with rates: ", &offered)
            )));
        }
        let rows: Vec<&RateRow> = rows
            .into_iter()
            .filter(|r| year_ok(r, input.vehicle_year, this_year))
            .collect();
        if rows.is_empty() {
            return Ok(RateOutput::miss(match input.vehicle_year {
                None => "vehicle_year is needed: every rate for this condition depends on the vehicle's age".to_owned(),
                Some(y) => format!(
                    "no rate for a {y} {} vehicle (model year outside every row's range)",
                    condition_name(input.condition)
                ),
            }));
        }
        let before = rows.clone();
        let rows: Vec<&RateRow> = rows
            .into_iter()
            .filter(|r| (r.term_min..=r.term_max).contains(&input.term_months))
            .collect();
        if rows.is_empty() {
            let lo = before.iter().map(|r| r.term_min).min().unwrap_or(0);
            let hi = before.iter().map(|r| r.term_max).max().unwrap_or(0);
            return Ok(RateOutput::miss(format!(
                "no rate for {} months; terms offered for this vehicle are {lo}–{hi} months",
                input.term_months
            )));
        }
        let rows: Vec<&RateRow> = rows
            .into_iter()
            .filter(|r| r.tiers.is_empty() || tier.as_ref().is_some_and(|t| r.tiers.contains(t)))
            .collect();
        let Some(best) = rows
            .iter()
            .enumerate()
            .max_by_key(|(i, r)| (r.specificity(), std::cmp::Reverse(*i)))
            .map(|(_, r)| *r)
        else {
            return Ok(RateOutput::miss(match (input.credit_score, &tier) {
                (None, None) => "credit_score is needed: every matching rate depends on the credit tier".to_owned(),
                (Some(s), None) => {
                    format!("credit score {s} is in no credit tier of the rate table")
                }
                (_, Some(t)) => format!("no rate for credit tier `{t}` with this vehicle and term"),
            }));
        };
        Ok(RateOutput {
            found: true,
            apr: Some(best.apr.normalize()),
            tier: if best.tiers.is_empty() { None } else { tier },
            tier_assumed: tier_assumed && !best.tiers.is_empty(),
            matched: Some(best.clone()),
            reason: None,
        })
    }
}

fn condition_name(c: Condition) -> &'static str {
    match c {
        Condition::New => "new",
        Condition::Used => "used",
        Condition::Certified => "certified",
    }
}

fn list_suffix(prefix: &str, items: &[&str]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!("{prefix}{})", items.join(", "))
    }
}

fn year_ok(r: &RateRow, year: Option<i32>, this_year: i32) -> bool {
    if !r.has_vehicle_age() {
        return true;
    }
    let Some(y) = year else { return false };
    let age = this_year - y;
    r.year_min.is_none_or(|m| y >= m)
        && r.year_max.is_none_or(|m| y <= m)
        && r.age_min.is_none_or(|m| age >= m)
        && r.age_max.is_none_or(|m| age <= m)
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateInput {
    #[serde(deserialize_with = "crate::input::condition::deserialize")]
    pub condition: Condition,
    #[serde(default)]
    pub vehicle_year: Option<i32>,
    pub term_months: u32,
    #[serde(default)]
    pub credit_score: Option<u32>,
    #[serde(default)]
    pub program: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateOutput {
    pub found: bool,
    #[serde(skip_serializing_if = "Option::is_none", with = "opt_dec")]
    pub apr: Option<Decimal>,
    /// The credit tier used (when the row depends on one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// True when no credit score was given and the table's `default_tier` was assumed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tier_assumed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<RateRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

mod opt_dec {
    use rust_decimal::Decimal;
    pub fn serialize<S: serde::Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&d.to_string()),
            None => s.serialize_none(),
        }
    }
}

impl RateOutput {
    fn miss(reason: impl Into<String>) -> RateOutput {
        RateOutput {
            found: false,
            apr: None,
            tier: None,
            tier_assumed: false,
            matched: None,
            reason: Some(reason.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn sample() -> RateTable {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/companies/demo-motors/rates.toml");
        RateTable::load(&path).unwrap()
    }

    fn q(condition: Condition, year: Option<i32>, term: u32, score: Option<u32>) -> RateInput {
        RateInput {
            condition,
            vehicle_year: year,
            term_months: term,
            credit_score: score,
            program: None,
        }
    }

    #[test]
    fn sample_table_loads_and_answers_the_spec_example() {
        let t = sample();
        let o = t
            .lookup_in_year(&q(Condition::Used, Some(2022), 60, Some(640)), 2026)
            .unwrap();
        assert!(o.found, "{o:?}");
        assert_eq!(o.apr, Some(dec!(9.49)));
        assert_eq!(o.tier.as_deref(), Some("near_prime"));
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!(v["apr"], "9.49");
        assert!(v["matched"]["term_max"].is_number());
    }

    #[test]
    fn better_credit_gets_a_lower_rate() {
        let t = sample();
        let apr = |s| {
            t.lookup_in_year(&q(Condition::New, None, 60, Some(s)), 2026)
                .unwrap()
                .apr
                .unwrap()
        };
        assert!(apr(780) < apr(700));
        assert!(apr(700) < apr(640));
        assert!(apr(640) < apr(560));
    }

    #[test]
    fn program_rows_need_the_program_and_win_when_asked() {
        let t = sample();
        let mut i = q(Condition::New, Some(2026), 60, Some(760));
        let standard = t.lookup_in_year(&i, 2026).unwrap();
        i.program = Some("toyota-apr-special".into());
        let special = t.lookup_in_year(&i, 2026).unwrap();
        assert!(special.apr < standard.apr);
        assert_eq!(special.matched.unwrap().program.as_deref(), Some("toyota-apr-special"));
    }

    #[test]
    fn misses_name_the_dimension() {
        let t = sample();
        let r = |i: RateInput| t.lookup_in_year(&i, 2026).unwrap().reason.unwrap();
        assert!(r(q(Condition::Certified, Some(2023), 96, Some(700))).contains("months"));
        assert!(r(q(Condition::Used, Some(2005), 48, Some(700))).contains("2005"));
        assert!(r(q(Condition::Used, None, 48, Some(700))).contains("vehicle_year"));
        let empty = RateTable::default();
        assert!(
            !empty
                .lookup_in_year(&q(Condition::New, None, 60, None), 2026)
                .unwrap()
                .found
        );
    }

    #[test]
    fn no_score_uses_the_default_tier_and_says_so() {
        let t = sample();
        let o = t.lookup_in_year(&q(Condition::New, None, 60, None), 2026).unwrap();
        assert!(o.found);
        assert!(o.tier_assumed);
        assert_eq!(o.tier, t.default_tier);
    }

    #[test]
    fn invalid_input_names_the_field() {
        let t = sample();
        let e = t
            .lookup_in_year(&q(Condition::New, None, 60, Some(900)), 2026)
            .unwrap_err();
        assert!(matches!(e, ToolError::Invalid { ref field, .. } if field == "credit_score"));
        let e = t.lookup_in_year(&q(Condition::New, None, 0, None), 2026).unwrap_err();
        assert!(matches!(e, ToolError::Invalid { ref field, .. } if field == "term_months"));
    }

    #[test]
    fn bad_tables_are_refused() {
        assert!(RateTable::from_toml_str("[[rate]]\nterm_min = 60\nterm_max = 24\napr = \"5\"\n").is_err());
        assert!(
            RateTable::from_toml_str("[[rate]]\nterm_min = 1\nterm_max = 24\napr = \"5\"\ntiers = [\"x\"]\n").is_err()
        );
        assert_eq!(RateTable::from_toml_str("").unwrap(), RateTable::default());
    }
}
