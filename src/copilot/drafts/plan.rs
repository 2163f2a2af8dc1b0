//! What a reply depends on, decided before a word is written: the builtin composer first reads
//! the profile and the customer's latest message, works out which operational facts the answer
//! needs (stock with branch, the lowest price, a payment at the customer's own down payment and
//! term, eligible programs, a next step), calls the tools for them, checks them against the
//! customer's limits (a total budget, a monthly cap) and looks for what fits when they are over.
//! The result, a [`Plan`], holds every number the reply may use, already formatted; the templates
//! only arrange it in a language. So every number in a builtin draft comes from a tool result,
//! the profile or the conversation, by construction.

use super::bodies;
use super::hints::{self, BranchQuestion, UnitHints, When};
use crate::config::company::BranchInfo;
use dossier_core::money::{Currency, format_amount};
use dossier_core::profile::{BudgetPeriod, ToolFact};
use dossier_core::{Message, Profile};
use dossier_tools::Tools;
use dossier_tools::facts::{ASSUMED_APR, DEFAULT_TERM};
use dossier_tools::finance::{self, PaymentInput};
use dossier_tools::programs::ProgramsInput;
use dossier_tools::rates::RateInput;
use dossier_tools::search::{Item, LowestPriceInput, SearchInput};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

/// Languages the builtin composer writes; anything else gets English.
pub const LANGUAGES: [&str; 4] = ["en", "es", "pt", "ar"];

/// A unit of the catalog as a reply mentions it, formatted for the reply's language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit {
    pub id: String,
    pub label: String,
    pub make: String,
    pub model: String,
    pub year: i32,
    pub trim: Option<String>,
    pub condition: String,
    pub branch: String,
    /// "21,400 USD" (en, es, ar) / "21.400 USD" (pt).
    pub price: String,
    pub mileage: Option<String>,
    pub color: Option<String>,
    pub fuel: Option<String>,
    pub transmission: Option<String>,
    pub body: Option<String>,
    /// The monthly payment at the customer's own down payment and term, when the reply weighs
    /// units against a monthly cap.
    pub monthly: Option<String>,
    #[serde(skip)]
    raw_price: Decimal,
    #[serde(skip)]
    raw_mileage: Option<u64>,
    #[serde(skip)]
    raw_monthly: Option<Decimal>,
    #[serde(skip)]
    currency: Currency,
}

/// A monthly payment estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payment {
    pub monthly: String,
    pub term: u32,
    pub down: Option<String>,
    pub apr: String,
    /// No rate-table row for the deal: the APR is an assumption, and the reply says so.
    pub apr_assumed: bool,
    /// The credit tier the rate assumes, when the rate table named one.
    pub tier: Option<String>,
    pub unit: Unit,
    #[serde(skip)]
    raw_monthly: Decimal,
    #[serde(skip)]
    raw_down: Decimal,
    #[serde(skip)]
    raw_apr: Decimal,
}

/// The customer's stated limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limit {
    pub amount: String,
    pub monthly: bool,
    #[serde(skip)]
    raw: Decimal,
    #[serde(skip)]
    currency: Currency,
}

/// Everything a reply may say, with the tool results behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The customer's language (one of [`LANGUAGES`]).
    pub language: String,
    /// What the reply answers: the profile's intent, or what a support case needs.
    pub intent: String,
    pub stage: Option<String>,
    pub support: bool,
    pub company: String,
    /// The customer's first name, when known.
    pub name: Option<String>,
    /// The latest customer message is only this (`image`, `audio`, …), with no text.
    pub media: Option<String>,
    /// The vehicle the customer wants (`Make Model`), when known.
    pub vehicle: Option<String>,
    /// Available units of that vehicle (up to 3), cheapest first.
    pub stock: Vec<Unit>,
    pub stock_count: usize,
    pub lowest: Option<Unit>,
    /// The vehicle is in the catalog but not available, or not in the catalog at all.
    pub not_in_stock: bool,
    /// Two or more vehicles to compare: the lowest unit of each.
    pub compare: Vec<Unit>,
    pub limit: Option<Limit>,
    /// The wanted vehicle's lowest price is over the customer's total budget.
    pub over_budget: bool,
    /// The payment at the customer's terms is over their monthly cap.
    pub over_cap: bool,
    /// Units that fit the limit (or, when not in stock, the closest available ones).
    pub alternatives: Vec<Unit>,
    pub payment: Option<Payment>,
    /// A longer term that brings the payment under the cap.
    pub longer: Option<Payment>,
    /// The down payment that brings the payment under the cap at the same term.
    pub needed_down: Option<String>,
    /// The trade-in, as the customer described it ("" when they have one without details).
    pub trade_in: Option<String>,
    /// Names of the programs the deal is eligible for.
    pub programs: Vec<String>,
    /// Where the customer would come (the unit's branch, or the profile's).
    pub branch: Option<String>,
    /// The customer wants financing.
    pub financing: bool,
    /// When the customer asked to come, as they said it.
    pub when: Option<When>,
    /// The customer asks where the branch is or when it opens.
    pub asks_branch: BranchQuestion,
    /// What the company file says about the branch the customer would come to.
    pub branch_info: Option<BranchInfo>,
    /// The dealership has already written in this conversation: what it talked about (the model,
    /// say) is known to the agent even when the analysis missed it, so the reply does not ask.
    pub established: bool,
    /// What the reply asks for; never something the customer already said.
    pub asks: Vec<String>,
    /// The tool results the reply rests on.
    #[serde(skip)]
    pub facts: Vec<ToolFact>,
    #[serde(skip)]
    raw_needed_down: Option<(Decimal, Currency)>,
}

