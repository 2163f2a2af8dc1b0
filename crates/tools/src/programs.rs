//! The per-company incentive book and `recommend_programs`.
//!
//! Each criterion of a program is checked against what is known about the deal and comes out
//! met, unmet or unknown. Unknown is not unmet: "military service unknown" is a question for the
//! agent to ask, so such programs are listed as `possible` with the question in `missing`, between
//! the eligible and the ineligible ones. Benefits of different kinds (cash, a special APR, a payment
//! deferral) are ranked by an estimated money value on the deal, so "best first" is one ordering.
//! The format is documented at the top of `config/companies/demo-motors/programs.toml`.

use crate::book::{self, BookError};
use crate::finance::monthly_payment;
use crate::{ToolError, Tools, cents, input};
use dossier_core::text::fold;
use dossier_core::{Condition, Profile};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BenefitKind {
    /// `value` is money off the price.
    Cash,
    /// `value` is the special APR in percent.
    Apr,
    /// `value` is the number of days the first payment is deferred.
    Deferral,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Benefit {
    pub kind: BenefitKind,
    pub value: Decimal,
}

/// Who qualifies. Omitted criteria do not restrict.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Eligibility {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub makes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_min: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_max: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_credit_score: Option<u32>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub first_time_buyer: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub military: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub graduate: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub returning_customer: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub requires_trade_in: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub benefit: Benefit,
    /// For APR specials: the `program` id of the rate-table rows that carry the special rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_program: Option<String>,
    #[serde(default, deserialize_with = "date_opt", skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Date>,
    #[serde(default, deserialize_with = "date_opt", skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Date>,
    #[serde(default)]
    pub eligibility: Eligibility,
}

/// A TOML date written bare (`2026-12-31`) or quoted (`"2026-12-31"`).
fn date_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Str(String),
        Toml(toml::value::Datetime),
    }
    let raw = Option::<Raw>::deserialize(d)?;
    let text = match raw {
        None => return Ok(None),
        Some(Raw::Str(s)) => s,
        Some(Raw::Toml(t)) => t.to_string(),
    };
    text.trim()
        .parse::<Date>()
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("`{text}` is not a date (YYYY-MM-DD): {e}")))
}

/// A company's incentive programs. `Default` is empty.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramBook {
    /// The standard APR an APR special is compared with, to value it (percent).
    #[serde(default)]
    pub reference_apr: Option<Decimal>,
    /// Amount financed used to value benefits when the vehicle's price is unknown.
    #[serde(default)]
    pub reference_amount: Option<Decimal>,
    #[serde(default)]
    pub reference_term: Option<u32>,
    #[serde(default, rename = "program")]
    pub programs: Vec<Program>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProgramsError {
    #[error("cannot read program book {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("program book {path}: {reason}")]
    Invalid { path: String, reason: String },
}

impl From<BookError> for ProgramsError {
    fn from(e: BookError) -> ProgramsError {
        match e {
            BookError::Io { path, source } => ProgramsError::Io { path, source },
            BookError::Invalid { path, reason } => ProgramsError::Invalid { path, reason },
        }
    }
}

impl ProgramBook {
    /// Loads a company's `programs.toml`. Errors name the file and, for a syntax or type error,
    /// the line.
    pub fn load(path: &Path) -> Result<ProgramBook, ProgramsError> {
        Ok(book::load(path, ProgramBook::check)?)
    }

    /// Parses and checks the book (errors name the path `<string>`).
    pub fn from_toml_str(text: &str) -> Result<ProgramBook, ProgramsError> {
        Ok(book::parse(text, "<string>", ProgramBook::check)?)
    }

    /// What the types cannot say: ids are unique (a recommendation names its program by id),
    /// benefits are not negative, an APR special is a percentage, validity is not inverted.
    fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for p in &self.programs {
            if !seen.insert(p.id.as_str()) {
                return Err(format!("program id `{}` appears twice", p.id));
            }
            if p.benefit.value.is_sign_negative() {
                return Err(format!("program `{}`: negative benefit", p.id));
            }
            if p.benefit.kind == BenefitKind::Apr && p.benefit.value > Decimal::ONE_HUNDRED {
                return Err(format!("program `{}`: APR above 100", p.id));
            }
            if let (Some(a), Some(b)) = (p.valid_from, p.valid_until)
                && a > b
            {
                return Err(format!("program `{}`: valid_from is after valid_until", p.id));
            }
        }
        Ok(())
    }

    fn reference_apr(&self) -> Decimal {
        self.reference_apr.unwrap_or(Decimal::new(849, 2))
    }

    fn reference_term(&self) -> u32 {
        self.reference_term.filter(|t| (1..=120).contains(t)).unwrap_or(60)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramsInput {
    /// Use the stored profile of this contact (the caller passes it).
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub vehicle_id: Option<String>,
    #[serde(default)]
    pub make: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default, deserialize_with = "input::condition_opt::deserialize")]
    pub condition: Option<Condition>,
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub credit_score: Option<u32>,
    #[serde(default)]
    pub first_time_buyer: Option<bool>,
    #[serde(default)]
    pub military: Option<bool>,
    #[serde(default)]
    pub graduate: Option<bool>,
    #[serde(default)]
    pub returning_customer: Option<bool>,
    #[serde(default)]
    pub has_trade_in: Option<bool>,
}

