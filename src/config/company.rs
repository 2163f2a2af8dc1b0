//! One company (tenant): `config/companies/<id>.toml`. Paths inside are relative to the config dir.

use super::ConfigError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// The offline analyzer: no network, no model.
    Builtin,
    /// Any OpenAI-compatible Chat Completions server (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp).
    Openai,
    /// Anthropic Messages API.
    Anthropic,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Builtin => "builtin",
            ProviderKind::Openai => "openai",
            ProviderKind::Anthropic => "anthropic",
        }
    }
}

/// Profile fields a company may switch off (they are then not extracted nor shown).
pub const PROFILE_FIELDS: [&str; 14] = [
    "stage",
    "intent",
    "interests",
    "budget",
    "financing",
    "trade_in",
    "urgency",
    "sentiment",
    "name",
    "email",
    "objections",
    "open_questions",
    "summary",
    "next_best_action",
];

/// Customer Intelligence settings: the file's values are the defaults; `PUT .../settings` overrides
/// them per company at run time (kept in the store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntelligenceSettings {
    pub enabled: bool,
    pub provider: ProviderKind,
    pub model: Option<String>,
    pub base_url: Option<String>,
    /// The *name* of the environment variable holding the API key (never the key itself).
    pub api_key_env: Option<String>,
    pub timeout_secs: u64,
    /// Replace phone numbers, e-mails and similar identifiers before a request leaves the server.
    pub pii_redaction: bool,
    /// Post a drafted reply for every incoming customer message.
    pub auto_draft: bool,
    pub stages: Vec<String>,
    pub fields: Vec<String>,
}