impl Plan {
    /// The same plan for a reader of `language`: the same facts, numbers written its way (the
    /// gloss is the reply in the agent's language, without planning it twice).
    pub fn localized(&self, language: &str) -> Plan {
        let mut p = self.clone();
        p.language = language.to_owned();
        let unit = |u: &mut Unit| {
            u.price = money(u.raw_price, u.currency, language);
            u.mileage = u.raw_mileage.filter(|m| *m > 100).map(|m| km(m, language));
            u.monthly = u.raw_monthly.map(|m| money(m, u.currency, language));
        };
        let payment = |x: &mut Payment| {
            unit(&mut x.unit);
            x.monthly = money(x.raw_monthly, x.unit.currency, language);
            x.down = (!x.raw_down.is_zero()).then(|| money(x.raw_down, x.unit.currency, language));
            x.apr = percent(x.raw_apr, language);
        };
        p.stock.iter_mut().for_each(unit);
        p.compare.iter_mut().for_each(unit);
        p.alternatives.iter_mut().for_each(unit);
        p.lowest.iter_mut().for_each(unit);
        p.payment.iter_mut().for_each(payment);
        p.longer.iter_mut().for_each(payment);
        if let Some(l) = &mut p.limit {
            l.amount = money(l.raw, l.currency, language);
        }
        p.needed_down = p.raw_needed_down.map(|(v, c)| money(v, c, language));
        p
    }
}

/// A rate as the language writes it: `7.95` / `7,95` (pt).
fn percent(apr: Decimal, language: &str) -> String {
    let a = apr.normalize().to_string();
    if language == "pt" { a.replace('.', ",") } else { a }
}

/// What the profile already holds, so the reply never asks for it again.
pub fn known(p: &Profile) -> Vec<&'static str> {
    let mut k = Vec::new();
    if p.contact.name.is_some() {
        k.push("name");
    }
    if !p.interests.is_empty() {
        k.push("vehicle");
    }
    if p.budget.is_some() {
        k.push("budget");
    }
    if let Some(f) = &p.financing {
        if f.down_payment.is_some() {
            k.push("down_payment");
        }
        if f.term_months.is_some() {
            k.push("term");
        }
    }
    if p.trade_in.is_some() {
        k.push("trade_in");
    }
    k
}

/// What the profile and the customer's latest messages hold: [`known`], and the day and time
/// when the customer named one.
pub fn known_in(p: &Profile, recent: &[Message]) -> Vec<&'static str> {
    let mut k = known(p);
    if hints::requested_when(recent).is_some() {
        k.push("day_time");
    }
    k
}

/// The language of a reply: the profile's, when the composer writes it; else English.
pub fn reply_language(p: &Profile) -> String {
    let l = p
        .contact
        .language
        .as_deref()
        .map(|l| l.split(['-', '_']).next().unwrap_or(l).to_lowercase())
        .unwrap_or_default();
    if LANGUAGES.contains(&l.as_str()) {
        l
    } else {
        "en".into()
    }
}

/// Money as the catalog writes it, in its currency, grouped the way the language reads it.
pub fn money(amount: Decimal, currency: Currency, language: &str) -> String {
    let s = format_amount(amount);
    let s = if language == "pt" {
        // 21,400.50 → 21.400,50
        s.chars()
            .map(|c| match c {
                ',' => '.',
                '.' => ',',
                c => c,
            })
            .collect()
    } else {
        s
    };
    format!("{s} {currency}")
}

