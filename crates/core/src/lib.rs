//! Domain types shared by every part of dossier.
//!
//! # Layout
//! - [`ids`]: validated identifiers (company, contact, message). Parse, don't validate.
//! - [`money`]: ISO 4217 currencies; amounts are `rust_decimal::Decimal`, written as strings.
//! - [`conversation`]: the conversation file of docs/conversation-and-profile.md §1 and the stored message.
//! - [`profile`]: the smart profile of docs/conversation-and-profile.md §2, with evidence on every fact.
//! - [`catalog`]: a company's inventory feed (docs/conversation-and-profile.md §6), loaded with per-line errors.
//! - [`text`]: text folding shared by the analyzer and the tools (accents, case, Arabic-Indic digits).

pub mod catalog;
pub mod conversation;
pub mod ids;
pub mod money;
pub mod profile;
pub mod text;

pub use catalog::{Catalog, CatalogError, Condition, Vehicle, VehicleStatus};
pub use conversation::{Conversation, ConversationContact, Direction, Message};
pub use ids::{CompanyId, ContactId, IdError, MessageId};
pub use money::Currency;
pub use profile::Profile;
