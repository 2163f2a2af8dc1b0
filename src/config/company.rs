//! One company (tenant): `config/companies/<id>.toml`. Paths inside are relative to the config dir.

use super::ConfigError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

/// Customer Intelligence settings a company may choose itself: the file's values are the
/// defaults; `PUT .../settings` overrides them per company at run time (kept in the store). Which
/// LLM endpoints and keys exist is the operator's decision ([`Providers`]), never these settings'.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct IntelligenceSettings {
    pub enabled: bool,
    /// `builtin`, or an LLM provider the operator configured for the company under `[providers]`.
    pub provider: ProviderKind,
    /// The model, among those the operator allows for that provider.
    pub model: Option<String>,
    pub timeout_secs: u64,
    /// Replace phone numbers, e-mails and similar identifiers before a request leaves the server.
    pub pii_redaction: bool,
    /// Draft a reply for every incoming customer message.
    pub auto_draft: bool,
    pub stages: Vec<String>,
    pub fields: Vec<String>,
}

/// Keys a tenant may not set through the settings API, with where the operator sets them.
pub const OPERATOR_ONLY_KEYS: [(&str, &str); 2] = [
    (
        "base_url",
        "the operator sets an LLM's base URL in the company file, under [providers.<provider>]",
    ),
    (
        "api_key_env",
        "the operator names an LLM's key variable in the company file, under [providers.<provider>]",
    ),
];

impl Default for IntelligenceSettings {
    fn default() -> Self {
        IntelligenceSettings {
            enabled: true,
            provider: ProviderKind::Builtin,
            model: None,
            timeout_secs: 20,
            pii_redaction: true,
            auto_draft: true,
            stages: dossier_core::profile::STAGES.iter().map(|s| s.to_string()).collect(),
            fields: PROFILE_FIELDS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl IntelligenceSettings {
    /// Checks the settings against what the operator allows; the error names the key (relative
    /// to `intelligence`) and the problem.
    pub fn validate(&self, providers: &Providers) -> Result<(), (String, String)> {
        let bad = |k: &str, p: &str| Err((k.to_owned(), p.to_owned()));
        if self.provider != ProviderKind::Builtin {
            if self.model.as_deref().unwrap_or("").trim().is_empty() {
                return bad("model", "an LLM provider needs a model name");
            }
            let Some(endpoint) = providers.get(self.provider) else {
                return Err((
                    "provider".into(),
                    format!(
                        "`{}` is not configured for this company (the operator adds [providers.{}] to its file); allowed: {}",
                        self.provider.as_str(),
                        self.provider.as_str(),
                        providers.allowed().join(", ")
                    ),
                ));
            };
            let model = self.model.as_deref().unwrap_or("").trim();
            if !endpoint.models.is_empty() && !endpoint.models.iter().any(|m| m == model) {
                return Err((
                    "model".into(),
                    format!("`{model}` is not allowed; allowed: {}", endpoint.models.join(", ")),
                ));
            }
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
}

/// How an LLM endpoint is reached: the operator's decision, in the company file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderEndpoint {
    /// API root (`/chat/completions` or `/messages` hangs off it); the vendor's when omitted.
    /// `https` only, unless the service file's `[llm] allow_http_hosts` names its host.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The environment variable holding the key (the provider's default variable when omitted).
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Models the company may choose; empty = any.
    #[serde(default)]
    pub models: Vec<String>,
    /// Sampling temperature sent with every request; omitted unless set (newer models reject it).
    #[serde(default)]
    pub temperature: Option<f64>,
}

impl ProviderEndpoint {
    /// The key variable: the configured one or the provider's default.
    pub fn key_var(&self, kind: ProviderKind) -> String {
        self.api_key_env.clone().unwrap_or_else(|| match kind {
            ProviderKind::Anthropic => "ANTHROPIC_API_KEY".into(),
            _ => "OPENAI_API_KEY".into(),
        })
    }
}

/// The LLM providers the operator allows for a company (`[providers.openai]`,
/// `[providers.anthropic]`). A provider without a section cannot be chosen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Providers {
    #[serde(default)]
    pub openai: Option<ProviderEndpoint>,
    #[serde(default)]
    pub anthropic: Option<ProviderEndpoint>,
}

impl Providers {
    pub fn get(&self, kind: ProviderKind) -> Option<&ProviderEndpoint> {
        match kind {
            ProviderKind::Builtin => None,
            ProviderKind::Openai => self.openai.as_ref(),
            ProviderKind::Anthropic => self.anthropic.as_ref(),
        }
    }

    /// Provider names a tenant may choose.
    pub fn allowed(&self) -> Vec<&'static str> {
        let mut v = vec!["builtin"];
        if self.openai.is_some() {
            v.push("openai");
        }
        if self.anthropic.is_some() {
            v.push("anthropic");
        }
        v
    }

    fn endpoints(&self) -> impl Iterator<Item = (ProviderKind, &ProviderEndpoint)> {
        [
            (ProviderKind::Openai, self.openai.as_ref()),
            (ProviderKind::Anthropic, self.anthropic.as_ref()),
        ]
        .into_iter()
        .filter_map(|(k, e)| e.map(|e| (k, e)))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateRef {
    pub name: String,
    pub language: String,
    /// The category Meta approved it in. Meta may recategorise a template after approval
    /// (utility → marketing); a completed `template_category_update` webhook overrides this.
    /// Unset means `utility`.
    #[serde(default)]
    pub category: Option<MessageCategory>,
}

/// What Meta bills a message as (field-2026.md §3.2), and the template categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageCategory {
    /// A non-template message inside the 24-hour window (billed since 1 Oct 2026).
    Service,
    Utility,
    Marketing,
    Authentication,
}

impl MessageCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageCategory::Service => "service",
            MessageCategory::Utility => "utility",
            MessageCategory::Marketing => "marketing",
            MessageCategory::Authentication => "authentication",
        }
    }

