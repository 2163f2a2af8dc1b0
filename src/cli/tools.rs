//! `dossier tools NAME --input JSON|@file`: the business tools from the command line, JSON out.

use super::CliError;
use crate::companies::CompanyRuntime;
use crate::config::Settings;
use dossier_core::Catalog;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct ToolsArgs {
    /// inventory_search, lowest_price, finance_payment, finance_rate or recommend_programs
    /// (`list` prints their JSON schemas).
    pub tool: String,
    /// The input object as JSON, or `@path/to/file.json`.
    #[arg(long, default_value = "{}")]
    pub input: String,
    /// Catalog feed (CSV) to use instead of the company's.
    #[arg(long)]
    pub catalog: Option<PathBuf>,
    /// Company whose catalog, rates and programs to use.
    #[arg(long, default_value = "demo-motors")]
    pub company: String,
}

pub fn run(dir: &Path, args: ToolsArgs) -> Result<(), CliError> {
    if args.tool == "list" {
        let defs = serde_json::to_string_pretty(&dossier_tools::definitions())
            .map_err(|e| CliError::failure(e.to_string()))?;
        out!("{defs}");
        return Ok(());
    }
    let settings = Settings::load_or_defaults(dir)?;
    let mut config = settings.company_or_default(&args.company);
    if let Some(c) = &args.catalog {
        Catalog::load(c).map_err(|e| CliError::bad_input(e.to_string()))?;
        config.catalog = Some(c.clone());
    }
    let rt = CompanyRuntime::build(config).map_err(|e| CliError::bad_input(format!("{e:#}")))?;
    let text = match args.input.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| CliError::bad_input(format!("{path}: {e}")))?,
        None => args.input.clone(),
    };
    let input: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| CliError::bad_input(format!("--input: not JSON: {e}")))?;
    if input.get("contact").is_some() && args.tool == "recommend_programs" {
        return Err(CliError::bad_input(
            "--input: `contact` needs the service's stored profile; give the vehicle and customer fields instead",
        ));
    }
    let out = rt
        .tools
        .call(&args.tool, input, None)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", args.tool)))?;
    out!(
        "{}",
        serde_json::to_string_pretty(&out).map_err(|e| CliError::failure(e.to_string()))?
    );
    Ok(())
}
