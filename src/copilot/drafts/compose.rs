//! The builtin composer: a [`Plan`](super::plan::Plan) of what the reply depends on, rendered by
//! the template `drafts/{intent}.{lang}.txt.j2` in the customer's language, and again in the
//! agent's language as the `gloss` (same plan, same facts: an agent who does not read Arabic
//! still knows what they approve). The result is the draft contract of
//! docs/conversation-and-profile.md §8.

use super::plan::{self, Dealer, LANGUAGES, Plan};
use crate::config::company::CompanyConfig;
use crate::templates::Templates;
use dossier_core::profile::ToolFact;
use dossier_core::{Message, Profile};
use dossier_tools::Tools;
use serde::{Deserialize, Serialize};

/// Longest builtin draft: a WhatsApp message a person reads without scrolling.
pub const WHATSAPP_MAX: usize = 700;

/// A drafted reply (docs/conversation-and-profile.md §8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Composed {
    pub text: String,
    pub language: String,
    /// The same reply in the agent's language.
    pub gloss: String,
    pub intent: String,
    pub facts: Vec<ToolFact>,
    /// What the reply asks the customer for; never something they already said.
    pub asks: Vec<String>,
    pub provider: String,
    pub template: String,
    /// Why a draft from the LLM was set aside for this one, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The agent's language for the gloss: one the composer writes, else English.
pub fn agent_language(wanted: Option<&str>) -> String {
    let l = wanted
        .unwrap_or("en")
        .split(['-', '_'])
        .next()
        .unwrap_or("en")
        .to_lowercase();
    if LANGUAGES.contains(&l.as_str()) {
        l
    } else {
        "en".into()
    }
}

/// Composes the builtin reply to the customer's latest message.
pub fn compose(
    templates: &Templates,
    tools: &Tools,
    profile: &Profile,
    recent: &[Message],
    company: &CompanyConfig,
    agent_language: &str,
) -> anyhow::Result<Composed> {
    let dealer = Dealer {
        company: &company.name,
        branches: &company.branches,
    };
    let plan = plan::plan(tools, profile, recent, dealer);
    let (text, template) = render(templates, &plan)?;
    let gloss = if agent_language == plan.language {
        text.clone()
    } else {
        render(templates, &plan.localized(agent_language))?.0
    };
    Ok(Composed {
        text,
        language: plan.language.clone(),
        gloss,
        intent: plan.intent.clone(),
        facts: plan.facts,
        asks: plan.asks,
        provider: "builtin".into(),
        template,
        note: None,
    })
}

/// Takes the LLM's draft over the builtin one when it passes the same checks (the customer's
/// language, numbers that come from the tools, the profile or the conversation, nothing asked
/// twice, WhatsApp size and markup); otherwise the builtin draft stands and says why.
pub fn prefer_llm(
    mut builtin: Composed,
    llm: anyhow::Result<(String, String)>,
    provider: &str,
    profile: &Profile,
    recent: &[Message],
) -> Composed {
    match llm {
        Ok((text, name)) => {
            let known = super::plan::known_in(profile, recent);
            let grounds = super::check::Grounds {
                facts: &builtin.facts,
                profile,
                conversation: recent,
            };
            let verdict = super::check::check(&text, &builtin.language, &known, &grounds);
            if verdict.ok() {
                builtin.text = text;
                builtin.template = name;
                builtin.provider = provider.to_owned();
                builtin.gloss = String::new();
                builtin.asks = Vec::new();
            } else {
                let why = verdict.reason();
                metrics::counter!("dossier_llm_drafts_set_aside_total").increment(1);
                tracing::info!(reason = %why, "LLM draft set aside for the builtin one");
                builtin.note = Some(format!("The model's draft was set aside: {why}."));
            }
        }
        // The builtin draft stands; the agent still gets a reply to approve.
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "LLM draft failed; using the builtin draft");
            builtin.note = Some(format!("The model gave no draft ({e}); this is the builtin one."));
        }
    }
    builtin
}

/// Renders a plan with its intent's template in its language.
fn render(templates: &Templates, plan: &Plan) -> anyhow::Result<(String, String)> {
    let name = format!("drafts/{}.{}.txt.j2", plan.intent, plan.language);
    let name = if templates.has(&name) {
        name
    } else {
        format!("drafts/other.{}.txt.j2", plan.language)
    };
    let raw = templates.render(&name, plan)?;
    Ok((tidy(&raw, WHATSAPP_MAX), name))
}

/// Trims lines and spaces, keeps at most one blank line between paragraphs, and cuts a long
/// reply at the last paragraph or sentence that fits.
pub fn tidy(text: &str, max: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    let text = out.join("\n");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    let end = cut
        .rfind("\n\n")
        .or_else(|| cut.rfind(['.', '?', '!', '؟']).map(|i| i + 1))
        .unwrap_or(cut.len());
    cut[..end].trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_collapses_blank_lines_and_cuts_at_a_sentence() {
        assert_eq!(tidy("  a  b \n\n\n c\n\n", 700), "a b\n\nc");
        assert_eq!(tidy("One. Two. Three.", 10), "One. Two.");
    }
}
