//! Analysis providers: what turns a conversation into profile facts.
//!
//! The built-in offline analyzer (`crates/analyzer`) always runs first: it is incremental and
//! cheap, and its profile is the baseline. A company may choose an LLM provider on top
//! ([`openai`], [`anthropic`]): it sees the current profile, the rolling summary and only the recent
//! messages that fit the token budget ([`window`]), and its [`Extraction`] is validated and laid
//! over the baseline. When the LLM fails or answers nonsense, the baseline stands and the profile
//! says so (`provider_note`).

pub mod anthropic;
pub mod custom;
pub mod doc;
pub mod merge;
pub mod openai;
pub mod pipeline;
pub mod prompt;
pub mod redact;
pub mod window;

use async_trait::async_trait;
use dossier_core::Message;
use dossier_core::profile::Profile;
use serde::{Deserialize, Serialize};

/// Everything a provider sees for one analysis.
#[derive(Clone, Serialize)]
pub struct AnalysisInput<'a> {
    /// Where the prompt templates come from.
    #[serde(skip)]
    pub templates: &'a crate::templates::Templates,
    pub company_name: &'a str,
    /// The current profile (the built-in analyzer's view, merged with earlier results).
    pub profile: &'a Profile,
    /// The rolling summary of everything before `recent`.
    pub summary: Option<&'a str>,
    /// The recent messages, oldest first, that fit the token budget.
    pub recent: &'a [Message],
    /// The company's stage names, in pipeline order.
    pub stages: &'a [String],
    /// `Make Model` names the company sells (so the model writes them as the catalog does).
    pub catalog_models: &'a [String],
    /// The company's own profile fields, to be filled too.
    pub fields: &'a [custom::FieldDef],
}

/// An interest as a provider reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractedInterest {
    pub make: String,
    pub model: String,
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// A value with the messages that show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WithEvidence<T> {
    pub value: T,
    #[serde(default)]
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractedBudget {
    /// Decimal string, e.g. "25000".
    pub amount: String,
    pub currency: String,
    /// `total` or `monthly`.
    pub period: String,
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// What an LLM provider extracts (the JSON schema of [`prompt::extraction_schema`]). Every field
/// is optional: `null` means "not shown in these messages", never "unknown → guess".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Extraction {
    pub stage: Option<WithEvidence<String>>,
    pub intent: Option<WithEvidence<String>>,
    pub interests: Vec<ExtractedInterest>,
    pub budget: Option<ExtractedBudget>,
    pub financing: Option<WithEvidence<bool>>,
    pub trade_in: Option<WithEvidence<bool>>,
    pub urgency: Option<String>,
    pub sentiment: Option<String>,
    pub name: Option<WithEvidence<String>>,
    pub email: Option<WithEvidence<String>>,
    pub language: Option<String>,
    pub objections: Vec<WithEvidence<String>>,
    pub open_questions: Vec<WithEvidence<String>>,
    /// The new rolling summary: the old summary plus what the recent messages add.
    pub summary: Option<String>,
    pub next_best_action: Option<String>,
    /// The company's own fields, by name (those the messages show).
    #[serde(default)]
    pub custom: std::collections::BTreeMap<String, WithEvidence<String>>,
    /// Values validation dropped, with why (not part of the model's answer).
    #[serde(skip)]
    pub dropped: Vec<String>,
}

/// Why a provider gave no usable answer. The caller falls back to the baseline and says why.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("provider request failed: {0}")]
    Transport(String),
    #[error("provider answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("provider answer is not valid: {0}")]
    Invalid(String),
}

/// A tool the model may call: name, description and the JSON Schema of its input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: serde_json::Value,
}

/// Runs a tool for the model (the business tools of `crates/tools`), returning its JSON result.
pub type ToolRunner<'a> = &'a (dyn Fn(&str, serde_json::Value) -> Result<serde_json::Value, String> + Send + Sync);

/// An LLM provider. Implementations: [`openai::OpenAiProvider`], [`anthropic::AnthropicProvider`].
#[async_trait]
pub trait LlmProvider: Send + Sync {
    /// `openai` or `anthropic` (shown on the profile as `provider`).
    fn name(&self) -> &'static str;

    /// Structured extraction over the input.
    async fn extract(&self, input: &AnalysisInput<'_>) -> Result<Extraction, ProviderError>;

    /// A reply draft in the customer's language. Prices and payments may only come from tool
    /// results: the model gets the tools and `run_tool` executes its calls (a few rounds at most).
    async fn draft(
        &self,
        input: &AnalysisInput<'_>,
        instructions: Option<&str>,
        tools: &[ToolSpec],
        run_tool: ToolRunner<'_>,
    ) -> Result<String, ProviderError>;
}
