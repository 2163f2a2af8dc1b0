//! Tool facts for a profile: what the business knows about the customer's leading interest right
//! now — stock, the lowest price, and a payment estimate when the customer talked financing.
//!
//! Each fact is one sentence an agent can paste, plus the tool output behind it in `data`, so the
//! sentence can always be checked. Nothing is guessed silently: an assumed APR or credit tier is
//! said in the sentence.

use crate::finance::{self, PaymentInput};
use crate::rates::RateInput;
use crate::search::{Item, LowestPriceInput, SearchInput};
use crate::{Tools, cents};
use dossier_core::Profile;
use dossier_core::money::format_amount;
use dossier_core::profile::{Interest, ToolFact};
use rust_decimal::Decimal;
use serde_json::json;

/// APR used for an estimate when the rate table has no row for the deal.
pub const ASSUMED_APR: Decimal = Decimal::from_parts(79, 0, 0, false, 1); // 7.9 %
/// Term used when the customer named none.
pub const DEFAULT_TERM: u32 = 60;

fn label(i: &Interest) -> String {
    format!("{} {}", i.make, i.model)
}

/// "2022 LE at 20,900 USD (Northside)".
fn short(v: &Item) -> String {
    let trim = v.trim.as_deref().map(|t| format!(" {t}")).unwrap_or_default();
    format!(
        "{}{trim} at {} {} ({})",
        v.year,
        format_amount(v.price),
        v.currency,
        v.branch
    )
}

pub(crate) fn profile_facts(tools: &Tools, profile: &Profile) -> Vec<ToolFact> {
    let Some(interest) = profile.leading_interest() else {
        return Vec::new();
    };
    let name = label(interest);
    let mut facts = Vec::new();

    // 1. Stock.
    let stock = tools.inventory_search(&SearchInput {
        make: Some(interest.make.clone()),
        model: Some(interest.model.clone()),
        limit: Some(3),
        ..Default::default()
    });
    if let Ok(stock) = stock {
        let text = match stock.total {
            0 => format!("No {name} in stock right now"),
            n => {
                let list: Vec<String> = stock.items.iter().map(short).collect();
                let more = if n > stock.items.len() { ", …" } else { "" };
                format!("{n} {name} in stock: {}{more}", list.join(", "))
            }
        };
        facts.push(ToolFact {
            tool: "inventory_search".into(),
            text,
            data: crate::to_json(&stock),
        });
    }

    // 2. Lowest price: for the year the customer named when there is one in stock.
    let lowest_for = |year: Option<i32>| {
        tools
            .lowest_price(&LowestPriceInput {
                make: interest.make.clone(),
                model: interest.model.clone(),
                year,
                trim: None,
                condition: None,
            })
            .ok()
            .filter(|o| o.found)
    };
    let lowest = interest
        .year
        .and_then(|y| lowest_for(Some(y)).map(|o| (o, Some(y))))
        .or_else(|| lowest_for(None).map(|o| (o, None)));
    let lowest_item = lowest.as_ref().and_then(|(o, _)| o.lowest.clone());
    if let (Some((out, year)), Some(v)) = (&lowest, &lowest_item) {
        let what = match year {
            Some(y) => format!("{name} {y}"),
            None => name.clone(),
        };
        let trim = v.trim.as_deref().map(|t| format!(" {t}")).unwrap_or_default();
        facts.push(ToolFact {
            tool: "lowest_price".into(),
            text: format!(
                "Lowest listed {what}: {} {} at {} ({}{trim})",
                format_amount(v.price),
                v.currency,
                v.branch,
                v.year
            ),
            data: crate::to_json(out),
        });
    }

    // 3. Payment estimate, only when the customer gave a financing detail.
    if let Some(f) = payment_fact(tools, profile, interest, lowest_item.as_ref()) {
        facts.push(f);
    }
    facts
}

