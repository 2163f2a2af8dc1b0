//! Mattermost rendering: Markdown `text` plus Slack-style `attachments` with `fields` and
//! `actions` (docs/protocols/teamchat.md §6.3–6.4). Each button calls `/mattermost/actions` with a private
//! `context` carrying the signed reference (`ref`) and the action.

use crate::copilot::card::{ProfileCard, clip};
use crate::copilot::contact::{Candidate, display_phone};
use crate::copilot::drafts::{DraftCard, DraftStatus};
use crate::copilot::{Reply, token};
use serde_json::{Value, json};

/// Mattermost's post limit.
pub const POST_MAX: usize = 16383;

pub const ACTION_APPROVE: &str = "draft_approve";
pub const ACTION_DISCARD: &str = "draft_discard";
pub const ACTION_TEMPLATE: &str = "draft_template";
pub const ACTION_TAKE_OVER: &str = "draft_take_over";
pub const ACTION_HAND_BACK: &str = "draft_hand_back";
pub const ACTION_EVIDENCE: &str = "card_evidence";
pub const ACTION_PICK_PREFIX: &str = "pick_";

fn button(id: &str, name: &str, style: &str, url: &str, action: &str, r: String) -> Value {
    json!({
        "id": id.replace('_', ""),
        "type": "button",
        "name": clip(name, 75),
        "style": style,
        "integration": { "url": url, "context": { "action": action, "ref": r } },
    })
}

/// Markdown-escapes customer text so it cannot mention (`@channel`) or format.
pub fn esc(s: &str) -> String {
    s.replace('@', "@\u{200b}")
}

pub fn profile_card(card: &ProfileCard, key: &[u8], url: &str) -> (String, Value) {
    let mut text = vec![format!("#### {}", esc(&card.title))];
    if let Some(s) = &card.summary {
        text.push(format!("**Summary:** {}", esc(s)));
    }
    if let Some(n) = &card.next_best_action {
        text.push(format!("**Next best action:** {}", esc(n)));
    }
    if !card.facts.is_empty() {
        text.push("**Stock, price and payment**".into());
        text.extend(card.facts.iter().map(|f| format!("- {}", esc(f))));
    }
    let fields: Vec<Value> = card
        .fields
        .iter()
        .map(|f| json!({ "title": f.label, "value": esc(&f.value), "short": true }))
        .collect();
    let mut attachment = json!({ "fields": fields, "footer": clip(&card.context, 2000) });
    if card.has_evidence() {
        let r = token::sign(key, &card.company, &card.contact, 0, ACTION_EVIDENCE);
        attachment["actions"] = json!([button(
            ACTION_EVIDENCE,
            "Show evidence",
            "default",
            url,
            ACTION_EVIDENCE,
            r
        )]);
    }
    (clip(&text.join("\n"), POST_MAX), json!([attachment]))
}

pub fn evidence(card: &ProfileCard) -> String {
    let mut out = vec![format!("#### Evidence · {}", esc(&card.title))];
    for f in card.fields.iter().filter(|f| !f.evidence.is_empty()) {
        out.push(format!("**{}: {}**", f.label, esc(&f.value)));
        out.extend(f.evidence.iter().map(|q| format!("> {}", esc(&q.replace('\n', " ")))));
    }
    clip(&out.join("\n"), POST_MAX)
}

