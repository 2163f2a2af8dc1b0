//! Per-company runtime pieces built from configuration: the catalog (and later the tools and the
//! analyzer built on it). Swapped whole on reload, so a reader never sees half a catalog.

use crate::config::{CompanyConfig, Settings};
use dossier_core::Catalog;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// One company, ready to serve.
pub struct CompanyRuntime {
    pub config: CompanyConfig,
    pub catalog: Arc<Catalog>,
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
        Ok(CompanyRuntime {
            config,
            catalog: Arc::new(catalog),
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