/// What the recommendation was based on (explicit input over profile over catalog).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DealFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub make: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_score: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_time_buyer: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub military: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graduate: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returning_customer: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_trade_in: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Eligible,
    /// Nothing unmet, but something unknown: ask the customer.
    Possible,
    Ineligible,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub benefit: Benefit,
    pub eligible: bool,
    pub status: Status,
    /// The criteria this deal meets, as a sentence.
    pub why: String,
    /// Criteria unmet or unknown, one line each.
    pub missing: Vec<String>,
    /// Money value on this deal used to rank benefits of different kinds.
    pub estimated_value: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_program: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramsOutput {
    pub programs: Vec<Recommendation>,
    pub considered: DealFacts,
}

fn same(a: &str, b: &str) -> bool {
    let c = |s: &str| fold(s).chars().filter(|c| c.is_alphanumeric()).collect::<String>();
    c(a) == c(b)
}

/// Deal facts from the input, the vehicle it names, and (with `contact`) the stored profile.
fn deal_facts(tools: &Tools, input: &ProgramsInput, profile: Option<&Profile>) -> Result<DealFacts, ToolError> {
    let mut f = DealFacts::default();
    if let Some(contact) = input.contact.as_deref() {
        let p = profile.ok_or(ToolError::NeedsProfile)?;
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        if let Some(wa) = p.contact.wa_id.as_deref()
            && digits(wa) != digits(contact)
        {
            return Err(ToolError::invalid(
                "contact",
                "does not match the profile passed with the call",
            ));
        }
        f.returning_customer = Some(p.returning);
        f.has_trade_in = p.trade_in.as_ref().map(|t| t.has);
        if let Some(i) = p.leading_interest() {
            f.make = Some(i.make.clone());
            f.model = Some(i.model.clone());
            f.year = i.year;
            if let Some(v) = i.catalog_ref.as_deref().and_then(|r| tools.catalog().get(r)) {
                f.vehicle_id = Some(v.id.clone());
                f.condition = Some(v.condition);
                f.year = Some(v.year);
                f.price = Some(v.price);
            } else {
                // The cheapest matching car in stock stands for the deal; its condition only
                // when every match shares it (otherwise it is unknown, not guessed).
                let matches: Vec<_> = tools
                    .catalog()
                    .vehicles
                    .iter()
                    .filter(|v| v.is_available() && same(&v.make, &i.make) && same(&v.model, &i.model))
                    .filter(|v| i.year.is_none_or(|y| y == v.year))
                    .collect();
                if let Some(first) = matches.first()
                    && matches.iter().all(|v| v.condition == first.condition)
                {
                    f.condition = Some(first.condition);
                }
                f.price = matches.iter().map(|v| v.price).min();
            }
        }
    }
    if let Some(id) = input.vehicle_id.as_deref() {
        let v = tools
            .catalog()
            .get(id.trim())
            .ok_or_else(|| ToolError::invalid("vehicle_id", format!("no vehicle `{id}` in the catalog")))?;
        f.vehicle_id = Some(v.id.clone());
        f.make = Some(v.make.clone());
        f.model = Some(v.model.clone());
        f.condition = Some(v.condition);
        f.year = Some(v.year);
        f.price = Some(v.price);
    }
    if let Some(s) = input.credit_score
        && !(300..=850).contains(&s)
    {
        return Err(ToolError::invalid("credit_score", "must be between 300 and 850"));
    }
    macro_rules! over {
        ($($field:ident),*) => { $( if input.$field.is_some() { f.$field = input.$field.clone(); } )* };
    }
    over!(
        make,
        model,
        condition,
        year,
        credit_score,
        first_time_buyer,
        military,
        graduate,
        returning_customer,
        has_trade_in
    );
    Ok(f)
}

enum Check {
    Met(String),
    Unmet(String),
    Unknown(String),
}

