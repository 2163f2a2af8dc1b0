//! Block Kit rendering of the copilot's replies, inside Slack's limits (docs/protocols/teamchat.md §4): 50 blocks
//! per message, section text 3000 characters, 10 fields of 2000, header 150 (plain text), context
//! 10 elements, button text 75, button value 2000, confirm dialog title 100 / text 300 / buttons 30.
//! Every message also carries a top-level `text` (notifications and fallback).

use crate::copilot::card::{ProfileCard, clip, human};
use crate::copilot::contact::Candidate;
use crate::copilot::drafts::{DraftCard, DraftStatus};
use crate::copilot::{Reply, token};
use serde_json::{Value, json};

pub const MAX_BLOCKS: usize = 50;
pub const SECTION_TEXT_MAX: usize = 3000;
pub const FIELDS_MAX: usize = 10;
pub const FIELD_TEXT_MAX: usize = 2000;
pub const HEADER_MAX: usize = 150;
pub const CONTEXT_ELEMENTS_MAX: usize = 10;
pub const BUTTON_TEXT_MAX: usize = 75;
pub const BUTTON_VALUE_MAX: usize = 2000;
pub const ACTIONS_MAX: usize = 25;
/// Top-level `text` kept short: it is only the notification line.
pub const FALLBACK_MAX: usize = 3000;

pub const ACTION_APPROVE: &str = "draft_approve";
pub const ACTION_EDIT: &str = "draft_edit";
pub const ACTION_DISCARD: &str = "draft_discard";
pub const ACTION_TEMPLATE: &str = "draft_template";
/// Send although another responder handles the conversation (takes the thread over from it).
pub const ACTION_TAKE_OVER: &str = "draft_take_over";
/// Pass the thread back to the responder a send took it from (Thread Control API).
pub const ACTION_HAND_BACK: &str = "draft_hand_back";
pub const ACTION_EVIDENCE: &str = "card_evidence";
/// Thumbs up / down on a draft: feeds the company's draft statistics.
pub const ACTION_VOTE_UP: &str = "draft_vote_up";
pub const ACTION_VOTE_DOWN: &str = "draft_vote_down";
/// Pick-list buttons: `pick_<subcommand>`.
pub const ACTION_PICK_PREFIX: &str = "pick_";
/// The Edit modal's `callback_id`.
pub const EDIT_CALLBACK: &str = "draft_edit_submit";
/// What the Edit modal's reference is signed for when sending it takes the conversation over
/// from another responder (the modal then says so and its button reads "Take over and send").
pub const EDIT_TAKE_OVER: &str = "draft_edit_take_over";

/// Escapes text for mrkdwn (`&`, `<`, `>`), so customer text cannot mention or link.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn plain(text: &str, max: usize) -> Value {
    json!({ "type": "plain_text", "text": clip(text, max), "emoji": true })
}

fn mrkdwn(text: &str, max: usize) -> Value {
    json!({ "type": "mrkdwn", "text": clip(text, max) })
}

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": mrkdwn(text, SECTION_TEXT_MAX) })
}

fn context(text: &str) -> Value {
    json!({ "type": "context", "elements": [mrkdwn(text, SECTION_TEXT_MAX)] })
}

fn button(text: &str, action_id: &str, value: String, style: Option<&str>) -> Value {
    let mut b = json!({
        "type": "button",
        "action_id": action_id,
        "text": plain(text, BUTTON_TEXT_MAX),
        "value": clip(&value, BUTTON_VALUE_MAX),
    });
    if let Some(s) = style {
        b["style"] = json!(s);
    }
    b
}

fn confirm(title: &str, text: &str, yes: &str) -> Value {
    json!({
        "title": plain(title, 100),
        "text": mrkdwn(text, 300),
        "confirm": plain(yes, 30),
        "deny": plain("Cancel", 30),
    })
}

/// The notification line: plain, short.
pub fn fallback(text: &str) -> String {
    clip(text, FALLBACK_MAX)
}

/// Text in as many sections as it needs (split on lines), within the block limit.
pub fn text_blocks(text: &str) -> Value {
    let mut blocks = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        if cur.chars().count() + line.chars().count() + 1 > SECTION_TEXT_MAX && !cur.is_empty() {
            blocks.push(section(&cur));
            cur.clear();
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(line);
    }
    if !cur.is_empty() || blocks.is_empty() {
        blocks.push(section(if cur.is_empty() { " " } else { &cur }));
    }
    blocks.truncate(MAX_BLOCKS);
    Value::Array(blocks)
}

