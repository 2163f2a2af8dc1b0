//! `dossier analyze FILE` and `dossier eval DIR`: the analysis of conversation files (docs/conversation-and-profile.md §1),
//! scored against their labels (docs/conversation-and-profile.md §5) by `eval`.

use super::CliError;
use crate::analysis::pipeline::overlay_llm;
use crate::companies::CompanyRuntime;
use crate::config::{ProviderKind, Secrets, Settings};
use dossier_analyzer::eval::{self, Labels};
use dossier_core::{Catalog, Conversation, Profile};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, clap::Args)]
pub struct AnalysisArgs {
    /// Analysis provider: builtin (default), openai or anthropic (model and key from the company's settings).
    #[arg(long)]
    pub provider: Option<String>,
    /// Catalog feed (CSV) to match interests against, instead of the company's.
    #[arg(long)]
    pub catalog: Option<PathBuf>,
    /// Rate table (TOML) for payment estimates, instead of the company's.
    #[arg(long)]
    pub rates: Option<PathBuf>,
    /// Incentive programs (TOML), instead of the company's.
    #[arg(long)]
    pub programs: Option<PathBuf>,
    /// Company id when the file names none (default: demo-motors).
    #[arg(long)]
    pub company: Option<String>,
    /// The LLM model (with --provider openai|anthropic), instead of the company's.
    #[arg(long)]
    pub model: Option<String>,
    /// The LLM endpoint's base URL (an OpenAI-compatible `/v1` root, or Anthropic's), instead of
    /// the company file's; the key comes from OPENAI_API_KEY / ANTHROPIC_API_KEY (or the
    /// company file's `api_key_env`).
    #[arg(long)]
    pub base_url: Option<String>,
}

/// The company a conversation file is for: its own `company`, else `--company`, else the demo's.
pub(crate) fn company_of(conv: &Conversation, args: &AnalysisArgs) -> String {
    conv.company
        .clone()
        .or(args.company.clone())
        .unwrap_or_else(|| "demo-motors".into())
}

/// A company runtime for the CLI: its config (or defaults), with `--catalog` and `--provider` applied.
pub(crate) fn runtime(settings: &Settings, company: &str, args: &AnalysisArgs) -> Result<CompanyRuntime, CliError> {
    let mut config = settings.company_or_default(company);
    for (slot, given) in [(&mut config.rates, &args.rates), (&mut config.programs, &args.programs)] {
        if let Some(p) = given {
            if !p.is_file() {
                return Err(CliError::bad_input(format!("{}: no such file", p.display())));
            }
            *slot = Some(p.clone());
        }
    }
    if let Some(c) = &args.catalog {
        let loaded = Catalog::load(c).map_err(|e| CliError::bad_input(e.to_string()))?;
        if loaded.vehicles.is_empty() {
            return Err(CliError::bad_input(format!("{}: no usable vehicle rows", c.display())));
        }
        config.catalog = Some(c.clone());
    }
    if let Some(p) = &args.provider {
        config.intelligence.provider = match p.as_str() {
            "builtin" => ProviderKind::Builtin,
            "openai" => ProviderKind::Openai,
            "anthropic" => ProviderKind::Anthropic,
            other => {
                return Err(CliError::bad_input(format!(
                    "--provider: `{other}` is not builtin, openai or anthropic"
                )));
            }
        };
        let kind = config.intelligence.provider;
        if kind != ProviderKind::Builtin {
            let endpoint = match kind {
                ProviderKind::Openai => &mut config.providers.openai,
                _ => &mut config.providers.anthropic,
            };
            let e = endpoint.get_or_insert_with(|| crate::config::ProviderEndpoint {
                base_url: None,
                api_key_env: None,
                models: Vec::new(),
                temperature: None,
            });
            if args.base_url.is_some() {
                e.base_url = args.base_url.clone();
            }
            if let Some(m) = &args.model {
                config.intelligence.model = Some(m.clone());
                if !e.models.is_empty() && !e.models.contains(m) {
                    e.models.push(m.clone());
                }
            }
        }
        config.intelligence.validate(&config.providers).map_err(|(k, p)| {
            CliError::bad_input(format!(
                "--provider {}: intelligence.{k}: {p}",
                config.intelligence.provider.as_str()
            ))
        })?;
    }
    CompanyRuntime::build(config).map_err(|e| CliError::bad_input(format!("{e:#}")))
}

pub(crate) fn read_conversation(path: &Path) -> Result<Conversation, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?;
    Conversation::from_json(&bytes)
        .map_err(|e| CliError::bad_input(format!("{}: not a conversation file: {e}", path.display())))
}

/// What the CLI's LLM calls run on: the operator's own command, so the endpoint it names on
/// the command line is allowed (plain http and internal hosts included).
pub struct CliLlm {
    http: reqwest::Client,
    secrets: Secrets,
    policy: crate::config::LlmConfig,
    templates: crate::templates::Templates,
    negotiated: std::sync::Arc<crate::analysis::openai::Negotiated>,
}