impl Default for IntelligenceSettings {
    fn default() -> Self {
        IntelligenceSettings {
            enabled: true,
            provider: ProviderKind::Builtin,
            model: None,
            base_url: None,
            api_key_env: None,
            timeout_secs: 20,
            pii_redaction: true,
            auto_draft: true,
            stages: dossier_core::profile::STAGES.iter().map(|s| s.to_string()).collect(),
            fields: PROFILE_FIELDS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl IntelligenceSettings {
    /// Checks the settings; the error names the key (relative to `intelligence`) and the problem.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, p: &str| Err((k.to_owned(), p.to_owned()));
        if self.provider != ProviderKind::Builtin && self.model.as_deref().unwrap_or("").trim().is_empty() {
            return bad("model", "an LLM provider needs a model name");
        }
        if let Some(url) = &self.base_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return bad("base_url", "must be an http(s) URL");
        }
        if let Some(var) = &self.api_key_env
            && (var.is_empty()
                || !var
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        {
            return bad(
                "api_key_env",
                "must be an environment variable name like OPENAI_API_KEY",
            );
        }
        if !(1..=300).contains(&self.timeout_secs) {
            return bad("timeout_secs", "must be between 1 and 300");
        }
        if self.stages.is_empty() {
            return bad("stages", "needs at least one stage");
        }
        let mut seen = std::collections::HashSet::new();
        for s in &self.stages {
            if s.is_empty()
                || !s
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return bad("stages", "stage names are snake_case");
            }
            if !seen.insert(s) {
                return bad("stages", "a stage is listed twice");
            }
        }
        for f in &self.fields {
            if !PROFILE_FIELDS.contains(&f.as_str()) {
                return Err((
                    "fields".into(),
                    format!("unknown field `{f}`; known: {}", PROFILE_FIELDS.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// The environment variable that holds the key: the configured one or the provider's default.
    pub fn key_var(&self) -> Option<String> {
        self.api_key_env.clone().or(match self.provider {
            ProviderKind::Builtin => None,
            ProviderKind::Openai => Some("OPENAI_API_KEY".into()),
            ProviderKind::Anthropic => Some("ANTHROPIC_API_KEY".into()),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateRef {
    pub name: String,
    pub language: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CompanyWhatsApp {
    pub phone_number_ids: Vec<String>,
    /// Env variable holding the Graph API token used to send for this company.
    pub access_token_env: String,
    /// Template offered when the 24-hour window is closed.
    pub template: Option<TemplateRef>,
}

impl Default for CompanyWhatsApp {
    fn default() -> Self {
        CompanyWhatsApp {
            phone_number_ids: Vec::new(),
            access_token_env: "WHATSAPP_ACCESS_TOKEN".into(),
            template: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanySlack {
    pub team_id: String,
    pub drafts_channel: Option<String>,
    pub managers_channel: Option<String>,
    #[serde(default = "default_slack_token_env")]
    pub bot_token_env: String,
}

fn default_slack_token_env() -> String {
    "SLACK_BOT_TOKEN".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyMattermost {
    pub team_id: String,
    pub drafts_channel: Option<String>,
    pub managers_channel: Option<String>,
    /// Base URL of the Mattermost server (for posting drafts through its REST API).
    pub server_url: Option<String>,
    #[serde(default = "default_mm_token_env")]
    pub bot_token_env: String,
}

fn default_mm_token_env() -> String {
    "MATTERMOST_BOT_TOKEN".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyConfig {
    pub id: String,
    pub name: String,
    /// Env variable holding this company's API bearer token.
    #[serde(default)]
    pub api_token_env: Option<String>,
    /// Inventory feed (CSV), rate table and programs (TOML); relative to the config dir.
    #[serde(default)]
    pub catalog: Option<PathBuf>,
    #[serde(default)]
    pub rates: Option<PathBuf>,
    #[serde(default)]
    pub programs: Option<PathBuf>,
    /// Extra analyzer knowledge files (same format as `config/knowledge/*.toml`).
    #[serde(default)]
    pub knowledge: Vec<PathBuf>,
    #[serde(default)]
    pub whatsapp: CompanyWhatsApp,
    #[serde(default)]
    pub slack: Option<CompanySlack>,
    #[serde(default)]
    pub mattermost: Option<CompanyMattermost>,
    #[serde(default)]
    pub intelligence: IntelligenceSettings,
}

impl CompanyConfig {
    /// The defaults for a company that has no file (`dossier analyze` with any company id).
    pub fn default_for(id: &str) -> CompanyConfig {
        CompanyConfig {
            id: id.to_owned(),
            name: id.to_owned(),
            api_token_env: None,
            catalog: None,
            rates: None,
            programs: None,
            knowledge: Vec::new(),
            whatsapp: CompanyWhatsApp::default(),
            slack: None,
            mattermost: None,
            intelligence: IntelligenceSettings::default(),
        }
    }

    /// Reads and validates one company file; relative paths are resolved against `config_dir`.
    pub fn load(path: &Path, config_dir: &Path) -> Result<CompanyConfig, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::new(&file, "(file)", e.to_string()))?;
        let mut c: CompanyConfig = toml::from_str(&text).map_err(|e| {
            let key = e.message().split('`').nth(1).unwrap_or("(file)").to_owned();
            let at = e
                .span()
                .map(|s| format!(" (line {})", text[..s.start.min(text.len())].lines().count().max(1)))
                .unwrap_or_default();
            ConfigError::new(&file, key, format!("{}{at}", e.message()))
        })?;
        let bad = |k: &str, p: String| ConfigError::new(&file, k, p);
        if dossier_core::CompanyId::parse(&c.id).is_err() {
            return Err(bad(
                "id",
                format!("`{}` is not a company id (a-z, 0-9, '-', '_')", c.id),
            ));
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if stem != c.id {
            return Err(bad(
                "id",
                format!("`{}` differs from the file name `{stem}.toml`", c.id),
            ));
        }
        for pnid in &c.whatsapp.phone_number_ids {
            if pnid.is_empty() || !pnid.chars().all(|ch| ch.is_ascii_digit()) {
                return Err(bad(
                    "whatsapp.phone_number_ids",
                    format!("`{pnid}` is not a numeric phone_number_id"),
                ));
            }
        }
        if let Some(var) = &c.api_token_env
            && (var.is_empty()
                || !var
                    .chars()
                    .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '_'))
        {
            return Err(bad("api_token_env", "must be an environment variable name".into()));
        }
        c.intelligence
            .validate()
            .map_err(|(k, p)| bad(&format!("intelligence.{k}"), p))?;
        for (key, p) in [
            ("catalog", &mut c.catalog),
            ("rates", &mut c.rates),
            ("programs", &mut c.programs),
        ] {
            if let Some(rel) = p.as_ref() {
                let abs = config_dir.join(rel);
                if !abs.is_file() {
                    return Err(bad(key, format!("file {} does not exist", abs.display())));
                }
                *p = Some(abs);
            }
        }
        for k in c.knowledge.iter_mut() {
            let abs = config_dir.join(&*k);
            if !abs.is_file() {
                return Err(bad("knowledge", format!("file {} does not exist", abs.display())));
            }
            *k = abs;
        }
        Ok(c)
    }
}
