//! Switching `storage.backend` in a config file (`hoard migrate-blobs`, SPEC §14): the one
//! value is rewritten and everything else — comments, order, the other keys, a comment on
//! the same line — is kept as written. The new file replaces the old one atomically (a
//! temp file beside it, fsync'd, renamed, the directory fsync'd) with the old one's
//! permissions, since it may hold the object store's secret.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use toml_edit::{DocumentMut, Item, Value};

use super::{Backend, ConfigError};

/// Sets `storage.backend = "<backend>"` in the file at `path` (a `[storage]` table, an
/// inline table or dotted keys; the table or key is added when missing). Returns whether
/// the file changed (it is not written when it already says so).
pub fn set_backend(path: &Path, backend: Backend) -> Result<bool, ConfigError> {
    let failed = |error: &dyn std::fmt::Display| {
        ConfigError(format!("rewriting {}: {error}", path.display()))
    };
    let real = fs::canonicalize(path).map_err(|e| failed(&e))?;
    let text = fs::read_to_string(&real).map_err(|e| failed(&e))?;
    let edited = with_backend(&text, backend).map_err(|e| failed(&e))?;
    if edited == text {
        return Ok(false);
    }
    replace(&real, &edited).map_err(|e| failed(&e))?;
    Ok(true)
}

/// The document with its backend set.
fn with_backend(text: &str, backend: Backend) -> Result<String, String> {
    let mut document: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let name = match backend {
        Backend::Local => "local",
        Backend::S3 => "s3",
    };
    let storage = document
        .entry("storage")
        .or_insert_with(toml_edit::table)
        .as_table_like_mut()
        .ok_or("`storage` is not a table")?;
    match storage.get_mut("backend").and_then(Item::as_value_mut) {
        Some(value) => {
            let decor = value.decor().clone();
            *value = Value::from(name);
            *value.decor_mut() = decor;
        }
        None => {
            storage.insert("backend", toml_edit::value(name));
        }
    }
    Ok(document.to_string())
}

fn replace(real: &Path, text: &str) -> std::io::Result<()> {
    let dir = real
        .parent()
        .ok_or_else(|| std::io::Error::other("the file has no directory"))?;
    let name = real.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.set_permissions(fs::metadata(real)?.permissions()))
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&temp, real));
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_backend_value_changes() {
        let text = "# Hoard\n[server]\nbind = \"127.0.0.1:9000\"\n\n[storage]\n\
                    data_dir = \"/srv\" # here\nbackend   = \"local\"  # was local\n\
                    s3_bucket = \"b\"\n";
        let edited = with_backend(text, Backend::S3).unwrap();
        assert_eq!(
            edited,
            text.replace("\"local\"  # was", "\"s3\"  # was"),
            "{edited}"
        );
        assert_eq!(with_backend(&edited, Backend::Local).unwrap(), text);
    }

    #[test]
    fn a_missing_key_or_table_is_added_and_other_shapes_are_followed() {
        let added = with_backend(
            "[storage]\ndata_dir = \"d\"\n\n[log]\nlevel = \"info\"\n",
            Backend::S3,
        );
        assert_eq!(
            added.unwrap(),
            "[storage]\ndata_dir = \"d\"\nbackend = \"s3\"\n\n[log]\nlevel = \"info\"\n"
        );
        let fresh = with_backend("[log]\nlevel = \"info\"\n", Backend::S3).unwrap();
        assert_eq!(
            fresh,
            "[log]\nlevel = \"info\"\n\n[storage]\nbackend = \"s3\"\n"
        );
        let dotted = with_backend("storage.backend = \"s3\"\n", Backend::Local).unwrap();
        assert_eq!(dotted, "storage.backend = \"local\"\n");
        let inline = with_backend("storage = { backend = \"s3\" }\n", Backend::Local).unwrap();
        assert_eq!(inline, "storage = { backend = \"local\" }\n");
        for text in [&added_config(&fresh), &dotted, &inline] {
            assert!(crate::config::Config::from_toml(text).is_ok(), "{text}");
        }
        assert!(with_backend("storage = 3\n", Backend::S3).is_err());
    }

    /// A complete config around a rewritten one (the s3 keys the backend needs).
    fn added_config(text: &str) -> String {
        text.replace(
            "backend = \"s3\"",
            "backend = \"s3\"\ns3_bucket = \"b\"\ns3_access_key_id = \"k\"\ns3_secret_access_key = \"s\"",
        )
    }
}