/// The profile card. `key` signs the Evidence button.
pub fn profile_card(card: &ProfileCard, key: &[u8]) -> (String, Value) {
    let mut blocks = vec![json!({ "type": "header", "text": plain(&card.title, HEADER_MAX) })];
    let fields: Vec<Value> = card
        .fields
        .iter()
        .take(FIELDS_MAX)
        .map(|f| mrkdwn(&format!("*{}*\n{}", f.label, esc(&f.value)), FIELD_TEXT_MAX))
        .collect();
    if !fields.is_empty() {
        blocks.push(json!({ "type": "section", "fields": fields }));
    }
    // Fields beyond ten go in a plain section.
    if card.fields.len() > FIELDS_MAX {
        let rest: Vec<String> = card.fields[FIELDS_MAX..]
            .iter()
            .map(|f| format!("*{}:* {}", f.label, esc(&f.value)))
            .collect();
        blocks.push(section(&rest.join("\n")));
    }
    if let Some(s) = &card.summary {
        blocks.push(section(&format!("*Summary*\n{}", esc(s))));
    }
    if let Some(n) = &card.next_best_action {
        blocks.push(section(&format!("*Next best action*\n{}", esc(n))));
    }
    if !card.facts.is_empty() {
        let facts: Vec<String> = card.facts.iter().map(|f| format!("• {}", esc(f))).collect();
        blocks.push(section(&format!("*Stock, price and payment*\n{}", facts.join("\n"))));
    }
    match &card.panel_url {
        // Slack's link syntax: the URL is ours (no `|` or `>`), the label fixed.
        Some(url) => blocks.push(context(&format!(
            "{} · <{url}|Open the profile panel>",
            esc(&card.context)
        ))),
        None => blocks.push(context(&esc(&card.context))),
    }
    if card.has_evidence() {
        let value = token::sign(key, &card.company, &card.contact, 0, ACTION_EVIDENCE);
        blocks.push(json!({ "type": "actions", "elements": [button("Show evidence", ACTION_EVIDENCE, value, None)] }));
    }
    blocks.truncate(MAX_BLOCKS);
    (
        fallback(&format!("Customer profile: {}", card.title)),
        Value::Array(blocks),
    )
}

/// The evidence behind each fact: the customer's own words, quoted.
pub fn evidence(card: &ProfileCard) -> (String, Value) {
    let mut blocks =
        vec![json!({ "type": "header", "text": plain(&format!("Evidence · {}", card.title), HEADER_MAX) })];
    for f in card.fields.iter().filter(|f| !f.evidence.is_empty()) {
        if blocks.len() >= MAX_BLOCKS {
            break;
        }
        let quotes: Vec<String> = f
            .evidence
            .iter()
            .map(|q| format!(">{}", esc(&q.replace('\n', " "))))
            .collect();
        blocks.push(section(&format!(
            "*{}: {}*\n{}",
            f.label,
            esc(&f.value),
            quotes.join("\n")
        )));
    }
    (fallback(&format!("Evidence for {}", card.title)), Value::Array(blocks))
}