fn km(m: u64, language: &str) -> String {
    let s = format_amount(Decimal::from(m));
    let s = if language == "pt" { s.replace(',', ".") } else { s };
    format!("{s} km")
}

fn unit(v: &Item, language: &str) -> Unit {
    Unit {
        id: v.id.clone(),
        label: format!("{} {}", v.make, v.model),
        make: v.make.clone(),
        model: v.model.clone(),
        year: v.year,
        trim: v.trim.clone(),
        condition: v.condition.as_str().to_owned(),
        branch: v.branch.clone(),
        price: money(v.price, v.currency, language),
        mileage: v.mileage_km.filter(|m| *m > 100).map(|m| km(m, language)),
        color: v.color.clone(),
        fuel: v.fuel.clone(),
        transmission: v.transmission.clone(),
        body: v.body.clone(),
        monthly: None,
        raw_price: v.price,
        raw_mileage: v.mileage_km,
        raw_monthly: None,
        currency: v.currency,
    }
}

/// Words that ask for two cars at once ("both", "os dois", "las dos", "الاثنين"), folded.
const BOTH: [&str; 14] = [
    "both",
    "the two",
    "os dois",
    "as duas",
    "ambos",
    "ambas",
    "los dos",
    "las dos",
    "dos dois",
    "das duas",
    "الاثنين",
    "الثنتين",
    "الاتنين",
    "كلاهما",
];

/// Does the customer's latest message ask for two cars at once?
fn asks_for_both(recent: &[Message]) -> bool {
    let Some(text) = recent
        .iter()
        .rev()
        .find(|m| m.direction == dossier_core::Direction::In)
        .and_then(|m| m.text.as_deref())
    else {
        return false;
    };
    let f = format!(" {} ", dossier_core::text::fold(text));
    BOTH.iter()
        .any(|b| f.contains(&format!(" {b} ")) || f.contains(&format!(" {b}?")) || f.contains(&format!(" {b},")))
}

/// The customer's latest message, and whether it is media with no text.
fn latest_media(recent: &[Message]) -> Option<String> {
    let last = recent.iter().rev().find(|m| m.is_inbound())?;
    if !last.text().trim().is_empty() {
        return None;
    }
    let kind = last.kind.as_deref().unwrap_or("");
    matches!(
        kind,
        "image" | "audio" | "video" | "document" | "sticker" | "location" | "contacts"
    )
    .then(|| kind.to_owned())
}

/// Who the reply is from: the company and what its file says about its branches.
#[derive(Debug, Clone, Copy)]
pub struct Dealer<'a> {
    pub company: &'a str,
    pub branches: &'a [BranchInfo],
}

