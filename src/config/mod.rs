//! Configuration in layers: `config/dossier.toml` (service), `config/companies/*.toml` (one file per
//! company), then `DOSSIER_`-prefixed environment variables (`__` between levels) over the service
//! file. Secrets never come from files: see [`secrets`]. Everything is validated before serving, and
//! a problem is reported as one line naming the file, the key and what is wrong (exit code 2).

pub mod company;
pub mod secrets;

pub use company::{
    CompanyConfig, IntelligenceSettings, MessageCategory, ProviderEndpoint, ProviderKind, Providers, RateEntry,
    TemplateRef,
};
pub use secrets::Secrets;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A configuration problem: the file, the key and what is wrong, in one line.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: `{key}`: {problem}")]
pub struct ConfigError {
    pub file: String,
    pub key: String,
    pub problem: String,
}

impl ConfigError {
    pub fn new(file: impl Into<String>, key: impl Into<String>, problem: impl Into<String>) -> Self {
        ConfigError {
            file: file.into(),
            key: key.into(),
            problem: problem.into(),
        }
    }
}

/// The service file (`config/dossier.toml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceConfig {
    pub server: ServerConfig,
    pub redis: RedisConfig,
    pub worker: WorkerConfig,
    pub summary: SummaryConfig,
    pub whatsapp: WhatsAppConfig,
    pub slack: SlackConfig,
    pub llm: LlmConfig,
    /// `pretty` or `json` (`DOSSIER_LOG_FORMAT=json`).
    pub log_format: String,
    /// A folder whose `*.j2` files override the embedded templates of the same name (prompts,
    /// drafts, the panel), relative to the configuration folder. Unset: the embedded ones.
    #[serde(default)]
    pub templates_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: String,
    /// Largest accepted request body. Meta documents webhooks up to 3 MB; 1 MiB is plenty for
    /// messages (media arrive as ids) and bounds memory per request.
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    /// The service's public base URL (`https://dossier.example.com`): Mattermost buttons call back
    /// to `{public_url}/mattermost/actions`. Never taken from a request's `Host` header.
    #[serde(default)]
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// Prepended to every key, so several deployments (or tests) can share one Redis.
    pub key_prefix: String,
    /// Job streams; contacts are spread over them so one stream is not one hot Cluster slot.
    pub job_streams: u32,
    pub response_timeout_ms: u64,
    /// Refuse to start when Redis has no append-only file (a restart would lose acknowledged
    /// messages). Off: `serve` warns and `dossier_redis_durable` shows 0.
    #[serde(default)]
    pub require_aof: bool,
    /// Replicas that must confirm a stored message before it is acknowledged (Redis `WAIT`).
    /// 0: the master's word (replication is asynchronous: a master killed within its
    /// replication lag loses what it acknowledged). 1 or more: a failover loses nothing
    /// acknowledged; when the replicas do not confirm within `ack_replicas_timeout_ms` the
    /// webhook answers 503 and Meta retries.
    #[serde(default)]
    pub ack_replicas: u32,
    #[serde(default = "default_ack_replicas_timeout_ms")]
    pub ack_replicas_timeout_ms: u64,
}

fn default_ack_replicas_timeout_ms() -> u64 {
    500
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// Run the analysis worker inside `serve`.
    pub enabled: bool,
    /// Jobs handled at once by one instance.
    pub concurrency: usize,
    /// A job pending longer than this on a dead consumer is taken over by another.
    pub claim_idle_secs: u64,
    /// Attempts before a job goes to the dead-letter stream.
    pub max_attempts: u32,
    pub block_ms: u64,
    /// Draft jobs (compose and post to team chat) handled at once, apart from analysis.
    #[serde(default = "default_draft_concurrency")]
    pub draft_concurrency: usize,
    /// First retry delay of a failed job; doubles per attempt (with jitter) up to `retry_max_secs`.
    #[serde(default = "default_retry_base_ms")]
    pub retry_base_ms: u64,
    #[serde(default = "default_retry_max_secs")]
    pub retry_max_secs: u64,
    /// How often the sweep looks for contacts whose profile is behind their messages.
    #[serde(default = "default_sweep_secs")]
    pub sweep_secs: u64,
}

