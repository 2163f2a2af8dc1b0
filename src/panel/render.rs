//! What the panel shows of one contact, built from the same pieces as the team-chat cards
//! ([`crate::copilot::card::ProfileCard`] for the facts and their evidence, the draft doc for
//! the reply) plus what a sidebar has room for: the stage's trail, stock and lowest price per
//! interest, open questions and objections with their evidence.

use crate::copilot::card::{ProfileCard, QUOTE_MAX, clip, human};
use crate::copilot::contact::display_name;
use crate::copilot::drafts::{self, Draft, DraftStatus};
use crate::state::App;
use dossier_core::money::format_amount;
use dossier_core::profile::Note;
use dossier_core::{CompanyId, ContactId, Message, MessageId, Profile};
use dossier_tools::search::LowestPriceInput;
use serde::Serialize;

/// Stage changes shown (newest last).
const TRAIL_MAX: usize = 6;

/// One fact: its profile field name (`data-field`), label, value and the customer's words.
#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    pub field: String,
    pub label: String,
    pub value: String,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InterestView {
    pub item: String,
    pub mentions: u32,
    /// "3 in stock", "Not in stock", or nothing without a catalog.
    pub stock: Option<String>,
    /// "from 18,900 USD".
    pub lowest: Option<String>,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    pub from: String,
    pub to: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoteView {
    pub text: String,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DraftView {
    pub seq: u64,
    pub status: String,
    pub text: String,
    pub gloss: Option<String>,
    pub language: String,
    pub intent: String,
    pub note: Option<String>,
    pub actionable: bool,
    /// The window is closed and the company has a template to offer instead.
    pub template: Option<String>,
    /// Another responder handles the conversation (Conversation Routing): sending takes it
    /// over, so the only send button is "Take over and send".
    pub held_by: Option<String>,
    /// This draft's send took the thread over: "Hand back" returns it.
    pub hand_back: bool,
    /// What approving costs, from the company's rate card.
    pub cost: Option<String>,
}

/// One contact's panel.
#[derive(Debug, Clone, Serialize)]
pub struct ContactView {
    /// How the page refers to the contact in its data calls: the hint it was opened with (the
    /// phone as the host or the URL wrote it), so the page holds nothing the viewer did not
    /// already have — the stored id is the full number, which a masked panel must not show.
    pub id: String,
    pub name: Option<String>,
    pub initials: String,
    pub phone: String,
    pub stage: Option<FieldView>,
    pub stage_since: Option<String>,
    pub trail: Vec<StepView>,
    /// Every other labelled fact (intent, budget, financing, trade-in, urgency, sentiment,
    /// company fields, assignee), in the card's order.
    pub facts: Vec<FieldView>,
    pub interests: Vec<InterestView>,
    pub open_questions: Vec<NoteView>,
    pub objections: Vec<NoteView>,
    pub next_best_action: Option<String>,
    pub summary: Option<String>,
    pub tool_facts: Vec<String>,
    pub draft: Option<DraftView>,
    /// Who handles the conversation and since when, once any routing event was seen.
    pub handled_by: Option<String>,
    pub context: String,
    pub updated: Option<String>,
}

/// `Trade-in` → `trade_in`: the inverse of [`human`], so `data-field` carries the profile's name.
fn field_name(label: &str) -> String {
    label.to_lowercase().replace([' ', '-'], "_")
}

/// `+52 ••• •••• 5678` unless the company lets the panel show the number.
pub fn phone(contact: &ContactId, show: bool) -> String {
    if !contact.is_phone() {
        return "—".into();
    }
    let d = contact.as_str();
    if show {
        return format!("+{d}");
    }
    let n = d.chars().count();
    let cc: String = d.chars().take(2.min(n.saturating_sub(4))).collect();
    let tail: String = d.chars().skip(n.saturating_sub(4)).collect();
    format!("+{cc} ••• {tail}")
}

fn initials(name: Option<&str>) -> String {
    let s: String = name
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if s.is_empty() { "?".into() } else { s }
}

fn quotes(ids: &[MessageId], messages: &[Message]) -> Vec<String> {
    ids.iter()
        .filter_map(|id| messages.iter().find(|m| &m.id == id && m.is_inbound()))
        .filter(|m| !m.text().trim().is_empty())
        .map(|m| clip(m.text().trim(), QUOTE_MAX))
        .collect()
}

fn notes(ns: &[Note], messages: &[Message]) -> Vec<NoteView> {
    ns.iter()
        .map(|n| NoteView {
            text: n.text.clone(),
            evidence: quotes(&n.evidence, messages),
        })
        .collect()
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => human(s),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    }
}

fn draft_view(d: &Draft) -> DraftView {
    let status = match d.status {
        DraftStatus::Pending => "pending",
        DraftStatus::Sending => "sending",
        DraftStatus::Sent => "sent",
        DraftStatus::Discarded => "discarded",
        DraftStatus::Superseded => "superseded",
    };
    DraftView {
        seq: d.seq,
        status: status.into(),
        text: d.text.clone(),
        gloss: d.gloss.clone(),
        language: d.language.clone(),
        intent: human(&d.intent),
        note: d.note.clone(),
        actionable: d.status == DraftStatus::Pending,
        // A template send would take the thread too: none while another responder has it.
        template: d
            .template_offer
            .clone()
            .filter(|_| d.window_closed && d.held_by.is_none() && d.template_blocked.is_none()),
        held_by: d.held_by.clone(),
        hand_back: d.hand_back_to.is_some() && d.status == DraftStatus::Sent,
        cost: d.cost.clone(),
    }
}

/// Reads and builds the view of `contact`; `None` when the company has no such contact.
pub async fn contact_view(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    reference: &str,
    show_phone: bool,
) -> anyhow::Result<Option<ContactView>> {
    let (profile, record, draft, thread) = tokio::try_join!(
        crate::analysis::pipeline::read_profile(app, company, contact),
        async { Ok(app.store.contact(company, contact).await?) },
        async { drafts::load(app, company, contact).await },
        crate::copilot::thread::load(app, company, contact),
    )?;
    if profile.is_none() && record.is_none() {
        return Ok(None);
    }
    let p = profile.unwrap_or_else(|| Profile::empty(company.as_str(), Some(contact.as_str())));
    let mut ids = crate::copilot::profile_evidence(&p);
    ids.extend(
        p.open_questions
            .iter()
            .chain(&p.objections)
            .flat_map(|n| n.evidence.clone()),
    );
    ids.extend(p.custom.values().flat_map(|f| f.evidence.clone()));
    ids.sort();
    ids.dedup();
    let messages = if ids.is_empty() {
        Vec::new()
    } else {
        app.store.messages_by_id(company, contact, &ids).await?
    };
    let rt = app.companies.get(company.as_str());
    let tool_facts = if p.facts.is_empty() {
        rt.as_ref().map(|rt| rt.tools.profile_facts(&p)).unwrap_or_default()
    } else {
        p.facts.clone()
    };
    let card = ProfileCard::build(company, contact, &p, record.as_ref(), &messages, &tool_facts);
    let mut stage = None;
    let mut facts = Vec::new();
    for f in card.fields {
        let field = field_name(&f.label);
        let view = FieldView {
            field: field.clone(),
            label: f.label,
            value: f.value,
            evidence: f.evidence,
        };
        match field.as_str() {
            "stage" => stage = Some(view),
            "interests" => {}
            _ => facts.push(view),
        }
    }
    if let Some(s) = stage.as_mut() {
        // The card writes "Negotiating since 2026-11-20"; the panel shows the date apart.
        if let Some(v) = &p.stage {
            s.value = human(&v.value);
        }
    }
    let mut interests: Vec<_> = p.interests.iter().collect();
    interests.sort_by_key(|i| std::cmp::Reverse((i.last_mentioned, i.mentions)));
    let interests = interests
        .into_iter()
        .take(5)
        .map(|i| {
            let (stock, lowest) = match &rt {
                Some(rt) if !i.make.is_empty() && !i.model.is_empty() => {
                    let input = LowestPriceInput {
                        make: i.make.clone(),
                        model: i.model.clone(),
                        year: i.year,
                        trim: None,
                        condition: None,
                    };
                    match rt.tools.lowest_price(&input) {
                        Ok(out) if out.found && out.count > 0 => (
                            Some(format!("{} in stock", out.count)),
                            out.lowest
                                .map(|l| format!("from {} {}", format_amount(l.price), l.currency)),
                        ),
                        Ok(_) => (Some("Not in stock".into()), None),
                        Err(_) => (None, None),
                    }
                }
                _ => (None, None),
            };
            InterestView {
                item: i.item.clone(),
                mentions: i.mentions,
                stock,
                lowest,
                evidence: quotes(&i.evidence, &messages),
            }
        })
        .collect();
    let mut trail: Vec<StepView> = p
        .trail
        .iter()
        .filter(|t| t.field == "stage")
        .map(|t| StepView {
            from: value_text(&t.from),
            to: value_text(&t.to),
            at: t.at.strftime("%b %d").to_string(),
        })
        .collect();
    if trail.len() > TRAIL_MAX {
        trail.drain(..trail.len() - TRAIL_MAX);
    }
    let name = display_name(record.as_ref(), Some(&p));
    Ok(Some(ContactView {
        id: reference.to_owned(),
        initials: initials(name.as_deref()),
        name,
        phone: phone(contact, show_phone),
        stage,
        stage_since: p
            .stage
            .as_ref()
            .and_then(|s| s.since)
            .map(|t| t.strftime("%b %d, %Y").to_string()),
        trail,
        facts,
        interests,
        open_questions: notes(&p.open_questions, &messages),
        objections: notes(&p.objections, &messages),
        next_best_action: p.next_best_action.clone(),
        summary: p.summary.clone(),
        tool_facts: card.facts,
        draft: draft.as_ref().map(|(_, d)| {
            let mut v = draft_view(d);
            // Who holds the thread now, not when the draft was made.
            v.held_by = thread.as_ref().and_then(|t| t.held_by());
            if v.held_by.is_some() {
                v.template = None;
            }
            v
        }),
        handled_by: thread.as_ref().map(|t| t.describe()),
        context: card.context,
        updated: p.updated_at.map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(field: &str, label: &str, value: &str, evidence: &[&str]) -> FieldView {
        FieldView {
            field: field.into(),
            label: label.into(),
            value: value.into(),
            evidence: evidence.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// A fixed contact with one of everything, markup in the customer's words included.
    fn sample() -> ContactView {
        ContactView {
            id: "+52 1 55 1234 5678".into(),
            name: Some("María <Souza>".into()),
            initials: "MS".into(),
            phone: "+52 ••• 5678".into(),
            stage: Some(field("stage", "Stage", "Negotiating", &["Mi presupuesto es de 25 mil"])),
            stage_since: Some("Nov 20, 2026".into()),
            trail: vec![StepView {
                from: "Exploring".into(),
                to: "Negotiating".into(),
                at: "Nov 20".into(),
            }],
            facts: vec![
                field(
                    "intent",
                    "Intent",
                    "Financing",
                    &["<script>alert(1)</script> ¿financian?"],
                ),
                field("budget", "Budget", "25,000 USD", &["Mi presupuesto es de 25 mil"]),
                field("urgency", "Urgency", "High", &[]),
            ],
            interests: vec![InterestView {
                item: "Toyota Corolla 2022".into(),
                mentions: 2,
                stock: Some("3 in stock".into()),
                lowest: Some("from 20,900 USD".into()),
                evidence: vec!["¿Tienen el Corolla 2022?".into()],
            }],
            open_questions: vec![NoteView {
                text: "Which colours?".into(),
                evidence: vec![],
            }],
            objections: vec![],
            next_best_action: Some("Send the payment estimate.".into()),
            summary: Some("Wants a 2022 Corolla.".into()),
            tool_facts: vec!["Lowest listed Toyota Corolla 2022: 20,900 USD".into()],
            draft: Some(DraftView {
                seq: 3,
                status: "pending".into(),
                text: "¡Hola María! Sí, tenemos el Corolla 2022.".into(),
                gloss: Some("Hi María! Yes, we have the 2022 Corolla.".into()),
                language: "es".into(),
                intent: "Availability".into(),
                note: None,
                actionable: true,
                template: None,
                held_by: None,
                hand_back: false,
                cost: Some("about 0.0085 USD (service, +52 rate)".into()),
            }),
            handled_by: None,
            context: "3 in / 1 out · analysis: builtin".into(),
            updated: Some("2026-11-20 15:00 UTC".into()),
        }
    }

    #[test]
    fn the_rendered_view_of_a_fixed_contact() {
        let ctx = serde_json::json!({
            "company": "acme", "company_name": "Acme Motors", "origins": "[\"https://cw.example.com\"]",
            "contact": sample(), "missing": false, "asset_version": "test",
        });
        let html = crate::templates::Templates::embedded()
            .render("panel/view.html.j2", &ctx)
            .unwrap();
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
        assert!(html.contains("María &lt;Souza&gt;"));
        insta::assert_snapshot!("panel_view", html);
        let page = crate::templates::Templates::embedded()
            .render("panel/page.html.j2", &ctx)
            .unwrap();
        assert!(
            page.contains("data-origins=\"[&quot;https:&#x2f;&#x2f;cw.example.com&quot;]\""),
            "{page}"
        );
    }

    #[test]
    fn phones_are_masked_unless_allowed_and_fields_keep_their_names() {
        let c = ContactId::parse("5215512345678").unwrap();
        assert_eq!(phone(&c, false), "+52 ••• 5678");
        assert_eq!(phone(&c, true), "+5215512345678");
        assert_eq!(phone(&ContactId::parse("cw.12").unwrap(), false), "—");
        assert_eq!(field_name("Trade-in"), "trade_in");
        assert_eq!(field_name(&human("test_drive_date")), "test_drive_date");
        assert_eq!(initials(Some("María  souza")), "MS");
        assert_eq!(initials(None), "?");
    }
}