/// Plans the reply to `profile`'s latest customer message.
pub fn plan(tools: &Tools, profile: &Profile, recent: &[Message], dealer: Dealer<'_>) -> Plan {
    let language = reply_language(profile);
    let stage = profile.stage.as_ref().map(|s| s.value.clone());
    let support = stage.as_deref() == Some("support");
    let mut intent = profile
        .intent
        .as_ref()
        .map(|i| i.value.clone())
        .unwrap_or_else(|| if support { "service".into() } else { "other".into() });
    // A support case is not a first inquiry: a greeting or a general question is about the car.
    if support && matches!(intent.as_str(), "greeting" | "other" | "features" | "availability") {
        intent = "service".into();
    }
    // An upset customer about a car they bought (or one asking for a manager) gets an apology
    // and a person first, whatever the last question was about.
    let negative = profile.sentiment == Some(dossier_core::profile::Sentiment::Negative);
    if support
        && (negative || hints::escalation(recent))
        && matches!(intent.as_str(), "service" | "documents" | "other" | "features")
    {
        intent = "complaint".into();
    }
    let when = hints::requested_when(recent);
    let mut known = known(profile);
    if when.is_some() {
        known.push("day_time");
    }
    let branches = tools.catalog().branches();
    // The branch the customer deals with: the profile's, else the one the conversation names.
    let home = profile
        .contact
        .branch
        .clone()
        .or_else(|| hints::branch_named(recent, &branches).map(str::to_owned));
    let mut p = Plan {
        language: language.clone(),
        intent: intent.clone(),
        stage,
        support,
        company: dealer.company.to_owned(),
        name: profile
            .contact
            .name
            .as_deref()
            .and_then(|n| n.split_whitespace().next())
            .map(str::to_owned),
        media: latest_media(recent),
        vehicle: None,
        stock: Vec::new(),
        stock_count: 0,
        lowest: None,
        not_in_stock: false,
        compare: Vec::new(),
        limit: profile.budget.as_ref().map(|b| Limit {
            amount: money(b.amount, b.currency, &language),
            monthly: b.period == BudgetPeriod::Monthly,
            raw: b.amount,
            currency: b.currency,
        }),
        over_budget: false,
        over_cap: false,
        alternatives: Vec::new(),
        payment: None,
        longer: None,
        needed_down: None,
        trade_in: profile
            .trade_in
            .as_ref()
            .filter(|t| t.has)
            .map(|t| t.description.clone().unwrap_or_default()),
        programs: Vec::new(),
        branch: home.clone(),
        financing: profile.financing.as_ref().is_some_and(|f| f.interested),
        when,
        asks_branch: hints::branch_question(recent),
        branch_info: None,
        established: recent.iter().any(|m| !m.is_inbound()),
        asks: Vec::new(),
        facts: Vec::new(),
        raw_needed_down: None,
    };
    let interest = profile.leading_interest();
    p.vehicle = interest.map(|i| format!("{} {}", i.make, i.model));
    let sales = !support && !matches!(intent.as_str(), "complaint" | "service" | "documents");
    if let Some(i) = interest {
        // Every unit of the wanted model (of the year the customer named, when some is in stock),
        // narrowed to what the customer said ("the new one", "the hybrid") when some fit.
        let search = |year: Option<i32>| SearchInput {
            make: Some(i.make.clone()),
            model: Some(i.model.clone()),
            year_min: year,
            year_max: year,
            limit: Some(50),
            ..Default::default()
        };
        let mut found = tools.inventory_search(&search(i.year)).ok();
        if i.year.is_some() && found.as_ref().is_some_and(|f| f.total == 0) {
            found = tools.inventory_search(&search(None)).ok();
        }
        let mut wanted: UnitHints = hints::unit_hints(recent, &i.evidence);
        if wanted.fuel.is_none()
            && i.trim
                .as_deref()
                .is_some_and(|t| dossier_core::text::fold(t).contains("hybrid"))
        {
            wanted.fuel = Some("hybrid");
        }
        let mut narrowed = false;
        let mut discussed: Option<Item> = None;
        if let Some(mut f) = found {
            let fit: Vec<Item> = f.items.iter().filter(|v| wanted.fits(v)).cloned().collect();
            if !wanted.is_empty() && !fit.is_empty() && fit.len() < f.items.len() {
                f.total = fit.len();
                f.items = fit;
                narrowed = true;
            }
            // The customer's branch first, then the cheapest.
            f.items
                .sort_by_key(|v| (home.as_deref().is_some_and(|h| v.branch != h), v.price));
            p.stock_count = f.total;
            p.stock = f.items.iter().take(3).map(|v| unit(v, &language)).collect();
            discussed = hints::discussed(recent, &f.items).cloned();
            f.items.truncate(10);
            p.facts.push(ToolFact {
                tool: "inventory_search".into(),
                text: format!("{} {} in stock", f.total, p.vehicle.as_deref().unwrap_or("")),
                data: to_json(&f),
            });
            if let Some(d) = &discussed
                && !f.items.iter().any(|v| v.id == d.id)
            {
                p.facts.push(ToolFact {
                    tool: "inventory_search".into(),
                    text: "the unit the conversation is about".into(),
                    data: to_json(d),
                });
            }
            if narrowed || home.is_some() {
                found = Some(f);
            } else {
                found = None;
            }
        }
        // The unit the customer pointed at, if still for sale and what they asked for; else the
        // one the conversation quoted; else the first of the narrowed stock at their branch;
        // else the cheapest match.
        let pointed = i
            .catalog_ref
            .as_deref()
            .and_then(|r| tools.catalog().get(r))
            .filter(|v| v.is_available())
            .map(|v| Item::new(v, None))
            .filter(|v| wanted.fits(v));
        let lowest = tools
            .lowest_price(&LowestPriceInput {
                make: i.make.clone(),
                model: i.model.clone(),
                year: i
                    .year
                    .filter(|_| p.stock_count > 0 && p.stock.iter().any(|u| Some(u.year) == i.year)),
                trim: None,
                condition: None,
            })
            .ok()
            .filter(|o| o.found);
        if let Some(o) = &lowest {
            p.facts.push(ToolFact {
                tool: "lowest_price".into(),
                text: "lowest listed price".into(),
                data: to_json(o),
            });
        }
        let chosen = pointed
            .or(discussed)
            .or_else(|| found.and_then(|f| f.items.into_iter().next()))
            .or_else(|| lowest.and_then(|o| o.lowest));
        p.lowest = chosen.as_ref().map(|v| unit(v, &language));
        p.not_in_stock = p.stock_count == 0;
        if p.branch.is_none() {
            p.branch = p.lowest.as_ref().map(|u| u.branch.clone());
        }
        let body_hint = chosen
            .as_ref()
            .and_then(|v| v.body.clone())
            .or_else(|| body_of_model(tools, &i.make, &i.model));
        let branch = p.branch.clone();
        let near = Near {
            make: &i.make,
            model: &i.model,
            body: body_hint.as_deref(),
            branch: branch.as_deref(),
            price: chosen
                .as_ref()
                .map(|v| v.price)
                .or_else(|| price_of_model(tools, &i.make, &i.model)),
            fuel: wanted
                .fuel
                .map(str::to_owned)
                .or_else(|| fuel_of_model(tools, chosen.as_ref(), &i.make, &i.model)),
        };
        if sales {
            if p.not_in_stock {
                // Within the customer's total budget, when they gave one.
                let max = profile
                    .budget
                    .as_ref()
                    .filter(|b| {
                        b.period == BudgetPeriod::Total
                            && tools
                                .catalog()
                                .vehicles
                                .first()
                                .is_some_and(|v| v.currency == b.currency)
                    })
                    .map(|b| b.amount);
                p.alternatives = closest(tools, &language, &near, max, &[]);
                if p.alternatives.is_empty() && max.is_some() {
                    p.alternatives = closest(tools, &language, &near, None, &[]);
                }
                push_search_fact(&mut p, "alternatives");
            }
            if let (Some(b), Some(v)) = (&profile.budget, &chosen)
                && b.period == BudgetPeriod::Total
                && b.currency == v.currency
                && v.price > b.amount
            {
                p.over_budget = true;
                p.alternatives = closest(tools, &language, &near, Some(b.amount), &[]);
                push_search_fact(&mut p, "fits the budget");
            }
            if let Some(v) = &chosen
                && (intent == "financing"
                    || profile.financing.as_ref().is_some_and(|f| f.interested)
                    || profile
                        .budget
                        .as_ref()
                        .is_some_and(|b| b.period == BudgetPeriod::Monthly))
            {
                payment_plan(tools, profile, &language, v, &near, &mut p);
            }
            if matches!(intent.as_str(), "financing" | "reservation" | "price")
                && let Some(v) = &chosen
            {
                programs(tools, profile, v, &mut p);
            }
        }
        // "Tô entre ele e o Commander, queria sentir os dois": a test drive of both.
        let both = intent == "test_drive" && profile.interests.len() >= 2 && asks_for_both(recent);
        if intent == "comparison" || both {
            for other in profile.interests.iter().rev().take(if both { 2 } else { 3 }) {
                let o = tools
                    .lowest_price(&LowestPriceInput {
                        make: other.make.clone(),
                        model: other.model.clone(),
                        year: None,
                        trim: None,
                        condition: None,
                    })
                    .ok()
                    .filter(|o| o.found)
                    .and_then(|o| o.lowest);
                if let Some(v) = o
                    && !p.compare.iter().any(|u| u.label == format!("{} {}", v.make, v.model))
                {
                    p.compare.push(unit(&v, &language));
                }
            }
            if p.compare.len() >= 2 {
                p.facts.push(ToolFact {
                    tool: "lowest_price".into(),
                    text: "compared".into(),
                    data: json!({ "compared": p.compare.iter().map(|u| json!({"id": u.id, "price": u.raw_price.to_string(), "trim": u.trim, "mileage": u.mileage})).collect::<Vec<_>>() }),
                });
            }
        }
    }
    // What the company file says about the branch the customer would come to (the only one,
    // when it lists one).
    p.branch_info = match (p.branch.as_deref(), dealer.branches) {
        (_, [only]) => Some(only.clone()),
        (Some(b), all) => all.iter().find(|x| x.name.eq_ignore_ascii_case(b)).cloned(),
        _ => None,
    };
    if let Some(b) = &p.branch_info {
        p.facts.push(ToolFact {
            tool: "branch".into(),
            text: b.name.clone(),
            data: to_json(b),
        });
    }
    if let Some(w) = &p.when {
        p.facts.push(ToolFact {
            tool: "conversation".into(),
            text: "the time the customer asked for".into(),
            data: to_json(w),
        });
    }
    p.asks = asks(&p, &known, profile);
    p
}

