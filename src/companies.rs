//! Per-company runtime pieces built from configuration: the catalog, the analyzer and the tools
//! built on it, and the company's connections (its team chats and its WhatsApp sender). Swapped
//! whole on reload (the connections are kept, with their pacing state), so a reader never sees
//! half a catalog.

use crate::config::{CompanyConfig, Settings};
use crate::copilot::ports::{ChatBinding, ChatKind, CustomerChannel, NoChannel, TeamChat};
use dossier_analyzer::{Analyzer, Knowledge};
use dossier_core::Catalog;
use dossier_tools::{ProgramBook, RateTable, Tools};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// A company's adapters to the outside: built once at start-up (by the composition root, which
/// knows the channels), kept across reloads.
pub struct Connections {
    pub chats: Vec<ChatBinding>,
    pub whatsapp: Arc<dyn CustomerChannel>,
}

impl Default for Connections {
    fn default() -> Self {
        Connections {
            chats: Vec::new(),
            whatsapp: Arc::new(NoChannel("no WhatsApp sender is connected".into())),
        }
    }
}

/// One company, ready to serve.
pub struct CompanyRuntime {
    pub config: CompanyConfig,
    pub catalog: Arc<Catalog>,
    /// The offline analyzer, with the catalog's alias index and the company's extra knowledge.
    pub analyzer: Analyzer,
    /// The five business tools over this company's catalog, rate table and programs.
    pub tools: Tools,
    /// The company's own profile fields, compiled.
    pub fields: crate::analysis::custom::Fields,
    pub connections: Arc<Connections>,
}

impl CompanyRuntime {
    /// The company's team chats, with the channels the copilot posts to.
    pub fn chats(&self) -> &[ChatBinding] {
        &self.connections.chats
    }

    /// The adapter for one kind of team chat.
    pub fn chat(&self, kind: ChatKind) -> Option<Arc<dyn TeamChat>> {
        self.chats()
            .iter()
            .find(|b| b.chat.kind() == kind)
            .map(|b| b.chat.clone())
    }

    /// Whether drafted replies have somewhere to be shown (a drafts channel, or the profile
    /// panel); composing one nobody sees would only cost time (and LLM calls).
    pub fn shows_drafts(&self) -> bool {
        self.config.panel.is_some() || self.chats().iter().any(|b| b.drafts_channel.is_some())
    }

    /// Where approved replies are sent.
    pub fn whatsapp(&self) -> &Arc<dyn CustomerChannel> {
        &self.connections.whatsapp
    }

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
        let fields = crate::analysis::custom::Fields::compile(&config.fields);
        Ok(CompanyRuntime {
            config,
            catalog: Arc::new(catalog),
            analyzer,
            tools,
            fields,
            connections: Arc::new(Connections::default()),
        })
    }
}

/// All companies, each swappable on reload.
#[derive(Default)]
pub struct Companies {
    inner: RwLock<HashMap<String, Arc<CompanyRuntime>>>,
}

impl Companies {
    /// Every configured company, each connected by `connect`.
    pub fn build(settings: &Settings, connect: &dyn Fn(&CompanyConfig) -> Connections) -> anyhow::Result<Companies> {
        let companies = Companies::default();
        for c in settings.companies.values() {
            let mut rt = CompanyRuntime::build(c.clone())?;
            rt.connections = Arc::new(connect(c));
            companies.replace(rt);
        }
        Ok(companies)
    }

