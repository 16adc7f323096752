//! `[versions]`: how many earlier contents of each file are kept, and for how long (SPEC §13).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VersionsConfig {
    /// Earlier contents kept per file, newest first; 0 turns versions off (a replaced
    /// content is then released at once, as before versions existed).
    pub max_per_file: u32,
    /// Days a version is kept after it stopped being current; 0 keeps them until the
    /// per-file count or the quota pushes them out.
    pub max_age_days: u32,
}

impl Default for VersionsConfig {
    fn default() -> Self {
        Self {
            max_per_file: 10,
            max_age_days: 90,
        }
    }
}