/// What the alternatives should be close to: the wanted model, its body type, the customer's
/// branch.
struct Near<'a> {
    make: &'a str,
    model: &'a str,
    body: Option<&'a str>,
    branch: Option<&'a str>,
    /// The wanted model's price, when the catalog has (or had) it.
    price: Option<Decimal>,
    /// Its fuel when it is electric, hybrid or diesel (folded): alternatives run on the same.
    fuel: Option<String>,
}

/// The body type of a model: the catalog's (sold or reserved units included), else the
/// knowledge table's (`config/knowledge/bodies.toml`) for a model the catalog never had.
fn body_of_model(tools: &Tools, make: &str, model: &str) -> Option<String> {
    tools
        .inventory_search(&SearchInput {
            make: Some(make.to_owned()),
            model: Some(model.to_owned()),
            include_unavailable: Some(true),
            limit: Some(1),
            ..Default::default()
        })
        .ok()
        .and_then(|o| o.items.into_iter().next())
        .and_then(|v| v.body)
        .or_else(|| bodies::body_of(make, model).map(str::to_owned))
}

/// The model's fuel when it is not plain petrol: the unit's, the catalog's (sold or reserved
/// included), else the knowledge table's.
fn fuel_of_model(tools: &Tools, unit: Option<&Item>, make: &str, model: &str) -> Option<String> {
    let special = |f: &str| {
        let f = dossier_core::text::fold(f);
        ["electric", "hybrid", "diesel"]
            .into_iter()
            .find(|k| f.contains(k))
            .map(str::to_owned)
    };
    if let Some(v) = unit {
        return v.fuel.as_deref().and_then(special);
    }
    let listed = tools
        .inventory_search(&SearchInput {
            make: Some(make.to_owned()),
            model: Some(model.to_owned()),
            include_unavailable: Some(true),
            limit: Some(1),
            ..Default::default()
        })
        .ok()
        .and_then(|o| o.items.into_iter().next());
    match listed {
        Some(v) => v.fuel.as_deref().and_then(special),
        None => bodies::fuel_of(make, model).map(str::to_owned),
    }
}

