//! Secrets come only from the environment, never from a file in the repository, and never reach a
//! log: they are `SecretString`s, whose `Debug` is redacted.

use secrecy::SecretString;

/// The process-wide secrets of docs/service.md's table. Company-specific ones (API tokens, per-company
/// Graph or Slack tokens, LLM keys) are read by variable name when needed, through [`Secrets::var`].
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    pub redis_url: Option<SecretString>,
    pub whatsapp_app_secret: Option<SecretString>,
    pub whatsapp_verify_token: Option<SecretString>,
    pub slack_signing_secret: Option<SecretString>,
    pub admin_token: Option<SecretString>,
    /// Lookup for named variables; tests inject their own instead of touching the process env.
    vars: std::collections::HashMap<String, String>,
    from_env: bool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Secrets {
    /// Reads the secrets from the process environment.
    pub fn from_env() -> Secrets {
        Secrets {
            redis_url: env("REDIS_URL").map(Into::into),
            whatsapp_app_secret: env("WHATSAPP_APP_SECRET").map(Into::into),
            whatsapp_verify_token: env("WHATSAPP_VERIFY_TOKEN").map(Into::into),
            slack_signing_secret: env("SLACK_SIGNING_SECRET").map(Into::into),
            admin_token: env("DOSSIER_ADMIN_TOKEN").map(Into::into),
            vars: Default::default(),
            from_env: true,
        }
    }

    /// Secrets given explicitly (tests, the demo); named variables come from `vars` only.
    pub fn explicit(vars: impl IntoIterator<Item = (String, String)>) -> Secrets {
        let vars: std::collections::HashMap<String, String> = vars.into_iter().collect();
        let get = |k: &str| vars.get(k).cloned().map(SecretString::from);
        Secrets {
            redis_url: get("REDIS_URL"),
            whatsapp_app_secret: get("WHATSAPP_APP_SECRET"),
            whatsapp_verify_token: get("WHATSAPP_VERIFY_TOKEN"),
            slack_signing_secret: get("SLACK_SIGNING_SECRET"),
            admin_token: get("DOSSIER_ADMIN_TOKEN"),
            vars,
            from_env: false,
        }
    }

    /// A named secret (a company's API token, a per-company Graph token, an LLM key).
    pub fn var(&self, name: &str) -> Option<SecretString> {
        if self.from_env {
            env(name).map(Into::into)
        } else {
            self.vars.get(name).cloned().map(Into::into)
        }
    }
}