/// A draft card: context line, the draft, its state, and the buttons while it is pending.
pub fn draft_card(card: &DraftCard, key: &[u8]) -> (String, Value) {
    let d = &card.draft;
    let sign = |action: &str| token::sign(key, &card.company, &card.contact, d.seq, action);
    let title = match d.status {
        DraftStatus::Pending | DraftStatus::Sending => "Suggested reply",
        DraftStatus::Sent => "Reply sent",
        DraftStatus::Discarded => "Draft discarded",
        DraftStatus::Superseded => "Draft superseded",
    };
    let mut blocks = vec![
        json!({ "type": "header", "text": plain(title, HEADER_MAX) }),
        context(&esc(&d.context)),
    ];
    if let Some(who) = d.held_by.as_ref().filter(|_| card.actionable()) {
        blocks.push(section(&format!(
            ":warning: *{}* is handling this conversation. Sending this reply takes the conversation over from it: it stops answering this customer.",
            esc(who)
        )));
    }
    let quoted: String = d
        .text
        .lines()
        .map(|l| format!(">{}", esc(l)))
        .collect::<Vec<_>>()
        .join("\n");
    let draft_text = if d.status == DraftStatus::Superseded || d.status == DraftStatus::Discarded {
        format!("~{}~", clip(&esc(&d.text.replace('\n', " ")), SECTION_TEXT_MAX - 2))
    } else {
        quoted
    };
    blocks.push(json!({ "type": "section", "block_id": format!("draft:{}", d.seq), "text": mrkdwn(&draft_text, SECTION_TEXT_MAX) }));
    if let Some(g) = &d.gloss {
        let meaning: String = g
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!(">_{}_", esc(l.trim())))
            .collect::<Vec<_>>()
            .join("\n");
        blocks.push(section(&clip(
            &format!("*In your language:*\n{meaning}"),
            SECTION_TEXT_MAX,
        )));
    }
    let mut small = vec![format!("{} · {} · draft #{}", d.language, d.intent, d.seq)];
    if !d.asks.is_empty() {
        small.push(format!(
            "asks for: {}",
            d.asks
                .iter()
                .map(|a| human(a).to_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(i) = &d.instructions {
        small.push(format!("asked: {}", esc(i)));
    }
    if let Some(w) = &d.wamid {
        small.push(format!("wamid {}", esc(w)));
    }
    blocks.push(context(&small.join(" · ")));
    if card.actionable() {
        if let Some(c) = &d.cost {
            blocks.push(context(&format!(":moneybag: {}", esc(c))));
        }
        if let Some(why) = d.template_blocked.as_ref().filter(|_| d.window_closed) {
            blocks.push(context(&format!(":no_entry: {}", esc(why))));
        }
    }
    if let Some(why) = &d.set_aside {
        blocks.push(context(&format!(":information_source: {}", esc(why))));
    }
    if let Some(n) = &d.note {
        let icon = if d.window_closed { ":warning: " } else { "" };
        blocks.push(section(&format!("{icon}{}", esc(n))));
    }
    if card.actionable() {
        let mut buttons = Vec::new();
        if d.window_closed {
            if let Some(t) = &d.template_offer {
                let mut b = button(
                    &format!("Send template {t}"),
                    ACTION_TEMPLATE,
                    sign(ACTION_TEMPLATE),
                    Some("primary"),
                );
                b["confirm"] = confirm(
                    "Send the template?",
                    "This sends the company's template to the customer on WhatsApp.",
                    "Send",
                );
                buttons.push(b);
            }
        } else if let Some(who) = &d.held_by {
            let mut b = button(
                "Take over and send",
                ACTION_TAKE_OVER,
                sign(ACTION_TAKE_OVER),
                Some("danger"),
            );
            b["confirm"] = confirm(
                "Take over the conversation?",
                &format!(
                    "This takes over from {}: it stops answering this customer, and your reply is sent on WhatsApp.",
                    esc(who)
                ),
                "Take over and send",
            );
            buttons.push(b);
            buttons.push(button("Edit", ACTION_EDIT, sign(ACTION_EDIT), None));
        } else {
            let mut b = button("Approve & send", ACTION_APPROVE, sign(ACTION_APPROVE), Some("primary"));
            b["confirm"] = confirm(
                "Send to customer?",
                "This sends the reply to the customer on WhatsApp.",
                "Send",
            );
            buttons.push(b);
            buttons.push(button("Edit", ACTION_EDIT, sign(ACTION_EDIT), None));
        }
        let mut discard = button("Discard", ACTION_DISCARD, sign(ACTION_DISCARD), Some("danger"));
        discard["confirm"] = confirm("Discard this draft?", "Nothing is sent to the customer.", "Discard");
        buttons.push(discard);
        blocks.push(json!({ "type": "actions", "block_id": format!("draft_actions:{}", d.seq), "elements": buttons }));
    }
    if let Some(to) = d.hand_back_to.as_ref().filter(|_| d.status == DraftStatus::Sent) {
        let mut b = button(
            &format!("Hand back to {to}"),
            ACTION_HAND_BACK,
            sign(ACTION_HAND_BACK),
            None,
        );
        b["confirm"] = confirm(
            "Hand the conversation back?",
            &format!(
                "{} answers this customer again; your agents stop getting Approve buttons for it.",
                esc(to)
            ),
            "Hand back",
        );
        blocks.push(json!({ "type": "actions", "block_id": format!("draft_thread:{}", d.seq), "elements": [b] }));
    }
    if matches!(d.status, DraftStatus::Pending | DraftStatus::Sent) {
        blocks.push(
            json!({ "type": "actions", "block_id": format!("draft_feedback:{}", d.seq), "elements": [
            button(":+1: Good draft", ACTION_VOTE_UP, sign(ACTION_VOTE_UP), None),
            button(":-1: Not usable", ACTION_VOTE_DOWN, sign(ACTION_VOTE_DOWN), None),
        ] }),
        );
    }
    let text = format!("{title}: {}", d.context);
    (fallback(&text), Value::Array(blocks))
}

/// The Edit modal: the draft text in a multiline input; `private_metadata` carries the signed ref.
pub fn edit_modal(card: &DraftCard, key: &[u8], response_url: Option<&str>) -> Value {
    let d = &card.draft;
    let signed_for = if d.held_by.is_some() {
        EDIT_TAKE_OVER
    } else {
        EDIT_CALLBACK
    };
    let meta = json!({
        "ref": token::sign(key, &card.company, &card.contact, d.seq, signed_for),
        "response_url": response_url,
    });
    let mut top = vec![json!({ "type": "context", "elements": [mrkdwn(&esc(&d.context), SECTION_TEXT_MAX)] })];
    if let Some(who) = &d.held_by {
        top.push(section(&format!(
            ":warning: *{}* is handling this conversation: sending takes it over (it stops answering this customer).",
            esc(who)
        )));
    }
    let input = json!({
        "type": "input",
        "block_id": "draft_text",
        "label": plain("Reply to the customer", 2000),
        "element": {
            "type": "plain_text_input",
            "action_id": "text",
            "multiline": true,
            "initial_value": clip(&d.text, 3000),
            "max_length": 3000,
        },
    });
    top.push(input);
    let submit = if d.held_by.is_some() {
        "Take over and send"
    } else {
        "Send"
    };
    json!({
        "type": "modal",
        "callback_id": EDIT_CALLBACK,
        "private_metadata": meta.to_string(),
        "title": plain("Edit reply", 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "blocks": top,
    })
}

/// A pick list: one button per matching contact.
pub fn pick_list(then: &str, candidates: &[Candidate], company: &str, key: &[u8]) -> (String, Value) {
    let action = format!("{ACTION_PICK_PREFIX}{then}");
    let buttons: Vec<Value> = candidates
        .iter()
        .take(ACTIONS_MAX)
        .enumerate()
        .map(|(i, c)| {
            let mut b = button(
                &format!("{} ({})", c.name, crate::copilot::contact::display_phone(&c.contact)),
                &format!("{action}_{i}"),
                token::sign(key, company, c.contact.as_str(), 0, &action),
                None,
            );
            b["action_id"] = json!(format!("{action}_{i}"));
            b
        })
        .collect();
    let blocks = json!([
        section(&format!("{} contacts match. Which one?", candidates.len())),
        { "type": "actions", "elements": buttons },
    ]);
    (fallback("Several contacts match. Which one?"), blocks)
}

/// The slash-command answer (or `response_url` body) for a reply.
pub fn reply_body(reply: &Reply, company: &str, key: &[u8], share: bool) -> Value {
    let (text, blocks) = match reply {
        Reply::Text(t) => (fallback(t), text_blocks(&esc(t))),
        Reply::Usage(t) => (fallback(t), text_blocks(&esc(t))),
        Reply::Card(c) => profile_card(c, key),
        Reply::Picks { then, candidates } => pick_list(then, candidates, company, key),
        Reply::Draft(d) => draft_card(d, key),
    };
    json!({
        "response_type": if share { "in_channel" } else { "ephemeral" },
        "text": text,
        "blocks": blocks,
    })
}

/// Checks a rendered message against Block Kit's limits (tests use it on every card).
pub fn check_limits(blocks: &Value) -> Result<(), String> {
    let arr = blocks.as_array().ok_or("blocks is not an array")?;
    if arr.len() > MAX_BLOCKS {
        return Err(format!("{} blocks", arr.len()));
    }
    let len = |v: &Value| v["text"].as_str().map(|s| s.chars().count()).unwrap_or(0);
    for b in arr {
        match b["type"].as_str() {
            Some("header") if len(&b["text"]) > HEADER_MAX => return Err("header too long".into()),
            Some("section") => {
                if len(&b["text"]) > SECTION_TEXT_MAX {
                    return Err("section text too long".into());
                }
                if let Some(f) = b["fields"].as_array()
                    && (f.len() > FIELDS_MAX || f.iter().any(|x| len(x) > FIELD_TEXT_MAX))
                {
                    return Err("fields over the limit".into());
                }
            }
            Some("context") if b["elements"].as_array().map_or(0, Vec::len) > CONTEXT_ELEMENTS_MAX => {
                return Err("context elements".into());
            }
            Some("actions") => {
                let e = b["elements"].as_array().ok_or("actions without elements")?;
                if e.len() > ACTIONS_MAX {
                    return Err("too many buttons".into());
                }
                for x in e {
                    if len(&x["text"]) > BUTTON_TEXT_MAX || x["value"].as_str().map_or(0, str::len) > BUTTON_VALUE_MAX {
                        return Err("button over the limit".into());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copilot::card::tests::sample;
    use crate::copilot::drafts::Draft;
    use dossier_core::{CompanyId, ContactId};

    fn card() -> ProfileCard {
        let (p, m) = sample();
        ProfileCard::build(
            &CompanyId::parse("demo-motors").unwrap(),
            &ContactId::parse("5215512345678").unwrap(),
            &p,
            None,
            &m,
            &[dossier_core::profile::ToolFact {
                tool: "lowest_price".into(),
                text: "Lowest listed Toyota Corolla 2022: 20,900 USD at Northside (2022 LE)".into(),
                data: Value::Null,
            }],
        )
    }

    fn draft(status: DraftStatus, window_closed: bool) -> DraftCard {
        DraftCard {
            company: "demo-motors".into(),
            contact: "5215512345678".into(),
            draft: Draft {
                seq: 2,
                status,
                text: "¡Hola María!\nTenemos 3 Toyota Corolla disponibles.".into(),
                language: "es".into(),
                intent: "availability".into(),
                template: "drafts/availability.es.txt.j2".into(),
                instructions: None,
                for_pos: None,
                gloss: Some("Hi María! Yes, we have the Corolla.\n\nWould you like to see it?".into()),
                asks: vec!["down_payment".into()],
                set_aside: Some(
                    "The model's draft was set aside: it states numbers no tool, profile or message gave (19,900)."
                        .into(),
                ),
                created_at: "2026-11-20T15:00:00Z".parse().unwrap(),
                context: "María Souza · +5215512345678 · Negotiating · Toyota Corolla 2022".into(),
                cards: vec![],
                wamid: None,
                note: window_closed.then(|| "The 24-hour window is closed: only a template can be sent.".into()),
                window_closed,
                template_offer: Some("follow_up_es_en".into()),
                held_by: None,
                hand_back_to: None,
                cost: Some("Approving sends a billable service message: about 0.0085 USD (service, +52 rate; billed at the utility rate).".into()),
                template_blocked: None,
            },
        }
    }

    #[test]
    fn profile_card_snapshot_within_limits() {
        let (text, blocks) = profile_card(&card(), b"k");
        check_limits(&blocks).unwrap();
        assert!(text.contains("María Souza"));
        insta::assert_json_snapshot!("slack_profile_card", blocks, {
            "[].elements[].value" => "[signed]"
        });
        let (_, ev) = evidence(&card());
        check_limits(&ev).unwrap();
        insta::assert_json_snapshot!("slack_evidence", ev);
    }

    #[test]
    fn draft_card_states() {
        let (_, pending) = draft_card(&draft(DraftStatus::Pending, false), b"k");
        check_limits(&pending).unwrap();
        let blocks = pending.as_array().unwrap();
        let actions = blocks
            .iter()
            .find(|b| b["block_id"].as_str().is_some_and(|id| id.starts_with("draft_actions")))
            .unwrap();
        let votes = blocks.last().unwrap();
        assert_eq!(votes["elements"][0]["action_id"], ACTION_VOTE_UP);
        assert_eq!(votes["elements"][1]["action_id"], ACTION_VOTE_DOWN);
        let ids: Vec<&str> = actions["elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["action_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [ACTION_APPROVE, ACTION_EDIT, ACTION_DISCARD]);
        let v = actions["elements"][0]["value"].as_str().unwrap();
        assert!(token::verify(b"k", v, ACTION_APPROVE).is_some());
        insta::assert_json_snapshot!("slack_draft_pending", pending, { "[].elements[].value" => "[signed]" });
        let (_, closed) = draft_card(&draft(DraftStatus::Pending, true), b"k");
        let s = closed.to_string();
        assert!(s.contains(ACTION_TEMPLATE) && !s.contains(ACTION_APPROVE), "{s}");
        let (_, sent) = draft_card(&draft(DraftStatus::Sent, false), b"k");
        let s = sent.to_string();
        assert!(
            !s.contains(ACTION_APPROVE) && s.contains(ACTION_VOTE_UP),
            "a sent draft can still be rated"
        );
        let (_, gone) = draft_card(&draft(DraftStatus::Superseded, false), b"k");
        assert!(!gone.to_string().contains("\"actions\""));
    }

    #[test]
    fn another_responder_means_take_over_never_approve_and_a_take_over_offers_hand_back() {
        let mut held = draft(DraftStatus::Pending, false);
        held.draft.held_by = Some("Meta's agent (Meta Business Agent)".into());
        let (_, blocks) = draft_card(&held, b"k");
        check_limits(&blocks).unwrap();
        let s = blocks.to_string();
        assert!(s.contains(ACTION_TAKE_OVER) && !s.contains(ACTION_APPROVE), "{s}");
        // Its Edit modal says so, and what it submits is signed as a take-over.
        let modal = edit_modal(&held, b"k", None);
        assert_eq!(modal["submit"]["text"], "Take over and send");
        let r: Value = serde_json::from_str(modal["private_metadata"].as_str().unwrap()).unwrap();
        assert!(token::verify(b"k", r["ref"].as_str().unwrap(), EDIT_TAKE_OVER).is_some());
        assert!(token::verify(b"k", r["ref"].as_str().unwrap(), EDIT_CALLBACK).is_none());
        assert!(
            s.contains("is handling this conversation") && s.contains("This takes over from Meta"),
            "{s}"
        );
        insta::assert_json_snapshot!("slack_draft_take_over", blocks, { "[].elements[].value" => "[signed]" });
        let mut sent = draft(DraftStatus::Sent, false);
        sent.draft.hand_back_to = Some("Meta's agent (Meta Business Agent)".into());
        let (_, blocks) = draft_card(&sent, b"k");
        check_limits(&blocks).unwrap();
        let s = blocks.to_string();
        assert!(s.contains(ACTION_HAND_BACK) && !s.contains(ACTION_TAKE_OVER), "{s}");
        // Closed window with a blocked template: no template button, the reason instead.
        let mut closed = draft(DraftStatus::Pending, true);
        closed.draft.template_offer = None;
        closed.draft.template_blocked = Some("Marketing templates are not delivered to US (+1) numbers".into());
        let s = draft_card(&closed, b"k").1.to_string();
        assert!(!s.contains(ACTION_TEMPLATE) && s.contains("US (+1)"), "{s}");
    }

    #[test]
    fn long_text_is_split_and_clipped() {
        let long = "x".repeat(10_000);
        let blocks = text_blocks(&long);
        check_limits(&blocks).unwrap();
        let many: String = (0..400).map(|i| format!("line {i} {}\n", "y".repeat(200))).collect();
        let blocks = text_blocks(&many);
        check_limits(&blocks).unwrap();
        let mut c = card();
        c.title = "N".repeat(500);
        c.summary = Some("s".repeat(9000));
        let (_, b) = profile_card(&c, b"k");
        check_limits(&b).unwrap();
    }

    #[test]
    fn the_card_links_to_the_panel_when_the_company_has_one() {
        let mut c = card();
        let (_, plain) = profile_card(&c, b"k");
        assert!(!plain.to_string().contains("profile panel"));
        c.panel_url = Some("https://dossier.example/panel/demo-motors?key=k&contact=%2B5215512345678".into());
        let (_, b) = profile_card(&c, b"k");
        assert!(b.to_string().contains(
            "<https://dossier.example/panel/demo-motors?key=k&contact=%2B5215512345678|Open the profile panel>"
        ));
    }
}
