//! The channels dossier talks through: WhatsApp (customers), Slack and Mattermost (agents).

pub mod mattermost;
pub mod slack;
pub mod whatsapp;