fn default_draft_concurrency() -> usize {
    4
}
fn default_retry_base_ms() -> u64 {
    1000
}
fn default_retry_max_secs() -> u64 {
    300
}
fn default_sweep_secs() -> u64 {
    30
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryConfig {
    /// Tokens of recent messages an LLM prompt may carry; older ones are folded into the summary.
    pub recent_tokens: usize,
    /// Longest rolling summary kept, in tokens.
    pub summary_tokens: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppConfig {
    pub graph_base_url: String,
    pub api_version: String,
    /// How long a message id is remembered for dedupe. Meta retries for 7 days; 8 days covers it.
    pub dedupe_ttl_secs: u64,
    /// Where the Thread Control API lives (`{base}/{phone_number_id}/thread_control`): Meta's
    /// docs give `https://api.facebook.com/business/whatsapp/phone_numbers` (field-2026.md §3.1),
    /// not the Graph API's versioned root.
    #[serde(default = "default_thread_control_base_url")]
    pub thread_control_base_url: String,
}

fn default_thread_control_base_url() -> String {
    "https://api.facebook.com/business/whatsapp/phone_numbers".into()
}

/// Where LLM requests may go (the operator's network policy). A base URL must be `https`; these
/// lists name the exceptions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {
    /// Hosts (`host` or `host:port`) that may be called over plain `http` (a local model server).
    pub allow_http_hosts: Vec<String>,
    /// Hosts that may resolve to loopback, private, link-local or other internal addresses
    /// (refused otherwise, so a configured name cannot lead to the metadata service or Redis).
    pub allow_private_hosts: Vec<String>,
}

impl LlmConfig {
    /// Whether `host` (with `port`) is named in `list`.
    fn listed(list: &[String], host: &str, port: Option<u16>) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        list.iter().any(|entry| {
            let entry = entry.trim();
            match entry.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') || h.starts_with('[') => {
                    h.trim_start_matches('[')
                        .trim_end_matches(']')
                        .eq_ignore_ascii_case(host)
                        && p.parse::<u16>().ok() == port
                }
                _ => entry
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .eq_ignore_ascii_case(host),
            }
        })
    }

    /// May `host` resolve to an internal address?
    pub fn private_allowed(&self, host: &str, port: Option<u16>) -> bool {
        Self::listed(&self.allow_private_hosts, host, port) || Self::listed(&self.allow_http_hosts, host, port)
    }

    /// Checks an LLM base URL against the policy; the error says what is wrong.
    pub fn check_base_url(&self, url: &str) -> Result<(), String> {
        let u = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        let host = u.host_str().ok_or_else(|| format!("`{url}` has no host"))?;
        let port = u.port_or_known_default();
        if !u.username().is_empty() || u.password().is_some() {
            return Err("a base URL may not carry credentials".into());
        }
        match u.scheme() {
            "https" => {}
            "http" if Self::listed(&self.allow_http_hosts, host, port) => {}
            "http" => {
                return Err(format!(
                    "`{url}` is plain http; only https, or a host listed in the service file's [llm] allow_http_hosts"
                ));
            }
            other => return Err(format!("scheme `{other}` is not https")),
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<std::net::IpAddr>()
            && crate::net::is_internal(ip)
            && !self.private_allowed(host, port)
        {
            return Err(format!(
                "{ip} is a loopback, private or link-local address; list the host in [llm] allow_private_hosts to allow it"
            ));
        }
        if bare.eq_ignore_ascii_case("localhost") && !self.private_allowed(host, port) {
            return Err("localhost is internal; list it in [llm] allow_private_hosts to allow it".into());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    pub api_base_url: String,
    /// Slack's replay window for signed requests.
    pub max_clock_skew_secs: i64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            server: ServerConfig {
                listen: "127.0.0.1:8080".into(),
                body_limit_bytes: 1024 * 1024,
                request_timeout_secs: 30,
                public_url: None,
            },
            redis: RedisConfig {
                key_prefix: "dossier:".into(),
                job_streams: 4,
                response_timeout_ms: 2000,
                require_aof: false,
                ack_replicas: 0,
                ack_replicas_timeout_ms: default_ack_replicas_timeout_ms(),
            },
            worker: WorkerConfig {
                enabled: true,
                concurrency: 8,
                claim_idle_secs: 120,
                max_attempts: 5,
                block_ms: 500,
                draft_concurrency: default_draft_concurrency(),
                retry_base_ms: default_retry_base_ms(),
                retry_max_secs: default_retry_max_secs(),
                sweep_secs: default_sweep_secs(),
            },
            summary: SummaryConfig {
                recent_tokens: 1200,
                summary_tokens: 300,
            },
            whatsapp: WhatsAppConfig {
                graph_base_url: "https://graph.facebook.com".into(),
                api_version: "v25.0".into(),
                thread_control_base_url: default_thread_control_base_url(),
                dedupe_ttl_secs: 8 * 24 * 3600,
            },
            slack: SlackConfig {
                api_base_url: "https://slack.com/api".into(),
                max_clock_skew_secs: 300,
            },
            llm: LlmConfig::default(),
            log_format: "pretty".into(),
            templates_dir: None,
        }
    }
}

