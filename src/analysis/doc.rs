//! The per-contact analysis document: the profile, the analyzer's fold state and what outside
//! systems said. Written compare-and-set as one unit (`doc:profile`), so two workers analysing the
//! same contact at once can never lose each other's update: the loser re-reads and re-applies.

use dossier_analyzer::AnalyzerState;
use dossier_core::Profile;
use dossier_core::profile::Signal;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub const DOC_NAME: &str = "profile";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileDoc {
    pub profile: Profile,
    /// The builtin analyzer's fold state: new messages are observed on top of it.
    pub analyzer: AnalyzerState,
    /// How many stored messages the fold has seen, and the newest timestamp among them (a message
    /// older than that arriving late makes the next run fold the conversation again).
    pub observed: u64,
    pub observed_until: Option<Timestamp>,
    /// Signals from outside systems (CRM, DMS, an agent), newest last.
    #[serde(default)]
    pub external: Vec<Signal>,
    /// Rolling summary for LLM prompts: everything older than the recent window.
    #[serde(default)]
    pub rolling: Option<crate::analysis::window::RollingSummary>,
}

impl ProfileDoc {
    pub fn new(profile: Profile) -> ProfileDoc {
        ProfileDoc {
            profile,
            analyzer: AnalyzerState::default(),
            observed: 0,
            observed_until: None,
            external: Vec::new(),
            rolling: None,
        }
    }
}