    /// Meta's category names (`MARKETING`, `authentication-international`…) to ours.
    pub fn parse(s: &str) -> Option<MessageCategory> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "service" => Some(MessageCategory::Service),
            "utility" => Some(MessageCategory::Utility),
            "marketing" | "marketing_lite" => Some(MessageCategory::Marketing),
            "authentication" | "authentication-international" | "authentication_international" => {
                Some(MessageCategory::Authentication)
            }
            _ => None,
        }
    }
}

/// One line of a company's WhatsApp rate card: what Meta charges per delivered message of a
/// category to recipients in a market. Meta publishes per-country rate cards; the company copies
/// the rates it pays (its BSP's invoice or Meta's card) here. The card shows the estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateEntry {
    /// The recipients' market: a country calling code (`"52"`, `"1"`), an ISO 3166 alpha-2 code
    /// (`"MX"`, matched against a business-scoped user id's prefix), or `"*"` for the rest.
    pub market: String,
    pub category: MessageCategory,
    /// Price per message, a decimal string (`"0.0085"`): exact, never a float.
    pub price: rust_decimal::Decimal,
    pub currency: dossier_core::Currency,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CompanyWhatsApp {
    pub phone_number_ids: Vec<String>,
    /// The WhatsApp Business Account ids of the company's numbers: `template_category_update`
    /// carries only the WABA id, so it is routed by these (by template name when none is set).
    pub waba_ids: Vec<String>,
    /// Env variable holding the Graph API token used to send for this company.
    pub access_token_env: String,
    /// Template offered when the 24-hour window is closed.
    pub template: Option<TemplateRef>,
    /// The rate card (`[[whatsapp.rates]]`): what each send costs, shown on draft cards and
    /// summed per month (`GET /v1/companies/{c}/spend`).
    pub rates: Vec<RateEntry>,
}