fn flag(required: bool, known: Option<bool>, met: &str, unmet: &str, ask: &str) -> Option<Check> {
    if !required {
        return None;
    }
    Some(match known {
        Some(true) => Check::Met(met.to_owned()),
        Some(false) => Check::Unmet(unmet.to_owned()),
        None => Check::Unknown(ask.to_owned()),
    })
}

fn cond_name(c: Condition) -> &'static str {
    match c {
        Condition::New => "new",
        Condition::Used => "used",
        Condition::Certified => "certified",
    }
}

fn checks(p: &Program, f: &DealFacts, today: Date) -> Vec<Check> {
    let e = &p.eligibility;
    let mut out = Vec::new();
    if let Some(from) = p.valid_from
        && today < from
    {
        out.push(Check::Unmet(format!("starts on {from}")));
    }
    if let Some(until) = p.valid_until
        && today > until
    {
        out.push(Check::Unmet(format!("ended on {until}")));
    }
    let names = |list: &[String]| list.join(", ");
    if !e.makes.is_empty() {
        out.push(match &f.make {
            None => Check::Unknown(format!("vehicle make unknown (program covers {})", names(&e.makes))),
            Some(m) if e.makes.iter().any(|x| same(x, m)) => Check::Met(m.clone()),
            Some(m) => Check::Unmet(format!("only for {} (not {m})", names(&e.makes))),
        });
    }
    if !e.models.is_empty() {
        out.push(match &f.model {
            None => Check::Unknown(format!("model unknown (program covers {})", names(&e.models))),
            Some(m) if e.models.iter().any(|x| same(x, m)) => Check::Met(m.clone()),
            Some(m) => Check::Unmet(format!("only for {} (not {m})", names(&e.models))),
        });
    }
    if !e.conditions.is_empty() {
        let list: Vec<&str> = e.conditions.iter().map(|c| cond_name(*c)).collect();
        out.push(match f.condition {
            None => Check::Unknown(format!("new, used or certified? (program covers {})", list.join("/"))),
            Some(c) if e.conditions.contains(&c) => Check::Met(format!("{} vehicle", cond_name(c))),
            Some(c) => Check::Unmet(format!(
                "only for {} vehicles (this one is {})",
                list.join("/"),
                cond_name(c)
            )),
        });
    }
    if e.year_min.is_some() || e.year_max.is_some() {
        let range = match (e.year_min, e.year_max) {
            (Some(a), Some(b)) => format!("{a}–{b}"),
            (Some(a), None) => format!("{a} or newer"),
            (None, Some(b)) => format!("{b} or older"),
            (None, None) => String::new(),
        };
        out.push(match f.year {
            None => Check::Unknown(format!("model year unknown (needs {range})")),
            Some(y) if e.year_min.is_none_or(|m| y >= m) && e.year_max.is_none_or(|m| y <= m) => {
                Check::Met(format!("{y} model year"))
            }
            Some(y) => Check::Unmet(format!("model year {y} outside {range}")),
        });
    }
    if let Some(min) = e.min_credit_score {
        out.push(match f.credit_score {
            None => Check::Unknown(format!("credit score unknown (needs {min}+)")),
            Some(s) if s >= min => Check::Met(format!("credit score {s} ≥ {min}")),
            Some(s) => Check::Unmet(format!("credit score {s} below {min}")),
        });
    }
    out.extend(flag(
        e.first_time_buyer,
        f.first_time_buyer,
        "first-time buyer",
        "only for first-time buyers",
        "first-time buyer? (ask the customer)",
    ));
    out.extend(flag(
        e.military,
        f.military,
        "active or veteran military",
        "only for military members and veterans",
        "military service? (ask; proof required)",
    ));
    out.extend(flag(
        e.graduate,
        f.graduate,
        "recent graduate",
        "only for recent graduates",
        "recent graduate? (ask; diploma or transcript required)",
    ));
    out.extend(flag(
        e.returning_customer,
        f.returning_customer,
        "returning customer",
        "only for returning customers",
        "returning customer? (check purchase history)",
    ));
    out.extend(flag(
        e.requires_trade_in,
        f.has_trade_in,
        "trading in a vehicle",
        "requires a trade-in",
        "trade-in? (ask the customer)",
    ));
    out
}

