//! The channels dossier talks through: WhatsApp (customers), Slack and Mattermost (agents).

pub mod whatsapp;