/// The price of the model's cheapest unit, sold or reserved included.
fn price_of_model(tools: &Tools, make: &str, model: &str) -> Option<Decimal> {
    tools
        .inventory_search(&SearchInput {
            make: Some(make.to_owned()),
            model: Some(model.to_owned()),
            include_unavailable: Some(true),
            limit: Some(50),
            ..Default::default()
        })
        .ok()
        .and_then(|o| o.items.iter().map(|v| v.price).min())
}

/// Up to 3 available units close to what the customer wants: at the customer's branch when it
/// has any, the same body type first, under `max` when there is one, the same make first,
/// other models first (the wanted one is what does not fit).
fn closest(tools: &Tools, language: &str, near: &Near<'_>, max: Option<Decimal>, exclude: &[String]) -> Vec<Unit> {
    let search = |body: Option<&str>, branch: Option<&str>| {
        let mut items = tools
            .inventory_search(&SearchInput {
                body: body.map(str::to_owned),
                branch: branch.map(str::to_owned),
                price_max: max,
                limit: Some(100),
                ..Default::default()
            })
            .map(|o| o.items)
            .unwrap_or_default();
        // Under a limit, the wanted model's cheaper units are the best offer; otherwise it is
        // what is missing.
        items.retain(|v| {
            let same = v.make.eq_ignore_ascii_case(near.make) && v.model.eq_ignore_ascii_case(near.model);
            !exclude.contains(&v.id) && (max.is_some() || !same)
        });
        items
    };
    // The same body at the customer's branch, then anywhere; then any body.
    let mut tries = Vec::new();
    if near.body.is_some() {
        tries.extend([(near.body, near.branch), (near.body, None)]);
    }
    tries.extend([(None, near.branch), (None, None)]);
    tries.dedup();
    let mut items = Vec::new();
    for (body, branch) in tries {
        items = search(body, branch);
        if !items.is_empty() {
            break;
        }
    }
    let same = |v: &Item| v.make.eq_ignore_ascii_case(near.make) && v.model.eq_ignore_ascii_case(near.model);
    // The price to be near: the wanted model's; without it (a model the catalog never had),
    // the middle of what there is.
    let target = near.price.or_else(|| {
        let mut prices: Vec<Decimal> = items.iter().map(|v| v.price).collect();
        prices.sort();
        prices.get(prices.len() / 2).copied()
    });
    // The same make counts only near the wanted price: a GLA buyer is not offered a G-Class.
    let in_band = |v: &Item| target.is_none_or(|t| (v.price - t).abs() * Decimal::from(100) <= t * Decimal::from(35));
    let same_make = |v: &Item| v.make.eq_ignore_ascii_case(near.make) && in_band(v);
    let same_fuel = |v: &Item| {
        near.fuel.as_deref().is_none_or(|f| {
            v.fuel
                .as_deref()
                .is_some_and(|x| dossier_core::text::fold(x).contains(f))
        })
    };
    items.sort_by(|a, b| {
        (!same(a))
            .cmp(&!same(b))
            .then_with(|| (!same_fuel(a)).cmp(&!same_fuel(b)))
            .then_with(|| (!same_make(a)).cmp(&!same_make(b)))
            .then_with(|| match (max, target) {
                // The priciest that fits: closest to what they wanted.
                (Some(_), _) => b.price.cmp(&a.price),
                (None, Some(w)) => (a.price - w).abs().cmp(&(b.price - w).abs()),
                _ => a.price.cmp(&b.price),
            })
    });
    let mut out: Vec<Unit> = Vec::new();
    for v in items {
        if out.iter().any(|u| u.label == format!("{} {}", v.make, v.model)) {
            continue;
        }
        out.push(unit(&v, language));
        if out.len() == 3 {
            break;
        }
    }
    out
}

