//! What a reply depends on, decided before a word is written: the builtin composer first reads
//! the profile and the customer's latest message, works out which operational facts the answer
//! needs (stock with branch, the lowest price, a payment at the customer's own down payment and
//! term, eligible programs, a next step), calls the tools for them, checks them against the
//! customer's limits (a total budget, a monthly cap) and looks for what fits when they are over.
//! The result, a [`Plan`], holds every number the reply may use, already formatted; the templates
//! only arrange it in a language. So every number in a builtin draft comes from a tool result,
//! the profile or the conversation, by construction.

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
    #[serde(skip)]
    raw_price: Decimal,
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
}

/// The customer's stated limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limit {
    pub amount: String,
    pub monthly: bool,
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
    /// What the reply asks for; never something the customer already said.
    pub asks: Vec<String>,
    /// The tool results the reply rests on.
    #[serde(skip)]
    pub facts: Vec<ToolFact>,
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
        raw_price: v.price,
    }
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

/// Plans the reply to `profile`'s latest customer message.
pub fn plan(tools: &Tools, profile: &Profile, recent: &[Message], company: &str) -> Plan {
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
    let known = known(profile);
    let mut p = Plan {
        language: language.clone(),
        intent: intent.clone(),
        stage,
        support,
        company: company.to_owned(),
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
        branch: profile.contact.branch.clone(),
        financing: profile.financing.as_ref().is_some_and(|f| f.interested),
        asks: Vec::new(),
        facts: Vec::new(),
    };
    let interest = profile.leading_interest();
    p.vehicle = interest.map(|i| format!("{} {}", i.make, i.model));
    let sales = !support && !matches!(intent.as_str(), "complaint" | "service" | "documents");
    if let Some(i) = interest {
        // Stock of the wanted model (the year the customer named, when some is in stock).
        let search = |year: Option<i32>| SearchInput {
            make: Some(i.make.clone()),
            model: Some(i.model.clone()),
            year_min: year,
            year_max: year,
            limit: Some(3),
            ..Default::default()
        };
        let mut found = tools.inventory_search(&search(i.year)).ok();
        if i.year.is_some() && found.as_ref().is_some_and(|f| f.total == 0) {
            found = tools.inventory_search(&search(None)).ok();
        }
        if let Some(mut f) = found {
            f.items.sort_by_key(|v| v.price);
            p.stock_count = f.total;
            p.stock = f.items.iter().map(|v| unit(v, &language)).collect();
            p.facts.push(ToolFact {
                tool: "inventory_search".into(),
                text: format!("{} {} in stock", f.total, p.vehicle.as_deref().unwrap_or("")),
                data: to_json(&f),
            });
        }
        // The unit the customer pointed at, if still for sale; else the cheapest match.
        let pointed = i
            .catalog_ref
            .as_deref()
            .and_then(|r| tools.catalog().get(r))
            .filter(|v| v.is_available())
            .map(|v| Item::new(v, None));
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
        let chosen = pointed.or_else(|| lowest.and_then(|o| o.lowest));
        p.lowest = chosen.as_ref().map(|v| unit(v, &language));
        p.not_in_stock = p.stock_count == 0;
        if p.branch.is_none() {
            p.branch = p.lowest.as_ref().map(|u| u.branch.clone());
        }
        let body_hint = chosen
            .as_ref()
            .and_then(|v| v.body.clone())
            .or_else(|| body_of_model(tools, &i.make, &i.model));
        if sales {
            if p.not_in_stock {
                p.alternatives = closest(tools, &language, &i.make, &i.model, body_hint.as_deref(), None, &[]);
                push_search_fact(&mut p, "alternatives");
            }
            if let (Some(b), Some(v)) = (&profile.budget, &chosen)
                && b.period == BudgetPeriod::Total
                && b.currency == v.currency
                && v.price > b.amount
            {
                p.over_budget = true;
                p.alternatives = closest(
                    tools,
                    &language,
                    &i.make,
                    &i.model,
                    body_hint.as_deref(),
                    Some(b.amount),
                    &[],
                );
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
                payment_plan(tools, profile, &language, v, body_hint.as_deref(), &mut p);
            }
            if matches!(intent.as_str(), "financing" | "reservation" | "price")
                && let Some(v) = &chosen
            {
                programs(tools, profile, v, &mut p);
            }
        }
        if intent == "comparison" {
            for other in profile.interests.iter().rev().take(3) {
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
                    data: json!({ "compared": p.compare.iter().map(|u| json!({"id": u.id, "price": u.raw_price.to_string()})).collect::<Vec<_>>() }),
                });
            }
        }
    }
    p.asks = asks(&p, &known, profile);
    p
}

/// The body type of a model the catalog has (sold or reserved included).
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
}

/// Up to 3 available units close to what the customer wants: same body type first, under `max`
/// when there is one, other models first (the wanted one is what does not fit).
fn closest(
    tools: &Tools,
    language: &str,
    make: &str,
    model: &str,
    body: Option<&str>,
    max: Option<Decimal>,
    exclude: &[String],
) -> Vec<Unit> {
    let search = |body: Option<&str>| {
        tools
            .inventory_search(&SearchInput {
                body: body.map(str::to_owned),
                price_max: max,
                limit: Some(50),
                ..Default::default()
            })
            .map(|o| o.items)
            .unwrap_or_default()
    };
    let mut items = search(body);
    if items.is_empty() && body.is_some() {
        items = search(None);
    }
    let wanted_price = items.iter().map(|v| v.price).max();
    // Same make first, then the priciest that fits (closest to what they wanted), for under-max;
    // the nearest price otherwise.
    items.retain(|v| !(v.make.eq_ignore_ascii_case(make) && v.model.eq_ignore_ascii_case(model)) || max.is_some());
    items.retain(|v| !exclude.contains(&v.id));
    items.sort_by(|a, b| {
        let same_make = |v: &Item| !v.make.eq_ignore_ascii_case(make);
        same_make(a).cmp(&same_make(b)).then_with(|| match (max, wanted_price) {
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
            "id": u.id, "make": u.make, "model": u.model, "year": u.year, "price": u.raw_price.to_string(),
            "branch": u.branch })).collect::<Vec<_>>() }),
    });
}

/// The monthly payment of `v` at the customer's down payment and term, with the company's rate
/// table; when over the customer's monthly cap, what fits: a longer term, a bigger down payment,
/// a cheaper unit.
fn payment_plan(tools: &Tools, profile: &Profile, language: &str, v: &Item, body: Option<&str>, p: &mut Plan) {
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
            // Round up to the next hundred, so the payment really is under the cap.
            let hundred = Decimal::from(100);
            let needed = (needed / hundred).ceil() * hundred;
            p.needed_down = Some(money(needed, v.currency, language));
        }
        // A cheaper unit that fits at the customer's own terms.
        let max_price = (financed + down).round_dp(0);
        let fits = closest(
            tools,
            language,
            &v.make,
            &v.model,
            body,
            Some(max_price),
            std::slice::from_ref(&v.id),
        );
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
        apr: {
            let a = apr.normalize().to_string();
            if language == "pt" { a.replace('.', ",") } else { a }
        },
        apr_assumed: assumed,
        tier,
        unit: unit(v, language),
        raw_monthly: out.monthly_payment,
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
        if !known.contains(&what) {
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
            asks.push("day_time".into());
        }
        "service" => asks.push("day_time".into()),
        _ => {}
    }
    asks
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
