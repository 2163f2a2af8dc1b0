//! Mattermost: slash commands (static token), interactive buttons (secret in the action context),
//! and posts through the REST API. Same commands and cards as Slack, rendered as Markdown text
//! plus Slack-style attachments (Mattermost ignores Block Kit).
//!
//! - [`routes`]: `POST /mattermost/commands` and `POST /mattermost/actions`.
//! - [`render`]: text + attachments.
//! - [`client`]: `POST /api/v4/posts`, `PUT /api/v4/posts/{id}` with the company's bot token.

pub mod client;
pub mod render;
pub mod routes;