fn push_search_fact(p: &mut Plan, what: &str) {
    if p.alternatives.is_empty() {
        return;
    }
    p.facts.push(ToolFact {
        tool: "inventory_search".into(),
        text: what.into(),
        data: json!({ "items": p.alternatives.iter().map(|u| json!({
            "id": u.id, "make": u.make, "model": u.model, "year": u.year, "trim": u.trim,
            "price": u.raw_price.to_string(), "branch": u.branch, "mileage": u.mileage })).collect::<Vec<_>>() }),
    });
}

/// The monthly payment of `v` at the customer's down payment and term, with the company's rate
/// table; when over the customer's monthly cap, what fits: a longer term, a bigger down payment,
/// a cheaper unit.
fn payment_plan(tools: &Tools, profile: &Profile, language: &str, v: &Item, near: &Near<'_>, p: &mut Plan) {
    let fin = profile.financing.as_ref();
    let term = fin
        .and_then(|f| f.term_months)
        .filter(|t| (1..=120).contains(t))
        .unwrap_or(DEFAULT_TERM);
    let down = fin.and_then(|f| f.down_payment).unwrap_or(Decimal::ZERO);
    let Some(pay) = estimate(tools, language, v, down, term, p) else {
        return;
    };
    let cap = profile
        .budget
        .as_ref()
        .filter(|b| b.period == BudgetPeriod::Monthly && b.currency == v.currency)
        .map(|b| b.amount);
    if let Some(cap) = cap
        && pay.raw_monthly > cap
    {
        p.over_cap = true;
        // A longer term, where the rate table has one.
        for longer in [72u32, 84] {
            if longer <= term {
                continue;
            }
            if let Some(l) = estimate(tools, language, v, down, longer, p)
                && l.raw_monthly <= cap
            {
                p.longer = Some(l);
                break;
            }
        }
        // The down payment that meets the cap at the same term.
        let rate = rate_for(tools, v, term).0;
        let r = rate / Decimal::from(1200);
        let financed = if r.is_zero() {
            cap * Decimal::from(term)
        } else {
            let mut grow = Decimal::ONE;
            for _ in 0..term {
                grow *= Decimal::ONE + r;
            }
            cap * (Decimal::ONE - Decimal::ONE / grow) / r
        };
        let needed = (v.price - financed).max(Decimal::ZERO).round_dp(0);
        if needed > down && needed < v.price {
            // Round up to the next hundred, and check it with the payment tool (its result is
            // the fact the reply rests on).
            let hundred = Decimal::from(100);
            let needed = (needed / hundred).ceil() * hundred;
            if estimate(tools, language, v, needed, term, p).is_some_and(|e| e.raw_monthly <= cap) {
                p.needed_down = Some(money(needed, v.currency, language));
                p.raw_needed_down = Some((needed, v.currency));
            }
        }
        // Cheaper units whose payment at the customer's own terms is under the cap.
        let max_price = (financed + down).round_dp(0);
        let mut fits = closest(tools, language, near, Some(max_price), std::slice::from_ref(&v.id));
        fits.retain_mut(|u| {
            let Some(item) = tools.catalog().get(&u.id).map(|x| Item::new(x, None)) else {
                return false;
            };
            match estimate(tools, language, &item, down, term, p) {
                Some(e) if e.raw_monthly <= cap => {
                    u.monthly = Some(e.monthly);
                    u.raw_monthly = Some(e.raw_monthly);
                    true
                }
                _ => false,
            }
        });
        if !fits.is_empty() {
            p.alternatives = fits;
            push_search_fact(p, "fits the monthly cap");
        }
    }
    p.payment = Some(pay);
}

