//! A browser for the redirects, by hand: curl with a cookie jar, one request per hop, so
//! every hop's status, `Location` and `Set-Cookie` can be asserted.

use std::path::PathBuf;
use std::process::Command;

use tempfile::TempDir;

/// One response.
#[derive(Debug, Clone)]
pub struct Hop {
    pub status: u16,
    pub location: String,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Hop {
    /// The `Set-Cookie` value that sets `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        let prefix = format!("{name}=");
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&prefix))
            .map(String::as_str)
    }
}

pub struct Browser {
    _dir: TempDir,
    jar: PathBuf,
}

impl Browser {
    pub fn open() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let jar = dir.path().join("cookies.txt");
        Self { _dir: dir, jar }
    }

    /// GET `url` with the jar's cookies (and `extra` curl arguments); no redirect followed.
    pub fn get(&self, url: &str, extra: &[&str]) -> Hop {
        let jar = self.jar.to_str().unwrap();
        let out = Command::new("curl")
            .args(["-sS", "-i", "-m", "30", "-b", jar, "-c", jar])
            .args(extra)
            .arg(url)
            .output()
            .expect("curl is installed");
        assert!(out.status.success(), "curl {url}: {:?}", out);
        parse(&String::from_utf8_lossy(&out.stdout))
    }

    /// The value of cookie `name` in the jar, if it holds one.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let text = std::fs::read_to_string(&self.jar).unwrap_or_default();
        text.lines()
            .map(|line| line.trim_start_matches("#HttpOnly_"))
            .filter(|line| !line.starts_with('#'))
            .map(|line| line.split('\t').collect::<Vec<_>>())
            .find(|fields| fields.len() == 7 && fields[5] == name)
            .map(|fields| fields[6].to_owned())
    }
}

fn parse(raw: &str) -> Hop {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut hop = Hop {
        status,
        location: String::new(),
        set_cookies: Vec::new(),
        body: body.to_owned(),
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        match name.to_ascii_lowercase().as_str() {
            "location" => hop.location = value.trim().to_owned(),
            "set-cookie" => hop.set_cookies.push(value.trim().to_owned()),
            _ => {}
        }
    }
    hop
}

/// The value of query parameter `name` in `url`, still percent-encoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}
