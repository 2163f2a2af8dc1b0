//! Merging a fresh analysis into the stored profile: the trail of changed facts, and outside
//! signals (an agent's explicit stage beats inferred ones until newer customer evidence).

use dossier_core::profile::{Budget, BudgetPeriod, Fact, Financing, Profile, Signal, TradeIn, TrailEntry};
use dossier_core::{Currency, MessageId};
use jiff::Timestamp;
use serde_json::{Value, json};
use std::str::FromStr;

/// Longest trail kept per contact (oldest entries drop first).
pub const MAX_TRAIL: usize = 200;
/// Signals kept on the profile (newest last).
pub const MAX_SIGNALS: usize = 100;

/// The signal kinds outside systems may send, and what their `value` must look like.
pub const SIGNAL_KINDS: [&str; 11] = [
    "stage",
    "intent",
    "budget",
    "financing",
    "trade_in",
    "urgency",
    "sentiment",
    "name",
    "email",
    "branch",
    "assignee",
];

/// Checks an outside signal's value; the error names what is wrong. `fields` are the company's
/// own fields: a signal may set one by its name (an enum field only to one of its values).
pub fn validate_signal(
    kind: &str,
    value: &Value,
    stages: &[String],
    fields: &[crate::analysis::custom::FieldDef],
) -> Result<(), String> {
    if let Some(f) = fields.iter().find(|f| f.name == kind) {
        let v = value
            .as_str()
            .ok_or_else(|| format!("{kind}: value must be a string"))?;
        if v.trim().is_empty() || v.chars().count() > 200 {
            return Err(format!("{kind}: value must be 1 to 200 characters"));
        }
        if !f.values.is_empty() && !f.values.keys().any(|k| k == v) {
            return Err(format!(
                "{kind}: `{v}` is not one of {}",
                f.values.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        return Ok(());
    }
    let s = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{kind}: value must be a string"))
    };
    match kind {
        "stage" => {
            let v = s(value)?;
            if stages.contains(&v) {
                Ok(())
            } else {
                Err(format!("stage: `{v}` is not one of {}", stages.join(", ")))
            }
        }
        "intent" => {
            let v = s(value)?;
            if dossier_core::profile::INTENTS.contains(&v.as_str()) {
                Ok(())
            } else {
                Err(format!("intent: `{v}` is not a known intent"))
            }
        }
        "urgency" => match s(value)?.as_str() {
            "low" | "normal" | "high" => Ok(()),
            v => Err(format!("urgency: `{v}` is not low, normal or high")),
        },
        "sentiment" => match s(value)?.as_str() {
            "negative" | "neutral" | "positive" => Ok(()),
            v => Err(format!("sentiment: `{v}` is not negative, neutral or positive")),
        },
        "name" | "email" | "branch" | "assignee" => s(value).map(|_| ()),
        "budget" => {
            let amount = value
                .get("amount")
                .and_then(Value::as_str)
                .ok_or("budget: `amount` must be a decimal string")?;
            rust_decimal::Decimal::from_str(amount).map_err(|_| format!("budget: `{amount}` is not a decimal"))?;
            let cur = value.get("currency").and_then(Value::as_str).unwrap_or("USD");
            Currency::parse(cur).map_err(|e| format!("budget: {e}"))?;
            match value.get("period").and_then(Value::as_str).unwrap_or("total") {
                "total" | "monthly" => Ok(()),
                p => Err(format!("budget: period `{p}` is not total or monthly")),
            }
        }
        "financing" => value
            .get("interested")
            .and_then(Value::as_bool)
            .map(|_| ())
            .ok_or_else(|| "financing: `interested` must be true or false".into()),
        "trade_in" => value
            .get("has")
            .and_then(Value::as_bool)
            .map(|_| ())
            .ok_or_else(|| "trade_in: `has` must be true or false".into()),
        other => Err(format!(
            "unknown signal kind `{other}`; known: {}{}",
            SIGNAL_KINDS.join(", "),
            fields.iter().map(|f| format!(", {}", f.name)).collect::<String>()
        )),
    }
}

/// The newest customer message time the profile knows of.
fn last_customer_evidence(p: &Profile) -> Option<Timestamp> {
    p.history.last_inbound_at
}

/// Lays outside signals over the analysed profile. A signal holds until customer evidence newer
/// than it exists (then the analysis wins again), except identity facts (name, email, branch,
/// assignee), which hold until changed by another signal.
pub fn apply_external(p: &mut Profile, external: &[Signal]) {
    let newest_customer = last_customer_evidence(p);
    for sig in external {
        let fresh = newest_customer.is_none_or(|t| sig.observed_at >= t);
        let v = &sig.value;
        let fact = |value: &str| Fact {
            value: value.to_owned(),
            confidence: sig.confidence,
            since: Some(sig.observed_at),
            evidence: Vec::new(),
            source: Some(sig.source.clone()),
        };
        match sig.kind.as_str() {
            "name" => p.contact.name = v.as_str().map(str::to_owned),
            "email" => p.contact.email = v.as_str().map(str::to_owned),
            "branch" => p.contact.branch = v.as_str().map(str::to_owned),
            "assignee" => p.contact.assignee = v.as_str().map(str::to_owned),
            _ if !fresh => {}
            "stage" => {
                if let Some(s) = v.as_str() {
                    p.stage = Some(fact(s));
                }
            }
            "intent" => {
                if let Some(s) = v.as_str() {
                    p.intent = Some(fact(s));
                }
            }
            "urgency" => p.urgency = serde_json::from_value(v.clone()).ok(),
            "sentiment" => p.sentiment = serde_json::from_value(v.clone()).ok(),
            "budget" => {
                let amount = v
                    .get("amount")
                    .and_then(Value::as_str)
                    .and_then(|a| rust_decimal::Decimal::from_str(a).ok());
                let currency = Currency::parse(v.get("currency").and_then(Value::as_str).unwrap_or("USD")).ok();
                let period = match v.get("period").and_then(Value::as_str) {
                    Some("monthly") => BudgetPeriod::Monthly,
                    _ => BudgetPeriod::Total,
                };
                if let (Some(amount), Some(currency)) = (amount, currency) {
                    p.budget = Some(Budget {
                        amount,
                        currency,
                        period,
                        evidence: Vec::new(),
                        source: Some(sig.source.clone()),
                    });
                }
            }
            "financing" => {
                if let Some(b) = v.get("interested").and_then(Value::as_bool) {
                    p.financing = Some(Financing {
                        interested: b,
                        term_months: v.get("term_months").and_then(Value::as_u64).map(|t| t as u32),
                        down_payment: v
                            .get("down_payment")
                            .and_then(Value::as_str)
                            .and_then(|a| rust_decimal::Decimal::from_str(a).ok()),
                        evidence: Vec::new(),
                        source: Some(sig.source.clone()),
                    });
                }
            }
            "trade_in" => {
                if let Some(b) = v.get("has").and_then(Value::as_bool) {
                    p.trade_in = Some(TradeIn {
                        has: b,
                        description: v.get("description").and_then(Value::as_str).map(str::to_owned),
                        evidence: Vec::new(),
                        source: Some(sig.source.clone()),
                    });
                }
            }
            // A company-defined field (its name was checked against the company's fields).
            other => {
                if let Some(value) = v.as_str() {
                    p.custom.insert(
                        other.to_owned(),
                        dossier_core::profile::CustomFact {
                            value: value.to_owned(),
                            confidence: sig.confidence,
                            evidence: Vec::new(),
                            source: Some(sig.source.clone()),
                        },
                    );
                }
            }
        }
    }
}

/// The value of each tracked fact, its evidence and its source, for the trail.
fn tracked(p: &Profile) -> Vec<(&'static str, Value, Vec<MessageId>, String)> {
    let src = |s: &Option<String>| s.clone().unwrap_or_else(|| p.provider.clone());
    let mut out = Vec::new();
    let fact = |f: &Option<Fact>| match f {
        Some(f) => (json!(f.value), f.evidence.clone(), src(&f.source)),
        None => (Value::Null, Vec::new(), p.provider.clone()),
    };
    let (v, e, s) = fact(&p.stage);
    out.push(("stage", v, e, s));
    let (v, e, s) = fact(&p.intent);
    out.push(("intent", v, e, s));
    match &p.budget {
        Some(b) => out.push((
            "budget",
            json!({ "amount": b.amount.to_string(), "currency": b.currency.as_str(), "period": b.period }),
            b.evidence.clone(),
            src(&b.source),
        )),
        None => out.push(("budget", Value::Null, Vec::new(), p.provider.clone())),
    }
    match &p.financing {
        Some(f) => out.push(("financing", json!(f.interested), f.evidence.clone(), src(&f.source))),
        None => out.push(("financing", Value::Null, Vec::new(), p.provider.clone())),
    }
    match &p.trade_in {
        Some(t) => out.push(("trade_in", json!(t.has), t.evidence.clone(), src(&t.source))),
        None => out.push(("trade_in", Value::Null, Vec::new(), p.provider.clone())),
    }
    out.push(("urgency", json!(p.urgency), Vec::new(), p.provider.clone()));
    out.push(("sentiment", json!(p.sentiment), Vec::new(), p.provider.clone()));
    out.push(("name", json!(p.contact.name), Vec::new(), p.provider.clone()));
    out.push(("email", json!(p.contact.email), Vec::new(), p.provider.clone()));
    out.push(("assignee", json!(p.contact.assignee), Vec::new(), p.provider.clone()));
    let interests: Vec<String> = p.interests.iter().map(|i| format!("{} {}", i.make, i.model)).collect();
    out.push((
        "interests",
        json!(interests),
        p.interests.iter().flat_map(|i| i.evidence.clone()).collect(),
        p.provider.clone(),
    ));
    out
}

/// Appends a trail entry for every tracked fact whose value changed from `old` to `new`.
pub fn extend_trail(old: &Profile, new: &mut Profile, at: Timestamp) {
    let mut trail = old.trail.clone();
    for ((field, from, _, _), (_, to, evidence, source)) in tracked(old).into_iter().zip(tracked(new)) {
        if from != to {
            trail.push(TrailEntry {
                field: field.to_owned(),
                from,
                to,
                at,
                evidence,
                source,
            });
        }
    }
    if trail.len() > MAX_TRAIL {
        trail.drain(..trail.len() - MAX_TRAIL);
    }
    new.trail = trail;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(kind: &str, value: Value, at: i64) -> Signal {
        Signal {
            kind: kind.into(),
            value,
            confidence: 1.0,
            source: "agent:U1".into(),
            evidence: Vec::new(),
            observed_at: Timestamp::from_second(at).unwrap(),
        }
    }

    #[test]
    fn an_agents_stage_holds_until_newer_customer_evidence() {
        let mut p = Profile::empty("acme", Some("1"));
        p.history.last_inbound_at = Some(Timestamp::from_second(100).unwrap());
        let ext = vec![sig("stage", json!("ready_to_buy"), 150)];
        apply_external(&mut p, &ext);
        assert_eq!(p.stage.as_ref().unwrap().value, "ready_to_buy");
        assert_eq!(p.stage.as_ref().unwrap().source.as_deref(), Some("agent:U1"));
        let mut later = Profile::empty("acme", Some("1"));
        later.history.last_inbound_at = Some(Timestamp::from_second(200).unwrap());
        apply_external(&mut later, &ext);
        assert!(later.stage.is_none());
    }

    #[test]
    fn the_trail_says_why_the_budget_moved() {
        let old = {
            let mut p = Profile::empty("acme", Some("1"));
            p.budget = Some(Budget {
                amount: 30000.into(),
                currency: Currency::USD,
                period: BudgetPeriod::Total,
                evidence: vec!["m1".parse().unwrap()],
                source: None,
            });
            p
        };
        let mut new = old.clone();
        new.budget.as_mut().unwrap().amount = 25000.into();
        new.budget.as_mut().unwrap().evidence = vec!["m7".parse().unwrap()];
        extend_trail(&old, &mut new, Timestamp::from_second(10).unwrap());
        assert_eq!(new.trail.len(), 1);
        let t = &new.trail[0];
        assert_eq!(t.field, "budget");
        assert_eq!(t.from["amount"], "30000");
        assert_eq!(t.to["amount"], "25000");
        assert_eq!(t.evidence[0].as_str(), "m7");
    }

    #[test]
    fn signals_are_validated() {
        let stages: Vec<String> = dossier_core::profile::STAGES.iter().map(|s| s.to_string()).collect();
        assert!(validate_signal("stage", &json!("negotiating"), &stages, &[]).is_ok());
        assert!(validate_signal("stage", &json!("dreaming"), &stages, &[]).is_err());
        assert!(validate_signal("budget", &json!({"amount": "25000", "currency": "USD"}), &stages, &[]).is_ok());
        assert!(validate_signal("budget", &json!({"amount": 25000}), &stages, &[]).is_err());
        assert!(validate_signal("colour", &json!("red"), &stages, &[]).is_err());
    }
}
