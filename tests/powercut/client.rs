//! One user's HTTP client: a keep-alive connection (ureq) with the user's API token.

use std::time::Duration;

use serde_json::Value;

pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: String,
}

/// What came back: a status, body and `Location`, or nothing (the server died first).
pub enum Answer {
    Got(u16, Vec<u8>, Option<String>),
    Lost,
}

impl Answer {
    /// The status when it is a success, None for anything else.
    pub fn ok(&self) -> Option<u16> {
        match self {
            Answer::Got(status, ..) if (200..300).contains(status) => Some(*status),
            _ => None,
        }
    }

    pub fn json(&self) -> Value {
        match self {
            Answer::Got(_, body, _) => serde_json::from_slice(body).unwrap_or(Value::Null),
            Answer::Lost => Value::Null,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Answer::Got(status, body, _) => format!("{status} {}", String::from_utf8_lossy(body)),
            Answer::Lost => "no answer".into(),
        }
    }
}

impl Client {
    pub fn new(base: &str, token: &str) -> Self {
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout(Duration::from_secs(60))
            .build();
        Self {
            agent,
            base: base.to_owned(),
            token: token.to_owned(),
        }
    }

    /// Points the client at another server (a restart's new port).
    pub fn rebase(&mut self, base: &str) {
        *self = Self::new(base, &self.token);
    }

    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let mut request = self
            .agent
            .request(method, &format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {}", self.token));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let sent = if body.is_empty() {
            request.call()
        } else {
            request.send_bytes(body)
        };
        let response = match sent {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(ureq::Error::Transport(_)) => return Answer::Lost,
        };
        let status = response.status();
        let location = response.header("Location").map(str::to_owned);
        let mut bytes = Vec::new();
        match std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes) {
            Ok(_) => Answer::Got(status, bytes, location),
            Err(_) => Answer::Lost,
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        self.send("GET", path, &[], &[])
    }

    pub fn json(&self, method: &str, path: &str, body: &Value) -> Answer {
        let json = [("Content-Type", "application/json")];
        self.send(method, path, &json, body.to_string().as_bytes())
    }

    /// A GET that must answer 200: its body. Err: what came instead.
    pub fn bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        match self.get(path) {
            Answer::Got(200, body, _) => Ok(body),
            other => Err(format!("GET {path}: {}", other.describe())),
        }
    }

    /// A GET that must answer 200 with JSON.
    pub fn read(&self, path: &str) -> Result<Value, String> {
        let body = self.bytes(path)?;
        serde_json::from_slice(&body).map_err(|e| format!("GET {path}: {e}"))
    }
}
