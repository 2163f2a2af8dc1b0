//! Configuration in layers: `config/dossier.toml` (service), `config/companies/*.toml` (one file per
//! company), then `DOSSIER_`-prefixed environment variables (`__` between levels) over the service
//! file. Secrets never come from files: see [`secrets`]. Everything is validated before serving, and
//! a problem is reported as one line naming the file, the key and what is wrong (exit code 2).

pub mod company;
pub mod secrets;

pub use company::{CompanyConfig, IntelligenceSettings, ProviderKind};
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
    /// `pretty` or `json` (`DOSSIER_LOG_FORMAT=json`).
    pub log_format: String,
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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// Prepended to every key, so several deployments (or tests) can share one Redis.
    pub key_prefix: String,
    /// Job streams; contacts are spread over them so one stream is not one hot Cluster slot.
    pub job_streams: u32,
    pub response_timeout_ms: u64,
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
            },
            redis: RedisConfig {
                key_prefix: "dossier:".into(),
                job_streams: 4,
                response_timeout_ms: 2000,
            },
            worker: WorkerConfig {
                enabled: true,
                concurrency: 8,
                claim_idle_secs: 120,
                max_attempts: 5,
                block_ms: 1000,
            },
            summary: SummaryConfig {
                recent_tokens: 1200,
                summary_tokens: 300,
            },
            whatsapp: WhatsAppConfig {
                graph_base_url: "https://graph.facebook.com".into(),
                api_version: "v25.0".into(),
                dedupe_ttl_secs: 8 * 24 * 3600,
            },
            slack: SlackConfig {
                api_base_url: "https://slack.com/api".into(),
                max_clock_skew_secs: 300,
            },
            log_format: "pretty".into(),
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
}

const SERVICE_FILE: &str = "dossier.toml";
/// Env variables under the `DOSSIER_` prefix that are secrets or switches, not file keys.
const ENV_NOT_KEYS: [&str; 2] = ["ADMIN_TOKEN", "CONFIG"];

impl Settings {
    /// Loads and validates `dir/dossier.toml`, environment overrides and `dir/companies/*.toml`.
    pub fn load(dir: &Path) -> Result<Settings, ConfigError> {
        Settings::load_with(dir, Env::prefixed("DOSSIER_").split("__").ignore(&ENV_NOT_KEYS))
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
        };
        let companies_dir = dir.join("companies");
        if companies_dir.is_dir() {
            let mut paths: Vec<PathBuf> = std::fs::read_dir(&companies_dir)
                .map_err(|e| ConfigError::new(companies_dir.display().to_string(), "(dir)", e.to_string()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            for path in paths {
                let company = CompanyConfig::load(&path, dir)?;
                settings.add_company(company, &path)?;
            }
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
        self.companies.insert(company.id.clone(), company);
        Ok(())
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
    if s.worker.max_attempts == 0 {
        return bad("worker.max_attempts", "must be at least 1".into());
    }
    if s.worker.claim_idle_secs * 1000 <= s.worker.block_ms {
        return bad(
            "worker.claim_idle_secs",
            "must be longer than worker.block_ms, or live jobs get stolen".into(),
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
    fn two_companies_cannot_share_a_phone_number() {
        let d = tmp();
        let c = |id: &str| format!("id = \"{id}\"\nname = \"X\"\n[whatsapp]\nphone_number_ids = [\"123\"]\n");
        write(&d, "companies/a.toml", &c("a"));
        write(&d, "companies/b.toml", &c("b"));
        let e = Settings::load_with(&d, no_env()).unwrap_err();
        assert_eq!(e.key, "whatsapp.phone_number_ids");
        assert!(e.file.ends_with("b.toml"));
    }
}