pub fn draft_card(card: &DraftCard, key: &[u8], url: &str) -> (String, Value) {
    let d = &card.draft;
    let title = match d.status {
        DraftStatus::Pending | DraftStatus::Sending => "Suggested reply",
        DraftStatus::Sent => "Reply sent",
        DraftStatus::Discarded => "Draft discarded",
        DraftStatus::Superseded => "Draft superseded",
    };
    let body = if matches!(d.status, DraftStatus::Superseded | DraftStatus::Discarded) {
        format!("~~{}~~", esc(&d.text.replace('\n', " ")))
    } else {
        d.text
            .lines()
            .map(|l| format!("> {}", esc(l)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut text = vec![format!("**{title}** · {}", esc(&d.context))];
    if let Some(who) = d.held_by.as_ref().filter(|_| card.actionable()) {
        text.push(format!(
            ":warning: **{}** is handling this conversation. Sending this reply takes the conversation over from it: it stops answering this customer.",
            esc(who)
        ));
    }
    text.push(body);
    if let Some(g) = &d.gloss {
        text.push(format!(
            "**In your language:**\n{}",
            g.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| format!("> _{}_", esc(l.trim())))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    let mut small = format!("{} · {} · draft #{}", d.language, d.intent, d.seq);
    if !d.asks.is_empty() {
        small.push_str(&format!(
            " · asks for: {}",
            d.asks
                .iter()
                .map(|a| crate::copilot::card::human(a).to_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(w) = &d.wamid {
        small.push_str(&format!(" · wamid {w}"));
    }
    text.push(format!("_{small}_"));
    if card.actionable() {
        if let Some(c) = &d.cost {
            text.push(format!(":moneybag: {}", esc(c)));
        }
        if let Some(why) = d.template_blocked.as_ref().filter(|_| d.window_closed) {
            text.push(format!(":no_entry: {}", esc(why)));
        }
    }
    if let Some(why) = &d.set_aside {
        text.push(format!(":information_source: {}", esc(why)));
    }
    if let Some(n) = &d.note {
        text.push(format!("{}{}", if d.window_closed { ":warning: " } else { "" }, esc(n)));
    }
    let sign = |a: &str| token::sign(key, &card.company, &card.contact, d.seq, a);
    let mut actions = Vec::new();
    if card.actionable() {
        if d.window_closed {
            if let Some(t) = &d.template_offer {
                actions.push(button(
                    ACTION_TEMPLATE,
                    &format!("Send template {t}"),
                    "primary",
                    url,
                    ACTION_TEMPLATE,
                    sign(ACTION_TEMPLATE),
                ));
            }
        } else if d.held_by.is_some() {
            actions.push(button(
                ACTION_TAKE_OVER,
                "Take over and send",
                "danger",
                url,
                ACTION_TAKE_OVER,
                sign(ACTION_TAKE_OVER),
            ));
        } else {
            actions.push(button(
                ACTION_APPROVE,
                "Approve & send",
                "primary",
                url,
                ACTION_APPROVE,
                sign(ACTION_APPROVE),
            ));
        }
        actions.push(button(
            ACTION_DISCARD,
            "Discard",
            "danger",
            url,
            ACTION_DISCARD,
            sign(ACTION_DISCARD),
        ));
    }
    if let Some(to) = d.hand_back_to.as_ref().filter(|_| d.status == DraftStatus::Sent) {
        actions.push(button(
            ACTION_HAND_BACK,
            &format!("Hand back to {to}"),
            "default",
            url,
            ACTION_HAND_BACK,
            sign(ACTION_HAND_BACK),
        ));
    }
    let attachments = if actions.is_empty() {
        json!([])
    } else {
        json!([{ "actions": actions }])
    };
    (clip(&text.join("\n"), POST_MAX), attachments)
}

pub fn pick_list(then: &str, candidates: &[Candidate], company: &str, key: &[u8], url: &str) -> (String, Value) {
    let action = format!("{ACTION_PICK_PREFIX}{then}");
    let actions: Vec<Value> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            button(
                &format!("pick{i}"),
                &format!("{} ({})", c.name, display_phone(&c.contact)),
                "default",
                url,
                &action,
                token::sign(key, company, c.contact.as_str(), 0, &action),
            )
        })
        .collect();
    (
        format!("{} contacts match. Which one?", candidates.len()),
        json!([{ "actions": actions }]),
    )
}

/// The `(message, attachments)` of a reply.
pub fn render(reply: &Reply, company: &str, key: &[u8], url: &str) -> (String, Value) {
    match reply {
        Reply::Text(t) | Reply::Usage(t) => (clip(&esc(t), POST_MAX), json!([])),
        Reply::Card(c) => profile_card(c, key, url),
        Reply::Picks { then, candidates } => pick_list(then, candidates, company, key, url),
        Reply::Draft(d) => draft_card(d, key, url),
    }
}

/// A slash-command answer (JSON, `Content-Type: application/json`).
pub fn reply_body(reply: &Reply, company: &str, key: &[u8], url: &str, share: bool) -> Value {
    let (text, attachments) = render(reply, company, key, url);
    json!({
        "response_type": if share { "in_channel" } else { "ephemeral" },
        "text": text,
        "attachments": attachments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copilot::card::tests::sample;
    use dossier_core::{CompanyId, ContactId};

    #[test]
    fn profile_card_as_text_and_attachments() {
        let (p, m) = sample();
        let card = ProfileCard::build(
            &CompanyId::parse("demo-motors").unwrap(),
            &ContactId::parse("5215512345678").unwrap(),
            &p,
            None,
            &m,
            &[],
        );
        let body = reply_body(
            &Reply::Card(Box::new(card)),
            "demo-motors",
            b"k",
            "http://x/mattermost/actions",
            false,
        );
        assert!(body.get("blocks").is_none());
        assert_eq!(
            body["attachments"][0]["actions"][0]["integration"]["context"]["action"],
            ACTION_EVIDENCE
        );
        insta::assert_json_snapshot!("mattermost_profile_card", body, {
            ".attachments[].actions[].integration.context.ref" => "[signed]"
        });
    }

    fn card(status: DraftStatus, held_by: Option<&str>, hand_back_to: Option<&str>) -> DraftCard {
        DraftCard {
            company: "demo-motors".into(),
            contact: "5215512345678".into(),
            draft: crate::copilot::drafts::Draft {
                seq: 3,
                status,
                text: "¡Hola María! Sí, tenemos el Corolla.".into(),
                language: "es".into(),
                intent: "availability".into(),
                template: "drafts/availability.es.txt.j2".into(),
                instructions: None,
                created_at: "2026-12-01T12:00:00Z".parse().unwrap(),
                context: "María Souza · +5215512345678".into(),
                cards: vec![],
                wamid: None,
                note: None,
                window_closed: false,
                template_offer: None,
                for_pos: None,
                gloss: None,
                asks: vec![],
                set_aside: None,
                held_by: held_by.map(str::to_owned),
                hand_back_to: hand_back_to.map(str::to_owned),
                cost: Some("Approving sends a billable service message: about 0.0085 USD (service, +52 rate).".into()),
                template_blocked: None,
            },
        }
    }

    fn actions(attachments: &Value) -> Vec<String> {
        attachments[0]["actions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|b| b["integration"]["context"]["action"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn draft_cards_say_who_handles_the_conversation_and_what_sending_costs() {
        let url = "http://x/mattermost/actions";
        let (text, att) = draft_card(&card(DraftStatus::Pending, None, None), b"k", url);
        assert_eq!(actions(&att), [ACTION_APPROVE, ACTION_DISCARD]);
        assert!(
            text.contains(":moneybag: Approving sends a billable service message"),
            "{text}"
        );
        let (text, att) = draft_card(
            &card(DraftStatus::Pending, Some("Meta's agent (Meta Business Agent)"), None),
            b"k",
            url,
        );
        assert_eq!(actions(&att), [ACTION_TAKE_OVER, ACTION_DISCARD]);
        assert!(
            text.contains("is handling this conversation") && text.contains("takes the conversation over"),
            "{text}"
        );
        let (_, att) = draft_card(
            &card(DraftStatus::Sent, None, Some("Meta's agent (Meta Business Agent)")),
            b"k",
            url,
        );
        assert_eq!(actions(&att), [ACTION_HAND_BACK]);
    }
}
