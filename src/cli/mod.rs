//! The `dossier` subcommands. Exit codes: 0 success, 2 bad input or configuration (one line on
//! stderr naming the file and what is wrong), 1 any other failure.

/// `println!` that ignores a closed pipe (`dossier eval … | head`) instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

pub mod analyze;
pub mod demo;
pub mod draft;
pub mod serve;
pub mod tools;

use crate::config::Settings;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "dossier",
    version,
    about = "A smart customer profile inside the WhatsApp conversation"
)]
pub struct Cli {
    /// Configuration folder (dossier.toml, companies/*.toml, knowledge/).
    #[arg(long, global = true, env = "DOSSIER_CONFIG", default_value = "config")]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: HTTP routes and the analysis worker.
    Serve,
    /// Run only the analysis worker (scale workers apart from the HTTP tier).
    Worker,
    /// The whole flow on bundled sample data: embedded store, offline analyzer, no network.
    Demo(demo::DemoArgs),
    /// Validate the configuration and print what it resolved (secrets masked).
    CheckConfig,
    /// Print the smart profile (JSON) of one conversation file.
    Analyze {
        file: std::path::PathBuf,
        #[command(flatten)]
        args: analyze::AnalysisArgs,
    },
    /// Print the reply dossier would propose to a conversation file's latest customer message.
    Draft {
        file: std::path::PathBuf,
        #[command(flatten)]
        args: analyze::AnalysisArgs,
        /// The agent's language, for the gloss (default: the company's `copilot.agent_language`).
        #[arg(long)]
        agent_language: Option<String>,
    },
    /// Score the analysis of every conversation in DIR against its `*.labels.json` twin.
    Eval {
        dir: std::path::PathBuf,
        #[command(flatten)]
        args: analyze::AnalysisArgs,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Score drafted replies instead (labels with a `draft` object; `rates.toml` and
        /// `programs.toml` in DIR are used when present).
        #[arg(long)]
        drafts: bool,
    },
    /// The business tools from the command line (JSON out).
    Tools(tools::ToolsArgs),
}

/// A failure with its exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        CliError {
            code: 2,
            message: message.into(),
        }
    }
    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            code: 1,
            message: message.into(),
        }
    }
}

impl From<crate::config::ConfigError> for CliError {
    fn from(e: crate::config::ConfigError) -> Self {
        CliError::bad_input(format!("configuration error: {e}"))
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::failure(format!("{e:#}"))
    }
}

pub fn main(cli: Cli) -> ExitCode {
    let result = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(run(cli)),
        Err(e) => Err(CliError::failure(format!("cannot start the runtime: {e}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dossier: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve => serve::serve(&cli.config, true).await,
        Command::Worker => serve::serve(&cli.config, false).await,
        Command::Demo(args) => demo::run(&cli.config, args).await,
        Command::CheckConfig => check_config(&cli.config),
        Command::Analyze { file, args } => analyze::analyze(&cli.config, &file, args).await,
        Command::Draft {
            file,
            args,
            agent_language,
        } => draft::draft(&cli.config, &file, args, agent_language).await,
        Command::Eval {
            dir,
            args,
            json,
            drafts: true,
        } => draft::eval(&cli.config, &dir, args, json).await,
        Command::Eval { dir, args, json, .. } => analyze::eval(&cli.config, &dir, args, json).await,
        Command::Tools(args) => tools::run(&cli.config, args),
    }
}

fn check_config(dir: &std::path::Path) -> Result<(), CliError> {
    let settings = Settings::load(dir)?;
    let secrets = crate::config::Secrets::from_env();
    let masked = |present: bool| if present { "set (hidden)" } else { "not set" };
    out!("config dir: {}", dir.display());
    out!("listen: {}", settings.listen);
    out!(
        "store: {}",
        if secrets.redis_url.is_some() {
            "redis (REDIS_URL set)"
        } else {
            "embedded memory (REDIS_URL not set)"
        }
    );
    out!(
        "service: {}",
        toml::to_string(&settings.service)
            .unwrap_or_default()
            .replace('\n', "\n  ")
    );
    out!("WHATSAPP_APP_SECRET: {}", masked(secrets.whatsapp_app_secret.is_some()));
    out!(
        "WHATSAPP_VERIFY_TOKEN: {}",
        masked(secrets.whatsapp_verify_token.is_some())
    );
    out!(
        "SLACK_SIGNING_SECRET: {}",
        masked(secrets.slack_signing_secret.is_some())
    );
    out!("DOSSIER_ADMIN_TOKEN: {}", masked(secrets.admin_token.is_some()));
    for (id, c) in &settings.companies {
        out!("company {id} ({})", c.name);
        out!("  whatsapp phone_number_ids: {:?}", c.whatsapp.phone_number_ids);
        if let Some(s) = &c.slack {
            out!(
                "  slack team: {} drafts: {:?} managers: {:?}",
                s.team_id,
                s.drafts_channel,
                s.managers_channel
            );
        }
        if let Some(var) = &c.api_token_env {
            out!("  api token ({var}): {}", masked(secrets.var(var).is_some()));
        }
        out!(
            "  intelligence: provider {} model {:?} auto_draft {} pii_redaction {}",
            c.intelligence.provider.as_str(),
            c.intelligence.model,
            c.intelligence.auto_draft,
            c.intelligence.pii_redaction
        );
        for (what, p) in [("catalog", &c.catalog), ("rates", &c.rates), ("programs", &c.programs)] {
            if let Some(p) = p {
                out!("  {what}: {}", p.display());
            }
        }
    }
    out!("configuration is valid");
    Ok(())
}
