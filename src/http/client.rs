//! Who is on the other end: the client's address (through trusted proxies) and user agent.

use std::net::{IpAddr, SocketAddr};

use poem::http::header;
use poem::Request;

/// Which peers may speak for the client through `X-Forwarded-For`.
#[derive(Debug, Clone, Default)]
pub struct ProxyTrust(pub Vec<IpAddr>);

/// The client's address and user agent. `X-Forwarded-For` is believed only when the
/// direct peer is a configured trusted proxy; then its right-most untrusted entry wins.
pub fn address(req: &Request) -> (String, String) {
    let peer = req.remote_addr().as_socket_addr().map(SocketAddr::ip);
    let trust = req.data::<ProxyTrust>();
    let is_trusted = |ip: &IpAddr| trust.is_some_and(|t| t.0.contains(ip));
    let mut ip = peer;
    if peer.as_ref().is_some_and(is_trusted) {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        let hops: Vec<IpAddr> = forwarded
            .flat_map(|v| v.split(','))
            .filter_map(|hop| hop.trim().parse().ok())
            .collect();
        if let Some(client) = hops.iter().rev().find(|hop| !is_trusted(hop)) {
            ip = Some(*client);
        }
    }
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    (
        ip.map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into()),
        user_agent.chars().take(256).collect(),
    )
}
