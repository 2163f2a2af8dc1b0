//! The analysis worker (placeholder until the analyzer lands): drains jobs so the queue stays bounded.

use crate::state::AppState;
use tokio_util::sync::CancellationToken;

pub async fn run(app: AppState, shutdown: CancellationToken) {
    let _ = (app, shutdown.cancelled().await);
}
