//! Handoff: a structured summary for the managers channel (who, what they want, stage, what we
//! committed to, open questions, suggested next step), and the assignee recorded on the profile.

use super::Caller;
use super::card::{clip, human};
use super::contact::{display_name, display_phone};
use crate::state::App;
use dossier_core::money::format_amount;
use dossier_core::profile::Signal;
use dossier_core::{CompanyId, ContactId, Direction, Profile};
use serde::Serialize;

/// The handoff summary, chat-independent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Handoff {
    pub title: String,
    pub assignee: String,
    pub by: String,
    /// Label → text, in reading order.
    pub sections: Vec<(String, String)>,
}

impl Handoff {
    /// Markdown-ish text; `bold` is `*` for Slack, `**` for Mattermost.
    pub fn render(&self, bold: &str) -> String {
        let mut out = vec![format!(
            "{bold}Handoff: {}{bold} → {} (from {})",
            self.title, self.assignee, self.by
        )];
        for (label, text) in &self.sections {
            out.push(format!("{bold}{label}:{bold} {text}"));
        }
        out.join("\n")
    }
}

/// Builds the summary from the profile and the latest messages.
pub fn build(
    p: &Profile,
    record: Option<&crate::store::ContactRecord>,
    contact: &ContactId,
    recent_out: &[String],
    assignee: &str,
    by: &str,
    note: Option<&str>,
) -> Handoff {
    let name = display_name(record, Some(p)).unwrap_or_else(|| "Unknown name".into());
    let mut sections = Vec::new();
    let mut want = Vec::new();
    if let Some(i) = p.leading_interest() {
        want.push(i.item.clone());
    }
    if let Some(i) = &p.intent {
        want.push(format!("asking about {}", human(&i.value).to_lowercase()));
    }
    if let Some(b) = &p.budget {
        want.push(format!("budget {} {}", format_amount(b.amount), b.currency));
    }
    if p.financing.as_ref().is_some_and(|f| f.interested) {
        want.push("wants financing".into());
    }
    if p.trade_in.as_ref().is_some_and(|t| t.has) {
        want.push("has a trade-in".into());
    }
    sections.push((
        "Wants".into(),
        if want.is_empty() {
            "Not clear yet".into()
        } else {
            want.join(", ")
        },
    ));
    let stage = p
        .stage
        .as_ref()
        .map(|s| {
            let since = s
                .since
                .map(|t| format!(" since {}", t.strftime("%Y-%m-%d")))
                .unwrap_or_default();
            format!("{}{since}", human(&s.value))
        })
        .unwrap_or_else(|| "Unknown".into());
    sections.push(("Stage".into(), stage));
    if let Some(s) = &p.summary {
        sections.push(("Summary".into(), clip(s, 600)));
    }
    let commitments = if recent_out.is_empty() {
        "None yet".to_owned()
    } else {
        recent_out
            .iter()
            .map(|t| format!("“{}”", clip(t, 200)))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    sections.push(("Commitments made".into(), commitments));
    let open: Vec<&str> = p
        .open_questions
        .iter()
        .chain(p.objections.iter())
        .map(|n| n.text.as_str())
        .collect();
    sections.push((
        "Open questions".into(),
        if open.is_empty() {
            "None".into()
        } else {
            open.join("; ")
        },
    ));
    sections.push((
        "Suggested next step".into(),
        p.next_best_action
            .clone()
            .unwrap_or_else(|| "Call the customer and confirm what they need.".into()),
    ));
    if let Some(n) = note {
        sections.push(("Note".into(), n.to_owned()));
    }
    Handoff {
        title: format!("{name} · {}", display_phone(contact)),
        assignee: assignee.to_owned(),
        by: by.to_owned(),
        sections,
    }
}

/// `/dossier handoff`: records the assignee on the profile (a signal from the team chat, merged
/// and trailed like any other), posts the summary to the managers channel(s), and answers the
/// agent with what happened.
pub async fn handoff(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    assignee: &str,
    note: Option<&str>,
    caller: &Caller,
) -> anyhow::Result<String> {
    let Some(rt) = app.companies.get(company.as_str()) else {
        anyhow::bail!("unknown company {company}")
    };
    let settings = crate::analysis::pipeline::effective_settings(app, company).await?;
    let record = app.store.contact(company, contact).await?;
    let messages = app.store.messages(company, contact, 50, None).await?;
    let recent_out: Vec<String> = messages
        .iter()
        .rev()
        .filter(|m| m.direction == Direction::Out && !m.text().is_empty())
        .take(3)
        .map(|m| m.text().to_owned())
        .collect();
    let by = caller.user_name.clone();
    let signal = Signal {
        kind: "assignee".into(),
        value: serde_json::json!(assignee),
        confidence: 1.0,
        source: format!("teamchat handoff by {by}"),
        evidence: Vec::new(),
        observed_at: jiff::Timestamp::now(),
    };
    let out = crate::analysis::pipeline::apply(
        app,
        &rt,
        &settings,
        company,
        contact,
        &crate::analysis::pipeline::Change::Signals(vec![signal]),
    )
    .await?;
    let profile = out.profile;
    let mut title = String::new();
    let mut posted = Vec::new();
    for binding in rt.chats() {
        let h = build(
            &profile,
            record.as_ref(),
            contact,
            &recent_out,
            assignee,
            &binding.chat.mention(caller),
            note,
        );
        title = h.title.clone();
        let Some(ch) = &binding.managers_channel else { continue };
        match binding.chat.post_text(ch, &h.render(binding.chat.bold())).await {
            Ok(true) => posted.push(format!("{} managers channel", human(binding.chat.kind().as_str()))),
            Ok(false) => {}
            Err(e) => tracing::warn!(chat = binding.chat.kind().as_str(), error = %e, "handoff post failed"),
        }
    }
    if title.is_empty() {
        title = build(&profile, record.as_ref(), contact, &recent_out, assignee, &by, note).title;
    }
    let where_ = if posted.is_empty() {
        "no managers channel could be reached".to_owned()
    } else {
        format!("summary posted to the {}", posted.join(" and "))
    };
    Ok(format!("Handed {title} to {assignee}: {where_}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_reads_well() {
        let (p, _) = crate::copilot::card::tests::sample();
        let h = build(
            &p,
            None,
            &ContactId::parse("5215512345678").unwrap(),
            &["I'll send you the quote today".into()],
            "@carlos",
            "<@U1>",
            Some("VIP"),
        );
        insta::assert_snapshot!("handoff_slack", h.render("*"));
    }
}
