//! The profile card, independent of the chat it is shown in: what an agent needs at a glance, and
//! for each fact its evidence — the customer's own words, looked up by the fact's message ids.

use super::contact::{display_name, display_phone};
use crate::store::ContactRecord;
use dossier_core::money::format_amount;
use dossier_core::profile::{BudgetPeriod, Sentiment, ToolFact, Urgency};
use dossier_core::{CompanyId, ContactId, Message, MessageId, Profile};
use serde::Serialize;

/// Longest evidence quote shown.
pub const QUOTE_MAX: usize = 280;

/// One labelled fact with the customer's words behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CardField {
    pub label: String,
    pub value: String,
    /// The customer's own messages that show this fact (empty for facts from other sources).
    pub evidence: Vec<String>,
}

/// The card: chat-independent, rendered by `slack::blocks` and `mattermost::render`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileCard {
    pub company: String,
    pub contact: String,
    /// "Maria Souza · +5215512345678".
    pub title: String,
    pub fields: Vec<CardField>,
    pub summary: Option<String>,
    pub next_best_action: Option<String>,
    /// Operational facts from the business tools (stock, lowest price, payment).
    pub facts: Vec<String>,
    /// Small print: provider, message counts, last contact.
    pub context: String,
    /// The contact's profile panel (`/panel/{company}?contact=`), when the company has one and
    /// the service knows its public URL; the chats link to it.
    pub panel_url: Option<String>,
}

/// `ready_to_buy` → `Ready to buy`.
pub fn human(snake: &str) -> String {
    let s = snake.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => s,
    }
}

fn date(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%d").to_string()
}

/// Shortens to `max` characters, ending with `…` when cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

impl ProfileCard {
    /// Builds the card. `messages` are the contact's stored messages (for evidence quotes); only
    /// customer (inbound) messages are quoted.
    pub fn build(
        company: &CompanyId,
        contact: &ContactId,
        p: &Profile,
        record: Option<&ContactRecord>,
        messages: &[Message],
        facts: &[ToolFact],
    ) -> ProfileCard {
        let quotes = |ids: &[MessageId]| -> Vec<String> {
            ids.iter()
                .filter_map(|id| messages.iter().find(|m| &m.id == id && m.is_inbound()))
                .filter(|m| !m.text().trim().is_empty())
                .map(|m| clip(m.text().trim(), QUOTE_MAX))
                .collect()
        };
        let mut fields = Vec::new();
        let mut push = |label: &str, value: String, evidence: Vec<String>| {
            fields.push(CardField {
                label: label.to_owned(),
                value,
                evidence,
            })
        };
        if let Some(s) = &p.stage {
            let since = s.since.map(|t| format!(" since {}", date(t))).unwrap_or_default();
            push("Stage", format!("{}{since}", human(&s.value)), quotes(&s.evidence));
        }
        if let Some(i) = &p.intent {
            push("Intent", human(&i.value), quotes(&i.evidence));
        }
        if !p.interests.is_empty() {
            let mut items: Vec<_> = p.interests.iter().collect();
            items.sort_by_key(|i| std::cmp::Reverse((i.last_mentioned, i.mentions)));
            let labels: Vec<&str> = items.iter().take(3).map(|i| i.item.as_str()).collect();
            let ev: Vec<MessageId> = items.iter().take(3).flat_map(|i| i.evidence.clone()).collect();
            push("Interests", labels.join(", "), quotes(&ev));
        }
        if let Some(b) = &p.budget {
            let per = match b.period {
                BudgetPeriod::Total => "",
                BudgetPeriod::Monthly => "/month",
            };
            push(
                "Budget",
                format!("{} {}{per}", format_amount(b.amount), b.currency),
                quotes(&b.evidence),
            );
        }
        if let Some(f) = &p.financing {
            let mut v = vec![if f.interested { "Wants financing" } else { "Paying cash" }.to_owned()];
            if let Some(t) = f.term_months {
                v.push(format!("{t} months"));
            }
            if let Some(d) = f.down_payment {
                v.push(format!("{} down", format_amount(d)));
            }
            push("Financing", v.join(" · "), quotes(&f.evidence));
        }
        if let Some(t) = &p.trade_in {
            let v = match (t.has, &t.description) {
                (true, Some(d)) => format!("Yes: {d}"),
                (true, None) => "Yes".to_owned(),
                (false, _) => "No".to_owned(),
            };
            push("Trade-in", v, quotes(&t.evidence));
        }
        if let Some(u) = p.urgency {
            let v = match u {
                Urgency::Low => "Low",
                Urgency::Normal => "Normal",
                Urgency::High => "High",
            };
            push("Urgency", v.to_owned(), Vec::new());
        }
        if let Some(s) = p.sentiment {
            let v = match s {
                Sentiment::Negative => "Negative",
                Sentiment::Neutral => "Neutral",
                Sentiment::Positive => "Positive",
            };
            push("Sentiment", v.to_owned(), Vec::new());
        }
        for (name, f) in &p.custom {
            push(&human(name), human(&f.value), quotes(&f.evidence));
        }
        if let Some(a) = &p.contact.assignee {
            push("Assigned to", a.clone(), Vec::new());
        }
        let name = display_name(record, Some(p));
        let phone = display_phone(contact);
        let title = match name {
            Some(n) => format!("{n} · {phone}"),
            None => phone,
        };
        let h = &p.history;
        let (ins, outs) = match record {
            Some(r) => (r.messages_in, r.messages_out),
            None => (u64::from(h.messages_in), u64::from(h.messages_out)),
        };
        let mut ctx = vec![format!("{ins} in / {outs} out")];
        if let Some(last) = record.and_then(|r| r.last_inbound).or(h.last_inbound_at) {
            ctx.push(format!("last customer message {}", last.strftime("%Y-%m-%d %H:%M UTC")));
        }
        if let Some(lang) = &p.contact.language {
            ctx.push(format!("language {lang}"));
        }
        ctx.push(format!("analysis: {}", p.provider));
        if let Some(note) = &p.provider_note {
            ctx.push(note.clone());
        }
        ProfileCard {
            company: company.to_string(),
            contact: contact.to_string(),
            title,
            fields,
            summary: p.summary.clone(),
            next_best_action: p.next_best_action.clone(),
            facts: facts.iter().map(|f| f.text.clone()).collect(),
            context: ctx.join(" · "),
            panel_url: None,
        }
    }

