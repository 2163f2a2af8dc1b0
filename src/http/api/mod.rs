//! The JSON API under `/v1/companies/{company}` (bearer auth, see [`crate::http::auth`]).

pub mod drafts;
pub mod messages;
pub mod profile;
pub mod settings;
pub mod spend;
pub mod tools;