    /// Replaces a company's connections (tests plug recording adapters in).
    pub fn connect(&self, id: &str, connections: Connections) -> anyhow::Result<()> {
        let current = self.get(id).ok_or_else(|| anyhow::anyhow!("unknown company `{id}`"))?;
        let mut rt = CompanyRuntime::build(current.config.clone())?;
        rt.connections = Arc::new(connections);
        self.replace(rt);
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<Arc<CompanyRuntime>> {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
    }

    pub fn replace(&self, rt: CompanyRuntime) {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(rt.config.id.clone(), Arc::new(rt));
    }

    /// Rebuilds one company from its configuration (the catalog feed is read again).
    pub fn reload(&self, id: &str) -> anyhow::Result<usize> {
        let current = self.get(id).ok_or_else(|| anyhow::anyhow!("unknown company `{id}`"))?;
        let mut rt = CompanyRuntime::build(current.config.clone())?;
        rt.connections = current.connections.clone();
        let n = rt.catalog.vehicles.len();
        self.replace(rt);
        Ok(n)
    }
}

/// The newest modification time among a company's data files (catalog, rates, programs).
fn data_mtime(c: &CompanyConfig) -> Option<std::time::SystemTime> {
    [&c.catalog, &c.rates, &c.programs]
        .into_iter()
        .flatten()
        .filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .max()
}

/// Reloads a company when one of its data files changes, so a new inventory feed is served
/// without a restart. Polls every `every`; a file that fails to load keeps the previous runtime.
pub async fn watch(companies: &Companies, every: std::time::Duration, shutdown: tokio_util::sync::CancellationToken) {
    let ids: Vec<String> = companies
        .inner
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .keys()
        .cloned()
        .collect();
    let mut seen: HashMap<String, Option<std::time::SystemTime>> = ids
        .iter()
        .map(|id| (id.clone(), companies.get(id).and_then(|rt| data_mtime(&rt.config))))
        .collect();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        for id in &ids {
            let Some(rt) = companies.get(id) else { continue };
            let now = data_mtime(&rt.config);
            if seen.get(id).copied().flatten() == now {
                continue;
            }
            seen.insert(id.clone(), now);
            match companies.reload(id) {
                Ok(n) => tracing::info!(company = %id, vehicles = n, "company data reloaded"),
                Err(e) => {
                    tracing::error!(company = %id, error = %format!("{e:#}"), "reload failed; keeping the previous data")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_changed_catalog_is_served_without_a_restart() {
        let dir = std::env::temp_dir().join(format!("dossier-reload-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("catalog.csv");
        let header =
            "id,branch,make,model,year,trim,condition,price,currency,mileage_km,color,body,fuel,transmission,status\n";
        std::fs::write(
            &csv,
            format!("{header}A-1,Main,Toyota,Corolla,2022,LE,used,21400,USD,1,white,sedan,gasoline,cvt,available\n"),
        )
        .unwrap();
        let mut config = CompanyConfig::default_for("acme");
        config.catalog = Some(csv.clone());
        let companies = Companies::default();
        companies.replace(CompanyRuntime::build(config).unwrap());
        assert_eq!(companies.get("acme").unwrap().catalog.vehicles.len(), 1);
        let shutdown = tokio_util::sync::CancellationToken::new();
        let stop = shutdown.clone();
        let watcher = async { watch(&companies, std::time::Duration::from_millis(20), stop).await };
        let change = async {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            std::fs::write(
                &csv,
                format!(
                    "{header}A-1,Main,Toyota,Corolla,2022,LE,used,21400,USD,1,white,sedan,gasoline,cvt,available\n\
                     A-2,Main,Honda,Civic,2021,EX,used,19900,USD,1,red,sedan,gasoline,cvt,available\n\
                     bad,row\n"
                ),
            )
            .unwrap();
            // mtime granularity can be coarse: make sure it moves.
            let later = std::time::SystemTime::now() + std::time::Duration::from_secs(2);
            let f = std::fs::File::options().write(true).open(&csv).unwrap();
            f.set_modified(later).unwrap();
            for _ in 0..100 {
                if companies.get("acme").unwrap().catalog.vehicles.len() == 2 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            shutdown.cancel();
        };
        tokio::join!(watcher, change);
        let rt = companies.get("acme").unwrap();
        assert_eq!(rt.catalog.vehicles.len(), 2);
        assert_eq!(rt.catalog.skipped.len(), 1, "the bad row is reported and skipped");
    }
}