fn rate_for(tools: &Tools, v: &Item, term: u32) -> (Decimal, bool, Option<String>) {
    let rate = tools
        .finance_rate(&RateInput {
            condition: v.condition,
            vehicle_year: Some(v.year),
            term_months: term,
            credit_score: None,
            program: None,
        })
        .ok()
        .filter(|r| r.found);
    match rate.as_ref().and_then(|r| r.apr.map(|a| (a, r.tier.clone()))) {
        Some((apr, tier)) => (apr, false, tier),
        None => (ASSUMED_APR, true, None),
    }
}

fn estimate(tools: &Tools, language: &str, v: &Item, down: Decimal, term: u32, p: &mut Plan) -> Option<Payment> {
    let (apr, assumed, tier) = rate_for(tools, v, term);
    let mut input = PaymentInput::new(v.price, apr, term);
    input.down_payment = Some(down);
    let out = finance::payment(&input).ok()?;
    p.facts.push(ToolFact {
        tool: "finance_payment".into(),
        text: format!("{} over {term} months", out.monthly_payment),
        data: json!({ "vehicle_id": v.id, "price": v.price.to_string(), "down_payment": down.to_string(),
                      "term_months": term, "apr": apr.normalize().to_string(),
                      "apr_source": if assumed { "assumed" } else { "rate_table" }, "tier": tier,
                      "monthly_payment": out.monthly_payment.to_string(), "currency": v.currency }),
    });
    Some(Payment {
        monthly: money(out.monthly_payment, v.currency, language),
        term,
        down: (!down.is_zero()).then(|| money(down, v.currency, language)),
        apr: percent(apr, language),
        apr_assumed: assumed,
        tier,
        unit: unit(v, language),
        raw_monthly: out.monthly_payment,
        raw_down: down,
        raw_apr: apr,
    })
}

fn programs(tools: &Tools, profile: &Profile, v: &Item, p: &mut Plan) {
    let input = ProgramsInput {
        vehicle_id: Some(v.id.clone()),
        has_trade_in: profile.trade_in.as_ref().map(|t| t.has),
        ..Default::default()
    };
    if let Ok(out) = tools.recommend_programs(&input, Some(profile)) {
        p.programs = out
            .programs
            .iter()
            .filter(|r| r.eligible)
            .take(2)
            .map(|r| r.name.clone())
            .collect();
        if !p.programs.is_empty() {
            p.facts.push(ToolFact {
                tool: "recommend_programs".into(),
                text: p.programs.join("; "),
                data: json!({ "eligible": p.programs }),
            });
        }
    }
}

/// What the reply asks for: only what the answer needs and the customer has not said.
fn asks(p: &Plan, known: &[&str], profile: &Profile) -> Vec<String> {
    let mut asks = Vec::new();
    let mut ask = |what: &str| {
        let said = known.contains(&what) || (what == "vehicle" && p.established);
        if !said {
            asks.push(what.to_owned());
        }
    };
    match p.intent.as_str() {
        "greeting" | "other" | "availability" | "price" | "features" | "comparison" | "reservation"
            if p.vehicle.is_none() =>
        {
            ask("vehicle");
        }
        "financing" => {
            if p.vehicle.is_none() {
                ask("vehicle");
            }
            if profile.financing.as_ref().and_then(|f| f.down_payment).is_none() {
                ask("down_payment");
            }
            if profile.financing.as_ref().and_then(|f| f.term_months).is_none() {
                ask("term");
            }
        }
        "trade_in" if p.trade_in.as_deref().is_none_or(str::is_empty) => {
            asks.push("trade_in_details".into());
        }
        "test_drive" => {
            if p.vehicle.is_none() {
                ask("vehicle");
            }
            ask("day_time");
        }
        "service" => ask("day_time"),
        _ => {}
    }
    asks
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