    /// Plain text (the demo, logs, e-mail): the same content as the chat renderings, with the
    /// evidence quoted under each fact when `with_evidence`.
    pub fn to_text(&self, with_evidence: bool) -> String {
        let mut out = format!("{}\n", self.title);
        for f in &self.fields {
            out.push_str(&format!("  {:<12} {}\n", f.label, f.value));
            if with_evidence {
                for q in &f.evidence {
                    out.push_str(&format!("  {:<12}   “{}”\n", "", clip(q, 120)));
                }
            }
        }
        if let Some(s) = &self.summary {
            out.push_str(&format!("  {:<12} {s}\n", "Summary"));
        }
        if let Some(a) = &self.next_best_action {
            out.push_str(&format!("  {:<12} {a}\n", "Next step"));
        }
        for f in &self.facts {
            out.push_str(&format!("  {:<12} {f}\n", "Fact"));
        }
        out.push_str(&format!("  {}\n", self.context));
        out
    }

    /// True when some field has evidence to show.
    pub fn has_evidence(&self) -> bool {
        self.fields.iter().any(|f| !f.evidence.is_empty())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use dossier_core::Direction;
    use dossier_core::profile::{Budget, Fact, Financing, Interest};
    use rust_decimal::Decimal;

    fn msg(id: &str, dir: Direction, text: &str) -> Message {
        Message {
            id: MessageId::parse(id).unwrap(),
            direction: dir,
            timestamp: "2026-11-20T15:00:00Z".parse().unwrap(),
            text: Some(text.into()),
            kind: Some("text".into()),
            status: None,
            detail: None,
        }
    }

    /// A profile with one of everything, and its messages.
    pub(crate) fn sample() -> (Profile, Vec<Message>) {
        let id = |s: &str| MessageId::parse(s).unwrap();
        let mut p = Profile::empty("demo-motors", Some("5215512345678"));
        p.contact.name = Some("María Souza".into());
        p.contact.language = Some("es".into());
        p.stage = Some(Fact {
            value: "negotiating".into(),
            confidence: 0.8,
            since: Some("2026-11-20T15:00:00Z".parse().unwrap()),
            evidence: vec![id("wamid.2")],
            source: None,
        });
        p.intent = Some(Fact {
            value: "financing".into(),
            confidence: 0.9,
            since: None,
            evidence: vec![id("wamid.3")],
            source: None,
        });
        p.interests.push(Interest {
            item: "Toyota Corolla 2022".into(),
            make: "Toyota".into(),
            model: "Corolla".into(),
            year: Some(2022),
            trim: None,
            catalog_ref: None,
            mentions: 2,
            last_mentioned: Some("2026-11-20T15:00:00Z".parse().unwrap()),
            evidence: vec![id("wamid.1")],
        });
        p.budget = Some(Budget {
            amount: Decimal::from(25000),
            currency: dossier_core::Currency::USD,
            period: BudgetPeriod::Total,
            evidence: vec![id("wamid.2")],
            source: None,
        });
        p.financing = Some(Financing {
            interested: true,
            term_months: Some(60),
            down_payment: Some(Decimal::from(5000)),
            evidence: vec![id("wamid.3"), id("wamid.out")],
            source: None,
        });
        p.urgency = Some(Urgency::High);
        p.sentiment = Some(Sentiment::Positive);
        p.summary = Some("Wants a 2022 Corolla, 25k budget, financing 60 months with 5k down.".into());
        p.next_best_action = Some("Send the payment estimate and offer a test drive.".into());
        let messages = vec![
            msg("wamid.1", Direction::In, "Hola, ¿tienen el Corolla 2022?"),
            msg("wamid.2", Direction::In, "Mi presupuesto es de 25 mil dólares"),
            msg(
                "wamid.3",
                Direction::In,
                "Quiero financiarlo a 60 meses con 5 mil de enganche",
            ),
            msg("wamid.out", Direction::Out, "Claro, le preparo una cotización"),
        ];
        (p, messages)
    }

    #[test]
    fn evidence_is_the_customers_own_words_only() {
        let (p, messages) = sample();
        let card = ProfileCard::build(
            &CompanyId::parse("demo-motors").unwrap(),
            &ContactId::parse("5215512345678").unwrap(),
            &p,
            None,
            &messages,
            &[],
        );
        assert_eq!(card.title, "María Souza · +5215512345678");
        let fin = card.fields.iter().find(|f| f.label == "Financing").unwrap();
        assert_eq!(fin.value, "Wants financing · 60 months · 5,000 down");
        assert_eq!(fin.evidence, ["Quiero financiarlo a 60 meses con 5 mil de enganche"]);
        assert!(card.has_evidence());
        assert_eq!(human("ready_to_buy"), "Ready to buy");
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
