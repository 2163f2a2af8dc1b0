//! Per-company runtime pieces built from configuration: the catalog (and later the tools and the
//! analyzer built on it). Swapped whole on reload, so a reader never sees half a catalog.

use crate::config::{CompanyConfig, Settings};
use dossier_analyzer::{Analyzer, Knowledge};
use dossier_core::Catalog;
use dossier_tools::{ProgramBook, RateTable, Tools};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// One company, ready to serve.
pub struct CompanyRuntime {
    pub config: CompanyConfig,
    pub catalog: Arc<Catalog>,
    /// The offline analyzer, with the catalog's alias index and the company's extra knowledge.
    pub analyzer: Analyzer,
    /// The five business tools over this company's catalog, rate table and programs.
    pub tools: Tools,
}

impl CompanyRuntime {
    /// Builds a company's runtime: loads its catalog feed (bad rows are logged and skipped).
    pub fn build(config: CompanyConfig) -> anyhow::Result<CompanyRuntime> {
        let catalog = match &config.catalog {
            Some(path) => {
                let c = Catalog::load(path)?;
                for e in &c.skipped {
                    tracing::warn!(company = %config.id, file = %path.display(), line = e.line, reason = %e.reason, "catalog row skipped");
                }
                c
            }
            None => Catalog::default(),
        };
        let mut knowledge = Knowledge::builtin();
        for extra in &config.knowledge {
            knowledge
                .extend_from_file(extra)
                .map_err(|e| anyhow::anyhow!("{}: {e}", extra.display()))?;
        }
        let analyzer = Analyzer::new(Arc::new(knowledge), &catalog);
        let rates = match &config.rates {
            Some(p) => RateTable::load(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
            None => RateTable::default(),
        };
        let programs = match &config.programs {
            Some(p) => ProgramBook::load(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
            None => ProgramBook::default(),
        };
        let tools = Tools::new(catalog.clone(), rates, programs);
        Ok(CompanyRuntime {
            config,
            catalog: Arc::new(catalog),
            analyzer,
            tools,
        })
    }
}

/// All companies, each swappable on reload.
#[derive(Default)]
pub struct Companies {
    inner: RwLock<HashMap<String, Arc<CompanyRuntime>>>,
}

impl Companies {
    pub fn build(settings: &Settings) -> anyhow::Result<Companies> {
        let companies = Companies::default();
        for c in settings.companies.values() {
            companies.replace(CompanyRuntime::build(c.clone())?);
        }
        Ok(companies)
    }

    /// The runtime of a configured company, or one built from defaults for an id without a file
    /// (the CLI analyses any company id).
    pub fn get_or_default(&self, id: &str) -> anyhow::Result<Arc<CompanyRuntime>> {
        if let Some(rt) = self.get(id) {
            return Ok(rt);
        }
        let rt = CompanyRuntime::build(CompanyConfig::default_for(id))?;
        self.replace(rt);
        self.get(id).ok_or_else(|| anyhow::anyhow!("company `{id}` vanished"))
    }

    pub fn get(&self, id: &str) -> Option<Arc<CompanyRuntime>> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    pub fn replace(&self, rt: CompanyRuntime) {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(rt.config.id.clone(), Arc::new(rt));
    }

    /// Rebuilds one company from its configuration (the catalog feed is read again).
    pub fn reload(&self, id: &str) -> anyhow::Result<usize> {
        let current = self
            .get(id)
            .ok_or_else(|| anyhow::anyhow!("unknown company `{id}`"))?;
        let rt = CompanyRuntime::build(current.config.clone())?;
        let n = rt.catalog.vehicles.len();
        self.replace(rt);
        Ok(n)
    }
}