/// Everything `serve`, `worker` and `demo` run on, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub dir: PathBuf,
    pub service: ServiceConfig,
    pub listen: SocketAddr,
    pub companies: BTreeMap<String, CompanyConfig>,
    /// `phone_number_id` → company id.
    pub by_phone_number_id: HashMap<String, String>,
    /// Slack `team_id` → company id.
    pub by_slack_team: HashMap<String, String>,
    /// Mattermost team id → company id.
    pub by_mattermost_team: HashMap<String, String>,
    /// Chatwoot (account id, inbox id) → company id.
    pub by_chatwoot_inbox: HashMap<(u64, u64), String>,
}

const SERVICE_FILE: &str = "dossier.toml";
/// Secrets the service itself reads from the environment.
pub const SERVICE_SECRET_VARS: [&str; 9] = [
    "REDIS_URL",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_ACCESS_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_BOT_TOKEN",
    "MATTERMOST_TOKEN",
    "MATTERMOST_BOT_TOKEN",
    "DOSSIER_ADMIN_TOKEN",
];
/// Env variables under the `DOSSIER_` prefix that are secrets or switches, not file keys.
const ENV_NOT_KEYS: [&str; 2] = ["ADMIN_TOKEN", "CONFIG"];
/// `DOSSIER_TEST_*` (the test suite's endpoints) and `DOSSIER_CI_*` (the CI script's own) are
/// not configuration either; every other unknown `DOSSIER_` variable is refused as a typo.
fn env_is_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    !k.starts_with("test_") && !k.starts_with("ci_")
}

impl Settings {
    /// Loads and validates `dir/dossier.toml`, environment overrides and `dir/companies/*.toml`.
    pub fn load(dir: &Path) -> Result<Settings, ConfigError> {
        Settings::load_with(
            dir,
            Env::prefixed("DOSSIER_")
                .split("__")
                .ignore(&ENV_NOT_KEYS)
                .filter(|k| env_is_key(k.as_str())),
        )
    }

    /// For the offline commands (`analyze`, `eval`, `tools`): a missing configuration folder
    /// means the defaults (built-in knowledge, no company files), so they run from anywhere.
    pub fn load_or_defaults(dir: &Path) -> Result<Settings, ConfigError> {
        if dir.is_dir() {
            return Settings::load(dir);
        }
        let empty = std::env::temp_dir().join(format!("dossier-defaults-{}", std::process::id()));
        std::fs::create_dir_all(&empty)
            .map_err(|e| ConfigError::new(empty.display().to_string(), "(folder)", e.to_string()))?;
        Settings::load(&empty)
    }

