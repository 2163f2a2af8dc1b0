//! What a send costs (shared/guide/field-2026.md §3.2): since 1 Oct 2026 Meta bills service
//! (non-template) messages inside the 24-hour window — at the market's utility rate, per BSPs —
//! and utility templates inside the window again. Every approved draft is a billable message, so
//! the card shows the estimate from the company's rate card (`[[whatsapp.rates]]`), and each send
//! is counted per company, category and month: in Prometheus
//! (`dossier_whatsapp_sends_total`, `dossier_whatsapp_spend_estimated_micros_total`) and in the
//! store's company counters `spend:YYYY-MM` (read by `GET /v1/companies/{c}/spend`).
//!
//! Estimates, not invoices: Meta's own figure arrives later on status webhooks (`pricing`, kept on
//! the outgoing message) and on the invoice.

use crate::config::{MessageCategory, RateEntry};
use crate::state::App;
use crate::store::ContactRecord;
use dossier_core::money::format_amount;
use dossier_core::{CompanyId, ContactId, Currency};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// An estimated price for one message.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Estimate {
    pub category: MessageCategory,
    /// The rate card's market that matched (`"52"`, `"MX"`, `"*"`).
    pub market: String,
    pub price: Decimal,
    pub currency: Currency,
    /// A service message priced at the utility rate (the card had no `service` line).
    #[serde(default)]
    pub at_utility_rate: bool,
}

impl Estimate {
    /// "about 0.0085 USD (service, +52 rate; billed at the utility rate)".
    pub fn describe(&self) -> String {
        let market = match self.market.as_str() {
            "*" => "default rate".to_owned(),
            m if m.chars().all(|c| c.is_ascii_digit()) => format!("+{m} rate"),
            m => format!("{m} rate"),
        };
        let mut s = format!(
            "about {} {} ({}, {market}",
            price_text(self.price),
            self.currency,
            self.category.as_str()
        );
        if self.at_utility_rate {
            s.push_str("; billed at the utility rate");
        }
        s.push(')');
        s
    }
}

/// Small prices keep their digits (0.0085, not 0.01).
fn price_text(p: Decimal) -> String {
    if p >= Decimal::ONE {
        format_amount(p)
    } else {
        p.normalize().to_string()
    }
}

/// The rate line for `category` to this contact: the longest calling-code prefix of its number,
/// else its business-scoped id's country (`MX.…`), else `*`.
fn find<'a>(
    rates: &'a [RateEntry],
    category: MessageCategory,
    phone: Option<&str>,
    bsuid: Option<&str>,
) -> Option<&'a RateEntry> {
    let of: Vec<&RateEntry> = rates.iter().filter(|r| r.category == category).collect();
    if let Some(p) = phone
        && let Some(r) = of
            .iter()
            .filter(|r| {
                !r.market.is_empty() && r.market.chars().all(|c| c.is_ascii_digit()) && p.starts_with(&r.market)
            })
            .max_by_key(|r| r.market.len())
    {
        return Some(r);
    }
    let country = bsuid
        .and_then(|b| b.split_once('.'))
        .map(|(c, _)| c.to_ascii_uppercase());
    if let Some(c) = country
        && let Some(r) = of.iter().find(|r| r.market.eq_ignore_ascii_case(&c))
    {
        return Some(r);
    }
    of.into_iter().find(|r| r.market == "*")
}

/// The estimate for one message of `category` to the contact; `None` when the rate card has no
/// line for it.
pub fn estimate(
    rates: &[RateEntry],
    category: MessageCategory,
    contact: &ContactId,
    record: Option<&ContactRecord>,
) -> Option<Estimate> {
    let phone = super::templates::phone(contact, record);
    let bsuid = if contact.is_phone() {
        record.and_then(|r| r.user_id.clone())
    } else {
        Some(contact.as_str().to_owned())
    };
    let hit = |c| find(rates, c, phone.as_deref(), bsuid.as_deref());
    let (line, at_utility) = match hit(category) {
        Some(r) => (r, false),
        None if category == MessageCategory::Service => (hit(MessageCategory::Utility)?, true),
        None => return None,
    };
    Some(Estimate {
        category,
        market: line.market.clone(),
        price: line.price,
        currency: line.currency,
        at_utility_rate: at_utility,
    })
}

/// The card's cost line for approving (`category` of what approving sends).
pub fn card_line(estimate: Option<&Estimate>, category: MessageCategory) -> String {
    match estimate {
        Some(e) => format!(
            "Approving sends a billable {} message: {}.",
            category.as_str(),
            e.describe()
        ),
        None => format!(
            "Approving sends a billable {} message (no rate for this market in the company's rate card).",
            category.as_str()
        ),
    }
}

/// The counter hash of a month (`spend:2026-12`).
pub fn month_key(month: &str) -> String {
    format!("spend:{month}")
}

/// Micro-units (1e-6) of a price: counters are integers, and 0.0085 must not round to 0.
fn micros(p: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    // A price too large for the counters (a typo in the rate card) counts as 0, never panics.
    p.checked_mul(Decimal::from(1_000_000))
        .and_then(|m| m.round().to_i64())
        .unwrap_or(0)
}