impl Default for CompanyWhatsApp {
    fn default() -> Self {
        CompanyWhatsApp {
            phone_number_ids: Vec::new(),
            waba_ids: Vec::new(),
            access_token_env: "WHATSAPP_ACCESS_TOKEN".into(),
            template: None,
            rates: Vec::new(),
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
    /// Base URL of the Mattermost server (posting through its REST API; a slash command's
    /// `response_url` is only called when it points at this server).
    pub server_url: Option<String>,
    #[serde(default = "default_mm_token_env")]
    pub bot_token_env: String,
    /// Env variable holding this company's slash-command token: Mattermost gives every slash
    /// command its own, and it decides which company a command is for (with the team it names).
    #[serde(default = "default_mm_command_env")]
    pub command_token_env: String,
}

fn default_mm_token_env() -> String {
    "MATTERMOST_BOT_TOKEN".into()
}

fn default_mm_command_env() -> String {
    "MATTERMOST_TOKEN".into()
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
    /// The LLM endpoints (and key variables) the operator allows for this company.
    #[serde(default)]
    pub providers: Providers,
    #[serde(default)]
    pub copilot: CopilotConfig,
    /// Profile fields of the company's own, found in the messages like the built-in ones.
    #[serde(default)]
    pub fields: Vec<crate::analysis::custom::FieldDef>,
    /// Where each branch is and when it opens, for replies to "where are you?".
    #[serde(default)]
    pub branches: Vec<BranchInfo>,
    /// Chatwoot as an inbox (its signed webhooks) and, opt-in, the profile written back to it.
    #[serde(default)]
    pub chatwoot: Option<CompanyChatwoot>,
    /// The profile panel an inbox embeds (`GET /panel/{company}`).
    #[serde(default)]
    pub panel: Option<CompanyPanel>,
}

/// A Chatwoot account whose inboxes belong to this company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyChatwoot {
    pub account_id: u64,
    /// Inboxes of that account whose conversations are this company's; others are ignored.
    pub inbox_ids: Vec<u64>,
    /// Env variable holding the webhook's secret (`X-Chatwoot-Signature`).
    pub webhook_secret_env: String,
    /// Chatwoot's address (`https://chatwoot.example.com`), for write-back.
    #[serde(default)]
    pub api_base_url: Option<String>,
    /// Env variable holding an access token (an agent bot's or a user's) for write-back.
    #[serde(default)]
    pub api_token_env: Option<String>,
    /// Write stage, intent and the vehicle of interest to the contact's custom attributes.
    #[serde(default)]
    pub write_back: bool,
    /// How old a signed request may be (Chatwoot's timestamp against our clock).
    #[serde(default = "default_cw_skew")]
    pub max_clock_skew_secs: i64,
}

fn default_cw_skew() -> i64 {
    300
}

/// Who may open the company's panel, and who may frame it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyPanel {
    /// Env variable holding the panel key, which goes in the dashboard-app URL (`?key=`).
    pub key_env: String,
    /// Origins allowed to frame the panel (the Chatwoot address), `https://host[:port]`; they
    /// also are the only origins whose `appContext` the page listens to.
    #[serde(default)]
    pub frame_ancestors: Vec<String>,
    /// Show the full phone number (otherwise all but the last four digits are masked).
    #[serde(default)]
    pub show_phone: bool,
}

/// An origin as CSP `frame-ancestors` and `postMessage` compare them: scheme, host and port only,
/// and nothing that could end the CSP directive.
pub fn is_origin(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")) else {
        return false;
    };
    !rest.is_empty()
        && rest.len() <= 253
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

impl CompanyChatwoot {
    fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.inbox_ids.is_empty() {
            return Err(("chatwoot.inbox_ids", "list at least one inbox id".into()));
        }
        if !is_env_name(&self.webhook_secret_env) {
            return Err((
                "chatwoot.webhook_secret_env",
                "must be an environment variable name".into(),
            ));
        }
        if !(30..=3600).contains(&self.max_clock_skew_secs) {
            return Err(("chatwoot.max_clock_skew_secs", "must be between 30 and 3600".into()));
        }
        if let Some(v) = &self.api_token_env
            && !is_env_name(v)
        {
            return Err(("chatwoot.api_token_env", "must be an environment variable name".into()));
        }
        if let Some(u) = &self.api_base_url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err(("chatwoot.api_base_url", format!("`{u}` is not an http(s) URL")));
        }
        if self.write_back && (self.api_base_url.is_none() || self.api_token_env.is_none()) {
            return Err((
                "chatwoot.write_back",
                "needs api_base_url and api_token_env (where, and with which token, to write)".into(),
            ));
        }
        Ok(())
    }
}

impl CompanyPanel {
    fn validate(&self) -> Result<(), (&'static str, String)> {
        if !is_env_name(&self.key_env) {
            return Err(("panel.key_env", "must be an environment variable name".into()));
        }
        for o in &self.frame_ancestors {
            if !is_origin(o) {
                return Err((
                    "panel.frame_ancestors",
                    format!("`{o}` is not an origin like https://chatwoot.example.com (no path)"),
                ));
            }
        }
        Ok(())
    }
}

/// A branch as customers ask about it. Its text goes into drafts as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchInfo {
    /// As the catalog's `branch` column writes it.
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    /// Opening hours as the customer should read them ("Mon–Sat 9:00–19:00").
    #[serde(default)]
    pub hours: Option<String>,
    /// A map link (https) sent with the address.
    #[serde(default)]
    pub maps_url: Option<String>,
}

impl BranchInfo {
    fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("`name` is empty".into());
        }
        for (k, v) in [
            ("name", Some(&self.name)),
            ("address", self.address.as_ref()),
            ("hours", self.hours.as_ref()),
        ] {
            if v.is_some_and(|v| v.chars().count() > 200 || v.contains(['\n', '<', '>'])) {
                return Err(format!(
                    "`{k}` must be one line of at most 200 characters, without < or >"
                ));
            }
        }
        if let Some(u) = &self.maps_url
            && (!u.starts_with("https://") || u.len() > 300 || u.contains(char::is_whitespace))
        {
            return Err("`maps_url` must be an https:// link of at most 300 characters".into());
        }
        Ok(())
    }
}

