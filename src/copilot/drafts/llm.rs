//! Drafting with the company's LLM: it sees the profile, the recent messages and the business
//! tools; prices and payments can only come from the tool calls it makes.

use super::DRAFT_MAX;
use crate::analysis::pipeline::LlmEnv;
use crate::analysis::{AnalysisInput, ToolSpec};
use crate::companies::CompanyRuntime;
use crate::config::IntelligenceSettings;
use crate::copilot::card::clip;
use anyhow::Context;
use dossier_core::{Message, Profile};

/// The LLM's draft text and the name it goes by (`llm:openai`).
pub async fn llm_draft(
    env: LlmEnv<'_>,
    rt: &CompanyRuntime,
    settings: &IntelligenceSettings,
    profile: &Profile,
    recent: &[Message],
    instructions: Option<&str>,
) -> anyhow::Result<(String, String)> {
    let provider = crate::analysis::pipeline::llm_provider(env, &rt.config.providers, settings)
        .map_err(anyhow::Error::msg)?
        .context("no LLM provider configured")?;
    let (_, window) = crate::analysis::window::select_recent(recent, env.summary.recent_tokens);
    let models: Vec<String> = rt
        .catalog
        .models()
        .into_iter()
        .map(|(m, o)| format!("{m} {o}"))
        .collect();
    let input = AnalysisInput {
        templates: env.templates,
        company_name: &rt.config.name,
        profile,
        summary: profile.summary.as_deref(),
        recent: window,
        stages: &settings.stages,
        catalog_models: &models,
        fields: rt.fields.defs(),
    };
    let tools: Vec<ToolSpec> = dossier_tools::definitions()
        .into_iter()
        .map(|d| ToolSpec {
            name: d.name.to_string(),
            description: d.description.to_string(),
            parameters: d.parameters,
        })
        .collect();
    let run_tool = |name: &str, args: serde_json::Value| -> Result<serde_json::Value, String> {
        rt.tools.call(name, args, Some(profile)).map_err(|e| e.to_string())
    };
    let text = provider.draft(&input, instructions, &tools, &run_tool).await?;
    let text = text.trim();
    anyhow::ensure!(!text.is_empty(), "the model drafted nothing");
    Ok((clip(text, DRAFT_MAX), format!("llm:{}", provider.name())))
}