fn payment_fact(tools: &Tools, profile: &Profile, interest: &Interest, lowest: Option<&Item>) -> Option<ToolFact> {
    let fin = profile.financing.as_ref()?;
    if fin.down_payment.is_none() && fin.term_months.is_none() {
        return None;
    }
    // The car the customer pointed at, if it is still for sale; else the cheapest match.
    let vehicle = interest
        .catalog_ref
        .as_deref()
        .and_then(|r| tools.catalog().get(r))
        .filter(|v| v.is_available())
        .map(|v| Item::new(v, None))
        .or_else(|| lowest.cloned())?;
    let term = fin
        .term_months
        .filter(|t| (1..=120).contains(t))
        .unwrap_or(DEFAULT_TERM);
    let down = fin.down_payment.unwrap_or(Decimal::ZERO);
    let rate = tools
        .finance_rate(&RateInput {
            condition: vehicle.condition,
            vehicle_year: Some(vehicle.year),
            term_months: term,
            credit_score: None,
            program: None,
        })
        .ok()
        .filter(|r| r.found);
    let (apr, apr_note, tier) = match rate.as_ref().and_then(|r| r.apr.map(|a| (a, r))) {
        Some((apr, r)) => {
            let note = match (&r.tier, r.tier_assumed) {
                (Some(t), true) => format!(" (rate table, {t} credit assumed)"),
                (Some(t), false) => format!(" (rate table, {t} credit)"),
                (None, _) => " (rate table)".to_owned(),
            };
            (apr, note, r.tier.clone())
        }
        None => (
            ASSUMED_APR,
            " (assumed: no rate-table row for this deal)".to_owned(),
            None,
        ),
    };
    let mut input = PaymentInput::new(vehicle.price, apr, term);
    input.down_payment = Some(down);
    let out = finance::payment(&input).ok()?;
    let trim = vehicle.trim.as_deref().map(|t| format!(" {t}")).unwrap_or_default();
    let down_text = if down.is_zero() {
        "no money down".to_owned()
    } else {
        format!("{} {} down", format_amount(down), vehicle.currency)
    };
    let trade_note = if profile.trade_in.as_ref().is_some_and(|t| t.has) {
        "; trade-in not included"
    } else {
        ""
    };
    let text = format!(
        "Estimated payment on the {} {} {}{trim} ({} {}) with {down_text}: {} {}/month for {term} months at {}% APR{apr_note}{trade_note}",
        vehicle.year,
        vehicle.make,
        vehicle.model,
        format_amount(vehicle.price),
        vehicle.currency,
        format_amount(out.monthly_payment),
        vehicle.currency,
        apr.normalize(),
    );
    Some(ToolFact {
        tool: "finance_payment".into(),
        text,
        data: json!({
            "vehicle_id": vehicle.id,
            "price": vehicle.price,
            "down_payment": cents(down),
            "term_months": term,
            "apr": apr.normalize(),
            "apr_source": if rate.is_some() { "rate_table" } else { "assumed" },
            "tier": tier,
            "amount_financed": out.amount_financed,
            "monthly_payment": out.monthly_payment,
            "total_of_payments": out.total_of_payments,
            "currency": vehicle.currency,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ProgramBook, RateTable};
    use dossier_core::Catalog;
    use dossier_core::profile::Financing;
    use std::path::Path;

    fn tools(with_rates: bool) -> Tools {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let rates = if with_rates {
            RateTable::load(&root.join("config/companies/demo-motors/rates.toml")).unwrap()
        } else {
            RateTable::default()
        };
        Tools::new(
            Catalog::load(&root.join("data/catalog/demo-motors.csv")).unwrap(),
            rates,
            ProgramBook::default(),
        )
    }

    fn profile(model: &str, year: Option<i32>, financing: bool) -> Profile {
        let mut p = Profile::empty("demo-motors", Some("1"));
        p.interests.push(Interest {
            item: format!("Toyota {model}"),
            make: "Toyota".into(),
            model: model.into(),
            year,
            trim: None,
            catalog_ref: None,
            mentions: 1,
            last_mentioned: None,
            evidence: vec![],
        });
        if financing {
            p.financing = Some(Financing {
                interested: true,
                term_months: Some(60),
                down_payment: Some(Decimal::from(5000)),
                evidence: vec![],
                source: None,
            });
        }
        p
    }

    #[test]
    fn stock_and_lowest_price() {
        let t = tools(true);
        let f = t.profile_facts(&profile("Corolla", None, false));
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].tool, "inventory_search");
        assert!(f[0].text.starts_with("3 Toyota Corolla in stock: "), "{}", f[0].text);
        assert_eq!(
            f[1].text,
            "Lowest listed Toyota Corolla: 20,900 USD at Northside (2022 LE)"
        );
        assert_eq!(f[1].data["lowest"]["id"], "NS-2001");
    }

    #[test]
    fn year_is_used_when_in_stock() {
        let t = tools(true);
        let f = t.profile_facts(&profile("Corolla", Some(2026), false));
        assert_eq!(
            f[1].text,
            "Lowest listed Toyota Corolla 2026: 25,150 USD at Downtown (2026 SE)"
        );
        let f = t.profile_facts(&profile("Corolla", Some(2015), false));
        assert!(f[1].text.starts_with("Lowest listed Toyota Corolla: "));
    }

    #[test]
    fn payment_estimate_uses_the_rate_table() {
        let t = tools(true);
        let f = t.profile_facts(&profile("Corolla", None, true));
        assert_eq!(f.len(), 3);
        let p = &f[2];
        assert_eq!(p.tool, "finance_payment");
        assert_eq!(p.data["apr_source"], "rate_table");
        assert_eq!(p.data["amount_financed"], "15900.00");
        assert!(p.text.contains("near_prime credit assumed"), "{}", p.text);
        assert!(p.text.contains("5,000 USD down"), "{}", p.text);
    }

    #[test]
    fn payment_estimate_says_the_apr_was_assumed() {
        let t = tools(false);
        let f = t.profile_facts(&profile("Corolla", None, true));
        assert_eq!(f[2].data["apr_source"], "assumed");
        assert!(f[2].text.contains("7.9% APR (assumed"), "{}", f[2].text);
    }

    #[test]
    fn nothing_in_stock_or_no_interest() {
        let t = tools(true);
        let f = t.profile_facts(&profile("Supra", None, true));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].text, "No Toyota Supra in stock right now");
        assert!(t.profile_facts(&Profile::empty("demo-motors", None)).is_empty());
    }
}