impl CliLlm {
    pub fn new(settings: &Settings, args: &AnalysisArgs) -> Result<CliLlm, CliError> {
        let mut policy = settings.service.llm.clone();
        if let Some(url) = &args.base_url {
            let u = reqwest::Url::parse(url).map_err(|e| CliError::bad_input(format!("--base-url: {e}")))?;
            if let Some(host) = u.host_str() {
                let entry = match u.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host.to_owned(),
                };
                policy.allow_http_hosts.push(entry.clone());
                policy.allow_private_hosts.push(entry);
            }
        }
        Ok(CliLlm {
            http: crate::net::llm_client(&policy).map_err(|e| CliError::failure(e.to_string()))?,
            secrets: Secrets::from_env(),
            templates: settings.templates()?,
            policy,
            negotiated: Default::default(),
        })
    }

    pub fn templates(&self) -> &crate::templates::Templates {
        &self.templates
    }

    pub fn env<'a>(&'a self, settings: &'a Settings) -> crate::analysis::pipeline::LlmEnv<'a> {
        crate::analysis::pipeline::LlmEnv {
            http: &self.http,
            secrets: &self.secrets,
            summary: &settings.service.summary,
            policy: &self.policy,
            templates: &self.templates,
            negotiated: &self.negotiated,
        }
    }
}

/// Analyses one conversation with the runtime's analyzer and, if chosen, its LLM.
pub(crate) async fn analyze_conversation(
    settings: &Settings,
    llm: &CliLlm,
    rt: &CompanyRuntime,
    conv: &Conversation,
    company: &str,
) -> Profile {
    let mut profile = rt.analyzer.analyze(conv, company);
    let mut found = Default::default();
    let mut ordered = conv.messages.clone();
    ordered.sort_by_key(|m| m.timestamp);
    for m in &ordered {
        rt.fields.observe(&mut found, m);
    }
    profile.custom = rt.fields.facts(&found);
    let s = &rt.config.intelligence;
    if s.provider != ProviderKind::Builtin {
        overlay_llm(
            llm.env(settings),
            rt,
            s,
            Default::default(),
            &conv.messages,
            &mut profile,
        )
        .await;
    }
    profile.facts = rt.tools.profile_facts(&profile);
    profile
}

pub async fn analyze(dir: &Path, file: &Path, args: AnalysisArgs) -> Result<(), CliError> {
    let settings = Settings::load_or_defaults(dir)?;
    let conv = read_conversation(file)?;
    let company = company_of(&conv, &args);
    let rt = runtime(&settings, &company, &args)?;
    let llm = CliLlm::new(&settings, &args)?;
    let profile = analyze_conversation(&settings, &llm, &rt, &conv, &company).await;
    let json = serde_json::to_string_pretty(&profile).map_err(|e| CliError::failure(e.to_string()))?;
    out!("{json}");
    Ok(())
}

pub async fn eval(dir: &Path, data: &Path, args: AnalysisArgs, json: bool) -> Result<(), CliError> {
    let settings = Settings::load_or_defaults(dir)?;
    let entries = std::fs::read_dir(data).map_err(|e| CliError::bad_input(format!("{}: {e}", data.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && !p.to_string_lossy().ends_with(".labels.json"))
        .collect();
    files.sort();
    let mut pairs = Vec::new();
    for f in files {
        let labels_path = f.with_extension("labels.json");
        if !labels_path.exists() {
            continue;
        }
        let conv = read_conversation(&f)?;
        let bytes =
            std::fs::read(&labels_path).map_err(|e| CliError::bad_input(format!("{}: {e}", labels_path.display())))?;
        let labels: Labels = serde_json::from_slice(&bytes)
            .map_err(|e| CliError::bad_input(format!("{}: not a labels file: {e}", labels_path.display())))?;
        pairs.push((f, conv, labels));
    }
    if pairs.is_empty() {
        return Err(CliError::bad_input(format!(
            "{}: no NAME.json with a NAME.labels.json twin",
            data.display()
        )));
    }
    let llm = CliLlm::new(&settings, &args)?;
    let mut runtimes: std::collections::HashMap<String, CompanyRuntime> = Default::default();
    let tty = std::io::stderr().is_terminal() && !json;
    let mut scores = Vec::new();
    let mut per_file = Vec::new();
    for (i, (file, conv, labels)) in pairs.iter().enumerate() {
        let company = company_of(conv, &args);
        if !runtimes.contains_key(&company) {
            runtimes.insert(company.clone(), runtime(&settings, &company, &args)?);
        }
        let rt = &runtimes[&company];
        if tty {
            let done = (i + 1) * 30 / pairs.len();
            eprint!(
                "\r[{}{}] {}/{} {}   ",
                "#".repeat(done),
                " ".repeat(30 - done),
                i + 1,
                pairs.len(),
                file.display()
            );
        }
        let profile = analyze_conversation(&settings, &llm, rt, conv, &company).await;
        let s = eval::score(&profile, labels);
        per_file.push((
            file.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            s.clone(),
        ));
        scores.push(s);
    }
    if tty {
        eprintln!();
    }
    let table = eval::aggregate(&scores);
    if json {
        let files: serde_json::Map<String, serde_json::Value> = per_file
            .into_iter()
            .map(|(n, s)| (n, serde_json::to_value(s).unwrap_or_default()))
            .collect();
        let out = serde_json::json!({ "table": table, "files": files });
        out!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| CliError::failure(e.to_string()))?
        );
    } else {
        out!("{}", eval::render(&table).trim_end());
    }
    Ok(())
}