    fn load_with(dir: &Path, env: Env) -> Result<Settings, ConfigError> {
        if !dir.is_dir() {
            return Err(ConfigError::new(
                dir.display().to_string(),
                "(folder)",
                "the configuration folder does not exist (use --config DIR)",
            ));
        }
        let service_path = dir.join(SERVICE_FILE);
        let mut figment = Figment::from(Serialized::defaults(ServiceConfig::default()));
        if service_path.exists() {
            figment = figment.merge(Toml::file_exact(&service_path));
        }
        let figment = figment.merge(env);
        let service: ServiceConfig = figment.extract().map_err(|e| {
            let file = e
                .metadata
                .as_ref()
                .map(|m| match &m.source {
                    Some(src) => src.to_string(),
                    None => m.name.to_string(),
                })
                .unwrap_or_else(|| service_path.display().to_string());
            let key = if e.path.is_empty() {
                "(root)".to_owned()
            } else {
                e.path.join(".")
            };
            ConfigError::new(file, key, e.kind.to_string())
        })?;
        let file = service_path.display().to_string();
        // A value that came from the environment is reported as such, not as the file's.
        let source_of = |key: &str| match figment.find_metadata(key) {
            Some(m) if m.source.is_none() => {
                format!("environment variable DOSSIER_{}", key.replace('.', "__").to_uppercase())
            }
            _ => file.clone(),
        };
        let listen: SocketAddr = service.server.listen.parse().map_err(|_| {
            ConfigError::new(
                source_of("server.listen"),
                "server.listen",
                format!("`{}` is not an address like 127.0.0.1:8080", service.server.listen),
            )
        })?;
        validate_service(&service, &file).map_err(|mut e| {
            e.file = source_of(&e.key);
            e
        })?;

        let mut settings = Settings {
            dir: dir.to_path_buf(),
            service,
            listen,
            companies: BTreeMap::new(),
            by_phone_number_id: HashMap::new(),
            by_slack_team: HashMap::new(),
            by_mattermost_team: HashMap::new(),
            by_chatwoot_inbox: HashMap::new(),
        };
        let companies_dir = dir.join("companies");
        if companies_dir.is_dir() {
            let mut paths: Vec<PathBuf> = std::fs::read_dir(&companies_dir)
                .map_err(|e| ConfigError::new(companies_dir.display().to_string(), "(dir)", e.to_string()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            let mut files = Vec::new();
            for path in paths {
                let company = CompanyConfig::load(&path, dir, &settings.service.llm)?;
                files.push((company.id.clone(), path.clone()));
                settings.add_company(company, &path)?;
            }
            settings.check_secret_vars(&files)?;
        }
        Ok(settings)
    }

    /// Registers a company, refusing a second company on the same phone number or workspace.
    pub fn add_company(&mut self, company: CompanyConfig, path: &Path) -> Result<(), ConfigError> {
        let file = path.display().to_string();
        if self.companies.contains_key(&company.id) {
            return Err(ConfigError::new(
                &file,
                "id",
                format!("company `{}` is defined twice", company.id),
            ));
        }
        for pnid in &company.whatsapp.phone_number_ids {
            if let Some(other) = self.by_phone_number_id.insert(pnid.clone(), company.id.clone()) {
                return Err(ConfigError::new(
                    &file,
                    "whatsapp.phone_number_ids",
                    format!("phone_number_id {pnid} already routes to company `{other}`"),
                ));
            }
        }
        if let Some(team) = company.slack.as_ref().map(|s| s.team_id.clone())
            && let Some(other) = self.by_slack_team.insert(team.clone(), company.id.clone())
        {
            return Err(ConfigError::new(
                &file,
                "slack.team_id",
                format!("team {team} already belongs to `{other}`"),
            ));
        }
        if let Some(team) = company.mattermost.as_ref().map(|s| s.team_id.clone())
            && let Some(other) = self.by_mattermost_team.insert(team.clone(), company.id.clone())
        {
            return Err(ConfigError::new(
                &file,
                "mattermost.team_id",
                format!("team {team} already belongs to `{other}`"),
            ));
        }
        if let Some(cw) = &company.chatwoot {
            for inbox in &cw.inbox_ids {
                if let Some(other) = self
                    .by_chatwoot_inbox
                    .insert((cw.account_id, *inbox), company.id.clone())
                {
                    return Err(ConfigError::new(
                        &file,
                        "chatwoot.inbox_ids",
                        format!(
                            "Chatwoot account {} inbox {inbox} already belongs to `{other}`",
                            cw.account_id
                        ),
                    ));
                }
            }
        }
        if let Some(m) = &company.mattermost {
            if !company::is_env_name(&m.command_token_env) {
                return Err(ConfigError::new(
                    &file,
                    "mattermost.command_token_env",
                    "must be an environment variable name",
                ));
            }
            if let Some(other) = self.companies.values().find(|c| {
                c.mattermost
                    .as_ref()
                    .is_some_and(|o| o.command_token_env == m.command_token_env)
            }) {
                return Err(ConfigError::new(
                    &file,
                    "mattermost.command_token_env",
                    format!(
                        "`{}` is already the command token of `{}`: each company's slash command has its own token",
                        m.command_token_env, other.id
                    ),
                ));
            }
        }
        self.companies.insert(company.id.clone(), company);
        Ok(())
    }

    /// An LLM key is sent to the provider's host, so its variable may not hold any other secret:
    /// the service's own (`DOSSIER_ADMIN_TOKEN`, `WHATSAPP_APP_SECRET`, `REDIS_URL`…) or one a
    /// company file names (API tokens, Graph, Slack and Mattermost tokens), its own included.
    fn check_secret_vars(&self, files: &[(String, PathBuf)]) -> Result<(), ConfigError> {
        let mut taken: Vec<String> = SERVICE_SECRET_VARS.iter().map(|s| s.to_string()).collect();
        for c in self.companies.values() {
            taken.extend(c.secret_vars());
        }
        for (id, path) in files {
            let Some(c) = self.companies.get(id) else { continue };
            for (key, var) in c.llm_key_vars() {
                if taken.contains(&var) || var.starts_with("DOSSIER_") {
                    return Err(ConfigError::new(
                        path.display().to_string(),
                        key,
                        format!("`{var}` holds another secret of the service; an LLM key needs a variable of its own"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The templates: embedded, with the configured override folder on top.
    pub fn templates(&self) -> Result<crate::templates::Templates, ConfigError> {
        let dir = self.service.templates_dir.as_ref().map(|d| self.dir.join(d));
        crate::templates::Templates::load(dir.as_deref()).map_err(|e| {
            ConfigError::new(
                self.dir.join(SERVICE_FILE).display().to_string(),
                "templates_dir",
                e.to_string(),
            )
        })
    }

    /// A company's configuration, or the defaults for an id that has no file (CLI use).
    pub fn company_or_default(&self, id: &str) -> CompanyConfig {
        self.companies
            .get(id)
            .cloned()
            .unwrap_or_else(|| CompanyConfig::default_for(id))
    }
}

fn validate_service(s: &ServiceConfig, file: &str) -> Result<(), ConfigError> {
    let bad = |key: &str, problem: String| Err(ConfigError::new(file, key, problem));
    if !(1024..=16 * 1024 * 1024).contains(&s.server.body_limit_bytes) {
        return bad("server.body_limit_bytes", "must be between 1024 and 16777216".into());
    }
    if s.server.request_timeout_secs == 0 {
        return bad("server.request_timeout_secs", "must be at least 1".into());
    }
    if !(1..=256).contains(&s.redis.job_streams) {
        return bad("redis.job_streams", "must be between 1 and 256".into());
    }
    if s.redis.key_prefix.contains(['{', '}', ' ']) {
        return bad(
            "redis.key_prefix",
            "may not contain braces or spaces (they would break hash tags)".into(),
        );
    }
    if s.worker.concurrency == 0 || s.worker.concurrency > 1024 {
        return bad("worker.concurrency", "must be between 1 and 1024".into());
    }
    if s.worker.draft_concurrency == 0 || s.worker.draft_concurrency > 1024 {
        return bad("worker.draft_concurrency", "must be between 1 and 1024".into());
    }
    if s.worker.sweep_secs == 0 {
        return bad("worker.sweep_secs", "must be at least 1".into());
    }
    if s.worker.retry_base_ms == 0 || s.worker.retry_max_secs * 1000 < s.worker.retry_base_ms {
        return bad(
            "worker.retry_base_ms",
            "must be at least 1 and no longer than worker.retry_max_secs".into(),
        );
    }
    if s.worker.max_attempts == 0 {
        return bad("worker.max_attempts", "must be at least 1".into());
    }
    if s.worker.claim_idle_secs * 1000 <= s.worker.block_ms {
        return bad(
            "worker.claim_idle_secs",
            "must be longer than worker.block_ms, or live jobs get stolen".into(),
        );
    }
    if s.redis.ack_replicas > 0
        && (s.redis.ack_replicas_timeout_ms == 0 || s.redis.ack_replicas_timeout_ms >= s.redis.response_timeout_ms)
    {
        return bad(
            "redis.ack_replicas_timeout_ms",
            "must be at least 1 and shorter than redis.response_timeout_ms (0 would wait forever)".into(),
        );
    }
    if s.redis.response_timeout_ms <= s.worker.block_ms {
        return bad(
            "redis.response_timeout_ms",
            "must be longer than worker.block_ms (blocking reads would time out)".into(),
        );
    }
    if s.whatsapp.dedupe_ttl_secs < 7 * 24 * 3600 {
        return bad(
            "whatsapp.dedupe_ttl_secs",
            "must cover Meta's 7-day redelivery window (>= 604800)".into(),
        );
    }
    if !matches!(s.log_format.as_str(), "pretty" | "json") {
        return bad("log_format", format!("`{}` is not pretty or json", s.log_format));
    }
    if s.summary.recent_tokens < 100 {
        return bad("summary.recent_tokens", "must be at least 100".into());
    }
    if let Some(url) = &s.server.public_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return bad("server.public_url", format!("`{url}` is not an http(s) URL"));
    }
    for (key, url) in [
        ("whatsapp.graph_base_url", &s.whatsapp.graph_base_url),
        ("slack.api_base_url", &s.slack.api_base_url),
    ] {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return bad(key, format!("`{url}` is not an http(s) URL"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn tmp() -> PathBuf {
        let d = std::env::temp_dir().join(format!("dossier-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn no_env() -> Env {
        Env::prefixed("DOSSIER_TEST_NOTHING_")
    }

    #[test]
    fn the_shipped_configuration_is_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let s = Settings::load_with(&dir, no_env()).unwrap();
        assert!(s.companies.contains_key("demo-motors"));
        assert!(!s.by_phone_number_id.is_empty());
        assert!(!s.by_slack_team.is_empty());
    }

    #[test]
    fn a_bad_value_names_file_key_and_problem() {
        let d = tmp();
        write(&d, "dossier.toml", "[server]\nlisten = \"nowhere\"\n");
        let e = Settings::load_with(&d, no_env()).unwrap_err();
        assert_eq!(e.key, "server.listen");
        assert!(e.file.ends_with("dossier.toml"));
        write(&d, "dossier.toml", "[server]\nbody_limit_bytes = \"big\"\n");
        let e = Settings::load_with(&d, no_env()).unwrap_err().to_string();
        assert!(
            e.contains("dossier.toml") && e.contains("server.body_limit_bytes"),
            "{e}"
        );
        write(&d, "dossier.toml", "[servr]\nlisten = \"127.0.0.1:1\"\n");
        let e = Settings::load_with(&d, no_env()).unwrap_err().to_string();
        assert!(e.contains("servr"), "{e}");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its own large error type
    fn environment_overrides_the_file() {
        let d = tmp();
        write(&d, "dossier.toml", "[server]\nlisten = \"127.0.0.1:1\"\n");
        figment::Jail::expect_with(|jail| {
            jail.set_env("DOSSIER_SERVER__LISTEN", "127.0.0.1:8181");
            jail.set_env("DOSSIER_LOG_FORMAT", "json");
            let s = Settings::load(&d).unwrap();
            assert_eq!(s.listen.port(), 8181);
            assert_eq!(s.service.log_format, "json");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its own large error type
    fn a_bad_environment_value_names_the_variable() {
        let d = tmp();
        figment::Jail::expect_with(|jail| {
            jail.set_env("DOSSIER_SERVER__LISTEN", "bogus");
            let e = Settings::load(&d).unwrap_err();
            assert_eq!(e.file, "environment variable DOSSIER_SERVER__LISTEN");
            assert_eq!(e.key, "server.listen");
            Ok(())
        });
        assert!(Settings::load_with(&d.join("missing"), no_env()).is_err());
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its own large error type
    fn test_and_ci_variables_are_not_keys_but_typos_are_refused() {
        let d = tmp();
        figment::Jail::expect_with(|jail| {
            jail.set_env("DOSSIER_TEST_OPENAI_URL", "http://127.0.0.1:18555/v1");
            jail.set_env("DOSSIER_CI_CACHE", "/tmp/x");
            assert!(Settings::load(&d).is_ok());
            jail.set_env("DOSSIER_SERVR__LISTEN", "127.0.0.1:1");
            assert!(Settings::load(&d).is_err(), "a misspelt section is still refused");
            Ok(())
        });
    }

    #[test]
    fn two_companies_cannot_share_a_phone_number() {
        let d = tmp();
        let c = |id: &str| format!("id = \"{id}\"\nname = \"X\"\n[whatsapp]\nphone_number_ids = [\"123\"]\n");
        write(&d, "companies/a.toml", &c("a"));
        write(&d, "companies/b.toml", &c("b"));
        let e = Settings::load_with(&d, no_env()).unwrap_err();
        assert_eq!(e.key, "whatsapp.phone_number_ids");
        assert!(e.file.ends_with("b.toml"));
    }

    #[test]
    fn chatwoot_and_panel_sections_are_checked() {
        let d = tmp();
        let cw = |id: &str, inbox: u64| {
            format!(
                "id = \"{id}\"\nname = \"X\"\n[chatwoot]\naccount_id = 7\ninbox_ids = [{inbox}]\nwebhook_secret_env = \"CW_{}\"\n",
                id.to_uppercase()
            )
        };
        write(&d, "companies/a.toml", &cw("a", 1));
        write(&d, "companies/b.toml", &cw("b", 1));
        let e = Settings::load_with(&d, no_env()).unwrap_err();
        assert_eq!(e.key, "chatwoot.inbox_ids", "{e}");
        write(&d, "companies/b.toml", &cw("b", 2));
        let s = Settings::load_with(&d, no_env()).unwrap();
        assert_eq!(s.by_chatwoot_inbox.get(&(7, 2)).map(String::as_str), Some("b"));
        write(&d, "companies/b.toml", &format!("{}write_back = true\n", cw("b", 2)));
        let e = Settings::load_with(&d, no_env()).unwrap_err();
        assert_eq!(e.key, "chatwoot.write_back", "{e}");
        write(
            &d,
            "companies/b.toml",
            "id = \"b\"\nname = \"X\"\n[panel]\nkey_env = \"B_PANEL\"\nframe_ancestors = [\"https://cw.example.com/app; script-src *\"]\n",
        );
        let e = Settings::load_with(&d, no_env()).unwrap_err();
        assert_eq!(e.key, "panel.frame_ancestors", "{e}");
        write(
            &d,
            "companies/b.toml",
            "id = \"b\"\nname = \"X\"\n[panel]\nkey_env = \"B_PANEL\"\nframe_ancestors = [\"https://cw.example.com\", \"http://localhost:3000\"]\n",
        );
        assert!(Settings::load_with(&d, no_env()).is_ok());
    }
}
