//! The work the queues carry, typed: a job is parsed once, when it is taken from its queue, and
//! what cannot be parsed is dead-lettered with the reason at once.

use crate::store::Queue;
use dossier_core::{CompanyId, ContactId};
use serde::{Deserialize, Serialize};

/// What to do for a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobKind {
    /// Fold the messages stored after the profile's folded position (and run the company's LLM).
    Analyze,
    /// Compose a reply to the customer message at position `pos` and post it to team chat. Stale
    /// (and skipped) once a newer customer message made another draft due.
    Draft { pos: u64 },
}

/// A queued job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub company: CompanyId,
    pub contact: ContactId,
    #[serde(flatten)]
    pub kind: JobKind,
    /// 0 on the first try; a failed job is retried later with `attempt + 1`.
    #[serde(default)]
    pub attempt: u32,
}

impl Job {
    pub fn analyze(company: &CompanyId, contact: &ContactId) -> Job {
        Job {
            company: company.clone(),
            contact: contact.clone(),
            kind: JobKind::Analyze,
            attempt: 0,
        }
    }

    pub fn draft(company: &CompanyId, contact: &ContactId, pos: u64) -> Job {
        Job {
            company: company.clone(),
            contact: contact.clone(),
            kind: JobKind::Draft { pos },
            attempt: 0,
        }
    }

    /// The queue this kind of job runs on.
    pub fn queue(&self) -> Queue {
        match self.kind {
            JobKind::Analyze => Queue::Analysis,
            JobKind::Draft { .. } => Queue::Drafts,
        }
    }

    /// The stream payload.
    pub fn to_payload(&self) -> String {
        // A struct of ids and integers always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses a stream payload; the error says why it is not a job.
    pub fn from_payload(payload: Option<&str>) -> Result<Job, String> {
        let raw = payload.ok_or("the stream entry has no `job` field")?;
        serde_json::from_str(raw).map_err(|e| format!("the `job` field is not a job: {e}"))
    }

    /// Queues this job.
    pub async fn enqueue(&self, store: &dyn crate::store::Store) -> crate::store::StoreResult<()> {
        store
            .enqueue(self.queue(), &self.company, &self.contact, &self.to_payload())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_and_bad_payloads_say_why() {
        let co: CompanyId = "acme".parse().unwrap();
        let ct: ContactId = "5215550001111".parse().unwrap();
        for job in [Job::analyze(&co, &ct), Job::draft(&co, &ct, 7)] {
            assert_eq!(Job::from_payload(Some(&job.to_payload())).unwrap(), job);
        }
        assert_eq!(
            Job::analyze(&co, &ct).to_payload(),
            r#"{"company":"acme","contact":"5215550001111","kind":"analyze","attempt":0}"#
        );
        assert!(Job::from_payload(None).unwrap_err().contains("no `job` field"));
        for bad in [
            "not json",
            "{}",
            r#"{"company":"acme","contact":"x y","kind":"analyze"}"#,
            r#"{"company":"acme","contact":"1","kind":"explode"}"#,
        ] {
            assert!(Job::from_payload(Some(bad)).unwrap_err().contains("not a job"), "{bad}");
        }
    }
}