/// How the copilot speaks to the company's own people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CopilotConfig {
    /// The agents' language: a draft's gloss (its meaning) is written in it.
    pub agent_language: String,
    /// The managers' language, for handoff summaries (the agents' when unset).
    pub managers_language: Option<String>,
}

impl Default for CopilotConfig {
    fn default() -> Self {
        CopilotConfig {
            agent_language: "en".into(),
            managers_language: None,
        }
    }
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
            providers: Providers::default(),
            copilot: CopilotConfig::default(),
            fields: Vec::new(),
            branches: Vec::new(),
            chatwoot: None,
            panel: None,
        }
    }

    /// Reads and validates one company file; relative paths are resolved against `config_dir`.
    pub fn load(path: &Path, config_dir: &Path, llm: &super::LlmConfig) -> Result<CompanyConfig, ConfigError> {
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
        for r in &c.whatsapp.rates {
            let m = r.market.as_str();
            let market_ok = m == "*"
                || (!m.is_empty() && m.len() <= 4 && m.chars().all(|ch| ch.is_ascii_digit()))
                || (m.len() == 2 && m.chars().all(|ch| ch.is_ascii_alphabetic()));
            if !market_ok {
                return Err(bad(
                    "whatsapp.rates.market",
                    format!("`{m}` is not a calling code (\"52\"), an ISO country code (\"MX\") or \"*\""),
                ));
            }
            if r.price.is_sign_negative() {
                return Err(bad("whatsapp.rates.price", format!("`{}` is negative", r.price)));
            }
        }
        if let Some(var) = &c.api_token_env
            && !is_env_name(var)
        {
            return Err(bad("api_token_env", "must be an environment variable name".into()));
        }
        for (kind, e) in c.providers.endpoints() {
            let key = |k: &str| format!("providers.{}.{k}", kind.as_str());
            if let Some(url) = &e.base_url {
                llm.check_base_url(url).map_err(|p| bad(&key("base_url"), p))?;
            }
            if let Some(var) = &e.api_key_env
                && !is_env_name(var)
            {
                return Err(bad(
                    &key("api_key_env"),
                    "must be an environment variable name like OPENAI_API_KEY".into(),
                ));
            }
        }
        c.intelligence
            .validate(&c.providers)
            .map_err(|(k, p)| bad(&format!("intelligence.{k}"), p))?;
        let mut names = std::collections::HashSet::new();
        for (i, f) in c.fields.iter().enumerate() {
            f.validate().map_err(|p| bad(&format!("fields[{i}]"), p))?;
            if !names.insert(f.name.clone()) {
                return Err(bad(&format!("fields[{i}]"), format!("`{}` is declared twice", f.name)));
            }
        }
        for (i, b) in c.branches.iter().enumerate() {
            b.validate().map_err(|p| bad(&format!("branches[{i}]"), p))?;
        }
        if let Some(cw) = &c.chatwoot {
            cw.validate().map_err(|(k, p)| bad(k, p))?;
        }
        if let Some(p) = &c.panel {
            p.validate().map_err(|(k, p)| bad(k, p))?;
        }
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

/// An environment variable name as dossier accepts them: `A-Z`, `0-9`, `_`.
pub fn is_env_name(var: &str) -> bool {
    !var.is_empty()
        && var
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

impl CompanyConfig {
    /// Every environment variable this company's file names for a secret other than an LLM key
    /// (an LLM key variable may not be one of them: a key is sent to the provider's host).
    pub fn secret_vars(&self) -> Vec<String> {
        let mut v: Vec<String> = self.api_token_env.iter().cloned().collect();
        v.push(self.whatsapp.access_token_env.clone());
        if let Some(s) = &self.slack {
            v.push(s.bot_token_env.clone());
        }
        if let Some(m) = &self.mattermost {
            v.push(m.bot_token_env.clone());
            v.push(m.command_token_env.clone());
        }
        if let Some(cw) = &self.chatwoot {
            v.push(cw.webhook_secret_env.clone());
            v.extend(cw.api_token_env.iter().cloned());
        }
        if let Some(p) = &self.panel {
            v.push(p.key_env.clone());
        }
        v
    }

    /// The LLM key variables this company's providers name.
    pub fn llm_key_vars(&self) -> Vec<(String, String)> {
        self.providers
            .endpoints()
            .map(|(k, e)| (format!("providers.{}.api_key_env", k.as_str()), e.key_var(k)))
            .collect()
    }
}