/// Money value of a benefit on this deal: cash at face value; an APR special as the interest saved
/// against the book's reference APR over the reference term; a deferral as the interest the same
/// cash-flow relief would cost at the reference APR.
fn estimate(book: &ProgramBook, b: &Benefit, price: Option<Decimal>) -> Decimal {
    let amount = price.or(book.reference_amount).unwrap_or(Decimal::from(25000));
    let reference = book.reference_apr();
    let n = book.reference_term();
    let interest = |apr: Decimal| -> Decimal {
        monthly_payment(amount, apr / Decimal::from(1200), n)
            .and_then(|m| m.checked_mul(Decimal::from(n))?.checked_sub(amount))
            .unwrap_or(Decimal::ZERO)
    };
    let v = match b.kind {
        BenefitKind::Cash => b.value,
        BenefitKind::Apr => interest(reference)
            .checked_sub(interest(b.value.min(reference)))
            .unwrap_or(Decimal::ZERO),
        BenefitKind::Deferral => amount
            .checked_mul(reference)
            .and_then(|x| x.checked_mul(b.value))
            .and_then(|x| x.checked_div(Decimal::from(36500)))
            .unwrap_or(Decimal::ZERO),
    };
    cents(v.max(Decimal::ZERO))
}

pub(crate) fn recommend(
    tools: &Tools,
    input: &ProgramsInput,
    profile: Option<&Profile>,
    today: Date,
) -> Result<ProgramsOutput, ToolError> {
    let facts = deal_facts(tools, input, profile)?;
    let book = tools.programs();
    let mut programs: Vec<Recommendation> = book
        .programs
        .iter()
        .map(|p| {
            let cs = checks(p, &facts, today);
            let mut met = Vec::new();
            let mut missing = Vec::new();
            let (mut unmet, mut unknown) = (false, false);
            for c in cs {
                match c {
                    Check::Met(s) => met.push(s),
                    Check::Unmet(s) => {
                        unmet = true;
                        missing.push(s);
                    }
                    Check::Unknown(s) => {
                        unknown = true;
                        missing.push(s);
                    }
                }
            }
            let status = if unmet {
                Status::Ineligible
            } else if unknown {
                Status::Possible
            } else {
                Status::Eligible
            };
            let why = match (met.is_empty(), status) {
                (true, Status::Eligible) => "open to every buyer".to_owned(),
                (true, _) => String::new(),
                (false, Status::Eligible) => format!("applies: {}", met.join("; ")),
                (false, _) => format!("meets: {}", met.join("; ")),
            };
            Recommendation {
                id: p.id.clone(),
                name: p.name.clone(),
                description: p.description.clone(),
                benefit: p.benefit.clone(),
                eligible: status == Status::Eligible,
                status,
                why,
                missing,
                estimated_value: estimate(book, &p.benefit, facts.price),
                rate_program: p.rate_program.clone(),
                valid_until: p.valid_until,
            }
        })
        .collect();
    programs.sort_by(|a, b| {
        a.status
            .cmp(&b.status)
            .then_with(|| b.estimated_value.cmp(&a.estimated_value))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(ProgramsOutput {
        programs,
        considered: facts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RateTable, Tools};
    use dossier_core::Catalog;
    use dossier_core::profile::{Interest, TradeIn};
    use serde_json::json;

    fn tools() -> Tools {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        Tools::new(
            Catalog::load(&root.join("data/catalog/demo-motors.csv")).unwrap(),
            RateTable::load(&root.join("config/companies/demo-motors/rates.toml")).unwrap(),
            ProgramBook::load(&root.join("config/companies/demo-motors/programs.toml")).unwrap(),
        )
    }

    fn day() -> Date {
        jiff::civil::date(2026, 6, 15)
    }

    fn run(t: &Tools, v: serde_json::Value, p: Option<&Profile>) -> ProgramsOutput {
        recommend(t, &crate::input::parse(v).unwrap(), p, day()).unwrap()
    }

    fn find<'a>(o: &'a ProgramsOutput, id: &str) -> &'a Recommendation {
        o.programs.iter().find(|p| p.id == id).unwrap()
    }

    #[test]
    fn sample_book_loads() {
        let t = tools();
        assert!((6..=9).contains(&t.programs().programs.len()));
    }

    #[test]
    fn explicit_honda_accord_spec_example() {
        let t = tools();
        let o = run(
            &t,
            json!({"vehicle_id": "NS-2012", "make": "Honda", "model": "Accord", "condition": "certified",
                   "year": 2022, "credit_score": 640, "first_time_buyer": false, "military": false,
                   "graduate": false, "returning_customer": false, "has_trade_in": true}),
            None,
        );
        // eligible first, then possible, then ineligible; value descending inside a status
        for w in o.programs.windows(2) {
            assert!(
                w[0].status < w[1].status
                    || (w[0].status == w[1].status && w[0].estimated_value >= w[1].estimated_value)
            );
        }
        assert!(find(&o, "trade-in-bonus").eligible);
        assert!(
            find(&o, "honda-certified-apr").eligible,
            "{:?}",
            find(&o, "honda-certified-apr")
        );
        let ftb = find(&o, "first-time-buyer");
        assert!(!ftb.eligible && ftb.status == Status::Ineligible);
        assert!(ftb.missing.iter().any(|m| m.contains("first-time")));
        assert!(!find(&o, "toyota-apr-special").eligible);
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!(v["programs"][0]["eligible"], true);
        assert!(v["programs"][0]["benefit"]["value"].is_string());
    }

    #[test]
    fn unknowns_are_possible_with_the_question() {
        let t = tools();
        let o = run(
            &t,
            json!({"make": "Toyota", "model": "Corolla", "condition": "new", "year": 2026}),
            None,
        );
        let mil = find(&o, "military-appreciation");
        assert_eq!(mil.status, Status::Possible);
        assert!(mil.missing.iter().any(|m| m.contains("military")));
        let toy = find(&o, "toyota-apr-special");
        assert_eq!(toy.status, Status::Possible); // credit score unknown
        assert!(toy.missing.iter().any(|m| m.contains("credit score")));
    }

    #[test]
    fn contact_uses_the_profile() {
        let t = tools();
        let mut p = Profile::empty("demo-motors", Some("14045550163"));
        p.returning = true;
        p.trade_in = Some(TradeIn {
            has: true,
            description: Some("2015 Honda Civic".into()),
            evidence: vec![],
            source: None,
        });
        p.interests.push(Interest {
            item: "Toyota RAV4".into(),
            make: "Toyota".into(),
            model: "RAV4".into(),
            year: None,
            trim: None,
            catalog_ref: Some("DT-1004".into()),
            mentions: 2,
            last_mentioned: None,
            evidence: vec![],
        });
        let o = run(&t, json!({"contact": "14045550163"}), Some(&p));
        assert_eq!(o.considered.condition, Some(Condition::Certified));
        assert_eq!(o.considered.price, Some(Decimal::from(33400)));
        assert!(find(&o, "loyalty-rebate").eligible);
        assert!(find(&o, "trade-in-bonus").eligible);
        // explicit fields override the profile
        let o = run(
            &t,
            json!({"contact": "14045550163", "returning_customer": false}),
            Some(&p),
        );
        assert!(!find(&o, "loyalty-rebate").eligible);
        // no profile given
        let e = recommend(&t, &crate::input::parse(json!({"contact": "1"})).unwrap(), None, day()).unwrap_err();
        assert_eq!(e, ToolError::NeedsProfile);
        let e = recommend(
            &t,
            &crate::input::parse(json!({"contact": "999"})).unwrap(),
            Some(&p),
            day(),
        )
        .unwrap_err();
        assert!(matches!(e, ToolError::Invalid { ref field, .. } if field == "contact"));
    }

    #[test]
    fn dates_and_bad_ids() {
        let t = tools();
        let o = recommend(
            &t,
            &crate::input::parse(json!({"make": "Toyota"})).unwrap(),
            None,
            jiff::civil::date(2030, 1, 1),
        )
        .unwrap();
        assert!(
            o.programs
                .iter()
                .filter(|p| p.valid_until.is_some())
                .all(|p| !p.eligible)
        );
        let e = recommend(
            &t,
            &crate::input::parse(json!({"vehicle_id": "NOPE"})).unwrap(),
            None,
            day(),
        )
        .unwrap_err();
        assert!(matches!(e, ToolError::Invalid { ref field, .. } if field == "vehicle_id"));
    }

    #[test]
    fn bad_books_are_refused() {
        let p = |body: &str| ProgramBook::from_toml_str(body);
        assert!(p("[[program]]\nid = \"a\"\nname = \"A\"\nbenefit = { kind = \"cash\", value = \"-5\" }\n").is_err());
        assert!(p("[[program]]\nid = \"a\"\nname = \"A\"\nbenefit = { kind = \"gift\", value = \"5\" }\n").is_err());
        assert!(p("[[program]]\nid = \"a\"\nname = \"A\"\nvalid_from = 2026-02-01\nvalid_until = \"2026-01-01\"\nbenefit = { kind = \"cash\", value = \"5\" }\n").is_err());
        let ok = p("[[program]]\nid = \"a\"\nname = \"A\"\nvalid_until = 2026-12-31\nbenefit = { kind = \"cash\", value = \"5\" }\n").unwrap();
        assert_eq!(ok.programs[0].valid_until, Some(jiff::civil::date(2026, 12, 31)));
    }
}