/// Counts one accepted send: Prometheus and the month's counters. A counter failure is logged,
/// never fails the send (the message is out).
pub async fn record_send(app: &App, company: &CompanyId, category: MessageCategory, estimate: Option<&Estimate>) {
    let cat = category.as_str();
    metrics::counter!("dossier_whatsapp_sends_total", "company" => company.to_string(), "category" => cat).increment(1);
    let mut fields = vec![(format!("sends:{cat}"), 1)];
    if let Some(e) = estimate {
        let m = micros(e.price);
        metrics::counter!(
            "dossier_whatsapp_spend_estimated_micros_total",
            "company" => company.to_string(),
            "category" => cat,
            "currency" => e.currency.to_string()
        )
        .increment(m.max(0) as u64);
        fields.push((format!("micros:{cat}:{}", e.currency), m));
    } else {
        fields.push((format!("unpriced:{cat}"), 1));
    }
    let month = jiff::Timestamp::now().strftime("%Y-%m").to_string();
    if let Err(e) = app.store.incr_counters(company, &month_key(&month), &fields).await {
        tracing::warn!(company = %company, error = %e, "could not count the send's spend");
    }
}

/// One category's sends and estimated spend in a month.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CategorySpend {
    pub sends: i64,
    /// Sends the rate card had no price for (not in `estimated`).
    pub unpriced: i64,
    /// Estimated spend per currency, as decimal strings.
    pub estimated: BTreeMap<String, Decimal>,
}

/// `GET /v1/companies/{c}/spend?month=`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Spend {
    pub company: String,
    pub month: String,
    pub categories: BTreeMap<String, CategorySpend>,
    pub total: CategorySpend,
    pub note: &'static str,
}

/// The month's sums from the company counters.
pub async fn spend(app: &App, company: &CompanyId, month: &str) -> anyhow::Result<Spend> {
    let mut categories: BTreeMap<String, CategorySpend> = BTreeMap::new();
    let mut total = CategorySpend::default();
    for (field, n) in app.store.counters(company, &month_key(month)).await? {
        let parts: Vec<&str> = field.split(':').collect();
        match parts.as_slice() {
            ["sends", cat] => {
                let c = categories.entry((*cat).to_owned()).or_default();
                c.sends = c.sends.saturating_add(n);
                total.sends = total.sends.saturating_add(n);
            }
            ["unpriced", cat] => {
                let c = categories.entry((*cat).to_owned()).or_default();
                c.unpriced = c.unpriced.saturating_add(n);
                total.unpriced = total.unpriced.saturating_add(n);
            }
            ["micros", cat, cur] => {
                let amount = Decimal::new(n, 6).normalize();
                let add = |into: &mut Decimal| *into = into.checked_add(amount).unwrap_or(*into);
                add(categories
                    .entry((*cat).to_owned())
                    .or_default()
                    .estimated
                    .entry((*cur).to_owned())
                    .or_default());
                add(total.estimated.entry((*cur).to_owned()).or_default());
            }
            _ => {}
        }
    }
    Ok(Spend {
        company: company.to_string(),
        month: month.to_owned(),
        categories,
        total,
        note: "Estimates from the company's rate card at send time; Meta's invoice is authoritative.",
    })
}

/// `YYYY-MM` with a real month.
pub fn valid_month(m: &str) -> bool {
    let b = m.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && matches!(m[5..].parse::<u8>(), Ok(1..=12))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(market: &str, category: MessageCategory, price: &str) -> RateEntry {
        RateEntry {
            market: market.into(),
            category,
            price: price.parse().unwrap(),
            currency: Currency::USD,
        }
    }

    #[test]
    fn longest_prefix_wins_and_service_falls_back_to_utility() {
        let rates = vec![
            rate("*", MessageCategory::Utility, "0.0100"),
            rate("52", MessageCategory::Utility, "0.0085"),
            rate("521", MessageCategory::Marketing, "0.0305"),
            rate("MX", MessageCategory::Marketing, "0.0300"),
        ];
        let mx = ContactId::parse("5215512345678").unwrap();
        let e = estimate(&rates, MessageCategory::Service, &mx, None).unwrap();
        assert_eq!((e.market.as_str(), e.at_utility_rate), ("52", true));
        assert_eq!(
            e.describe(),
            "about 0.0085 USD (service, +52 rate; billed at the utility rate)"
        );
        assert_eq!(
            estimate(&rates, MessageCategory::Marketing, &mx, None).unwrap().market,
            "521"
        );
        let bsuid = ContactId::parse("MX.13491208655302741918").unwrap();
        assert_eq!(
            estimate(&rates, MessageCategory::Marketing, &bsuid, None)
                .unwrap()
                .market,
            "MX"
        );
        let us = ContactId::parse("16505551234").unwrap();
        assert_eq!(
            estimate(&rates, MessageCategory::Service, &us, None).unwrap().market,
            "*"
        );
        assert!(estimate(&rates, MessageCategory::Authentication, &us, None).is_none());
        assert_eq!(micros("0.0085".parse().unwrap()), 8500);
        assert_eq!(micros(Decimal::MAX), 0, "no overflow panic");
    }

    #[test]
    fn months() {
        assert!(valid_month("2026-12"));
        for bad in ["2026-13", "2026-00", "2026-1", "26-12-01", "abcd-ef", ""] {
            assert!(!valid_month(bad), "{bad}");
        }
    }
}
