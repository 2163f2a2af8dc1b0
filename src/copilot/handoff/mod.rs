//! Handoff: a structured summary for the managers channel (who, what they want, stage, what we
//! committed to, open questions, suggested next step), and the assignee recorded on the profile.

pub mod promises;
pub mod summary;

use super::Caller;
use super::card::human;
use crate::state::App;
use dossier_core::profile::Signal;
use dossier_core::{CompanyId, ContactId};
pub use summary::Handoff;

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
    let mut messages = app.store.messages(company, contact, 80, None).await?;
    messages.sort_by_key(|m| m.timestamp);
    let promised = promises::promises(&messages);
    let language = rt
        .config
        .copilot
        .managers_language
        .clone()
        .unwrap_or_else(|| rt.config.copilot.agent_language.clone());
    let language = crate::copilot::drafts::compose::agent_language(Some(&language));
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
    let summary = |by: &str| {
        summary::build(&summary::Inputs {
            profile: &profile,
            record: record.as_ref(),
            contact,
            messages: &messages,
            promises: &promised,
            assignee,
            by,
            note,
            language: &language,
        })
    };
    for binding in rt.chats() {
        let h = summary(&binding.chat.mention(caller));
        title = h.title.clone();
        let Some(ch) = &binding.managers_channel else { continue };
        match binding.chat.post_text(ch, &h.render(binding.chat.bold())).await {
            Ok(true) => posted.push(format!("{} managers channel", human(binding.chat.kind().as_str()))),
            Ok(false) => {}
            Err(e) => tracing::warn!(chat = binding.chat.kind().as_str(), error = %e, "handoff post failed"),
        }
    }
    if title.is_empty() {
        title = summary(&by).title;
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
    use dossier_core::{Direction, Message, MessageId};

    fn messages() -> Vec<Message> {
        let m = |id: &str, dir, text: &str, by: Option<&str>| Message {
            id: MessageId::parse(id).unwrap(),
            direction: dir,
            timestamp: "2026-11-20T15:00:00Z".parse().unwrap(),
            text: Some(text.into()),
            kind: Some("text".into()),
            status: None,
            detail: by.map(|b| serde_json::json!({ "approved_by": b })),
        };
        vec![
            m(
                "wamid.1",
                Direction::In,
                "Hola, ¿tienen el Corolla 2022? Lo quiero financiar",
                None,
            ),
            m(
                "wamid.2",
                Direction::Out,
                "¡Hola, María! El Corolla LE 2022 está en 20,900 USD en Northside.",
                Some("<@U1>"),
            ),
            m(
                "wamid.3",
                Direction::In,
                "Mi presupuesto es 25,000 USD, 5 mil de enganche a 60 meses",
                None,
            ),
            m(
                "wamid.4",
                Direction::Out,
                "Perfecto, mañana te llamo para la simulación.",
                None,
            ),
        ]
    }

    #[test]
    fn summary_reads_well_in_the_managers_language() {
        let (p, _) = crate::copilot::card::tests::sample();
        let msgs = messages();
        let promised = promises::promises(&msgs);
        for (lang, bold) in [("en", "*"), ("es", "**"), ("pt", "*"), ("ar", "*")] {
            let h = summary::build(&summary::Inputs {
                profile: &p,
                record: None,
                contact: &ContactId::parse("5215512345678").unwrap(),
                messages: &msgs,
                promises: &promised,
                assignee: "@carlos",
                by: "<@U1>",
                note: Some("VIP"),
                language: lang,
            });
            insta::assert_snapshot!(format!("handoff_{lang}"), h.render(bold));
        }
    }
}
