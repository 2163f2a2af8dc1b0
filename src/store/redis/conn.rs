//! One connection handle for a single node (`ConnectionManager`, reconnecting) or a Cluster.

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Cmd, Pipeline, RedisError, RedisFuture, Value};
use std::time::Duration;

/// One connection handle for both topologies, so the store code does not care which it talks to.
#[derive(Clone)]
pub enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

impl Conn {
    /// `WAIT numreplicas timeout` on the node that holds `key` (on a single node, that node):
    /// how many replicas hold this connection's writes to it.
    pub async fn wait(&mut self, key: &str, replicas: u32, timeout_ms: u64) -> Result<i64, RedisError> {
        let mut cmd = ::redis::cmd("WAIT");
        cmd.arg(replicas).arg(timeout_ms);
        let v = match self {
            Conn::Single(c) => cmd.query_async::<Value>(c).await?,
            Conn::Cluster(c) => {
                use ::redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
                let route = Route::with_key(key.as_bytes(), SlotAddr::Master);
                c.route_command(cmd, RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(route)))
                    .await?
            }
        };
        match v {
            Value::Int(n) => Ok(n),
            other => Err(RedisError::from((
                ::redis::ErrorKind::UnexpectedReturnType,
                "WAIT answered",
                format!("{other:?}"),
            ))),
        }
    }
}

/// The plain `redis://` URL pub/sub subscribes on: the URL itself, or a Cluster's first node.
pub fn pubsub_url(url: &str) -> String {
    match url.strip_prefix("redis+cluster://") {
        Some(rest) => {
            let (auth, hosts) = match rest.rsplit_once('@') {
                Some((a, h)) => (format!("{a}@"), h),
                None => (String::new(), rest),
            };
            let first = hosts.split(',').find(|h| !h.is_empty()).unwrap_or("127.0.0.1:6379");
            format!("redis://{auth}{first}")
        }
        None => url.to_owned(),
    }
}

/// Opens a connection from a `redis://`, `rediss://` or `redis+cluster://h1,h2` URL.
pub async fn connect(url: &str, response_timeout: Duration) -> Result<Conn, RedisError> {
    if let Some(rest) = url.strip_prefix("redis+cluster://") {
        let (auth, hosts) = match rest.rsplit_once('@') {
            Some((a, h)) => (format!("{a}@"), h),
            None => (String::new(), rest),
        };
        let nodes: Vec<String> = hosts
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| format!("redis://{auth}{h}"))
            .collect();
        let client = ::redis::cluster::ClusterClient::builder(nodes)
            .response_timeout(response_timeout)
            .connection_timeout(Duration::from_secs(2))
            .build()?;
        Ok(Conn::Cluster(client.get_async_connection().await?))
    } else {
        let client = ::redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(response_timeout))
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(3);
        Ok(Conn::Single(client.get_connection_manager_with_config(config).await?))
    }
}
