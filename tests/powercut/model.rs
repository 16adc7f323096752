//! What one user's drive may look like after a crash: the state every acknowledged
//! operation left, with the one operation that was still waiting for its answer either done
//! or not done, and nothing else. `View` is what a server shows; `Model::check` compares.

use std::collections::HashMap;

use serde_json::Value;

use super::client::Client;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    pub sha256: String,
    pub size: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Live,
    Trash,
    Gone,
}

/// A file as the user sees it. `folder` is an index into the user's two folders;
/// `versions` are the older contents' sha256, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileState {
    pub name: String,
    pub folder: usize,
    pub content: Content,
    pub versions: Vec<String>,
    pub place: Place,
}

/// A file the model knows the id of, and the ledger entries of the operations on it.
#[derive(Clone)]
pub struct Tracked {
    pub id: u64,
    pub state: FileState,
    pub ledger: Vec<String>,
}

/// An upload whose file id the client has not seen (WebDAV and tus answer without one, and
/// unacknowledged uploads have none): found by name at the next check.
#[derive(Clone)]
pub struct Unresolved {
    pub state: FileState,
    pub acked: bool,
    pub op: String,
}

/// The change of a known file (overwrite, rename, move, delete, purge) whose answer never
/// came: the file's state if it was done.
#[derive(Clone)]
pub struct Pending {
    pub id: u64,
    pub after: FileState,
    pub op: String,
}

#[derive(Clone, Default)]
pub struct Model {
    pub files: Vec<Tracked>,
    pub unresolved: Vec<Unresolved>,
    pub pending: Option<Pending>,
    /// Acknowledged shares: (share id, file id).
    pub shares: Vec<(u64, u64)>,
    /// The size of every content ever sent, by sha256.
    pub sizes: HashMap<String, u64>,
}

/// A file as a server shows it: in a folder, or in the trash (`folder` None).
#[derive(Clone, Debug)]
pub struct Seen {
    pub name: String,
    pub folder: Option<usize>,
    pub content: Content,
    pub versions: Vec<String>,
    /// The sha256 of the bytes its download answered, or what it answered instead (live
    /// files; None in the trash).
    pub downloaded: Option<Result<String, String>>,
}

/// Everything one user's drive shows.
pub struct View {
    pub files: HashMap<u64, Seen>,
    pub storage_used: u64,
    pub shares: Vec<u64>,
}

impl View {
    /// Reads the two folders, the trash, every live file's versions and bytes, the user's
    /// `storage_used` and shares.
    /// Err: a request that did not answer 200 (a lost API token shows here as a 401).
    pub fn read(client: &Client, folders: [u64; 2]) -> Result<Self, String> {
        let mut files = HashMap::new();
        for (index, folder) in folders.iter().enumerate() {
            let list = client.read(&format!("/api/v1/files?parent_id={folder}&limit=1000"))?;
            for entry in items(&list) {
                let id = entry["id"].as_u64().unwrap();
                let seen = seen(client, &entry, Some(index))?;
                files.insert(id, seen);
            }
        }
        for entry in items(&client.read("/api/v1/trash?limit=1000")?) {
            let id = entry["id"].as_u64().unwrap();
            files.insert(id, seen(client, &entry, None)?);
        }
        let me = client.read("/api/v1/users/me")?;
        let shares = items(&client.read("/api/v1/shares?limit=1000")?)
            .iter()
            .map(|share| share["id"].as_u64().unwrap())
            .collect();
        Ok(Self {
            files,
            storage_used: me["storage_used"].as_u64().unwrap(),
            shares,
        })
    }
}

fn items(list: &Value) -> Vec<Value> {
    list["items"].as_array().cloned().unwrap_or_default()
}

fn seen(client: &Client, entry: &Value, folder: Option<usize>) -> Result<Seen, String> {
    let id = entry["id"].as_u64().unwrap();
    let content = Content {
        sha256: entry["sha256"].as_str().unwrap_or_default().to_owned(),
        size: entry["size"].as_u64().unwrap(),
    };
    let (versions, downloaded) = match folder {
        None => (Vec::new(), None),
        Some(_) => {
            let list = client.read(&format!("/api/v1/files/{id}/versions?limit=1000"))?;
            let versions = items(&list)
                .iter()
                .map(|v| v["sha256"].as_str().unwrap().to_owned())
                .collect();
            let bytes = client.bytes(&format!("/api/v1/files/{id}/download"));
            let sha256 = bytes.map(|bytes| crate::support::random::sha256_hex(&bytes));
            (versions, Some(sha256))
        }
    };
    Ok(Seen {
        name: entry["name"].as_str().unwrap().to_owned(),
        folder,
        content,
        versions,
        downloaded,
    })
}

impl FileState {
    /// Whether a server showing `seen` (None: no such file) shows this state.
    fn shown_as(&self, seen: Option<&Seen>) -> bool {
        let Some(seen) = seen else {
            return self.place == Place::Gone;
        };
        let same_file = seen.name == self.name && seen.content == self.content;
        match self.place {
            Place::Gone => false,
            Place::Trash => same_file && seen.folder.is_none(),
            Place::Live => {
                same_file
                    && seen.folder == Some(self.folder)
                    && seen.versions == self.versions
                    && seen.downloaded.as_ref() == Some(&Ok(self.content.sha256.clone()))
            }
        }
    }
}

impl Model {
    /// Checks `view` against the model; on success takes the outcome the server shows for
    /// the pending operation and the unresolved uploads (the model then describes exactly
    /// this server's state). Err: what broke, with the ledger entry.
    pub fn check(&mut self, view: &View) -> Result<(), String> {
        let mut accounted = std::collections::HashSet::new();
        for file in &mut self.files {
            let seen = view.files.get(&file.id);
            accounted.insert(file.id);
            let after = match &self.pending {
                Some(Pending { id, after, op }) if *id == file.id => Some((after, op)),
                _ => None,
            };
            if file.state.shown_as(seen) {
                continue;
            }
            match after {
                Some((after, op)) if after.shown_as(seen) => {
                    file.state = after.clone();
                    file.ledger.push(format!("{op} (unanswered, done)"));
                }
                _ => {
                    return Err(format!(
                        "file {}: expected {:?} (or the pending change), the server shows {seen:?}; its ledger:\n  {}",
                        file.id, file.state, file.ledger.join("\n  ")
                    ))
                }
            }
        }
        self.pending = None;
        self.files.retain(|file| file.state.place != Place::Gone);
        self.resolve_uploads(view, &mut accounted)?;
        if let Some((id, seen)) = view.files.iter().find(|(id, _)| !accounted.contains(id)) {
            return Err(format!(
                "file {id} {seen:?} is on the server but no upload of it was sent"
            ));
        }
        self.check_sums(view)?;
        Ok(())
    }

    /// Finds each upload whose id was never seen by its name and folder.
    fn resolve_uploads(
        &mut self,
        view: &View,
        accounted: &mut std::collections::HashSet<u64>,
    ) -> Result<(), String> {
        for upload in std::mem::take(&mut self.unresolved) {
            let found = view.files.iter().find(|(id, seen)| {
                !accounted.contains(id)
                    && seen.name == upload.state.name
                    && seen.folder == Some(upload.state.folder)
            });
            match found {
                Some((id, seen)) if upload.state.shown_as(Some(seen)) => {
                    accounted.insert(*id);
                    self.files.push(Tracked {
                        id: *id,
                        state: upload.state,
                        ledger: vec![upload.op],
                    });
                }
                Some((id, seen)) => {
                    return Err(format!(
                        "file {id} {seen:?} does not hold what was uploaded: {}",
                        upload.op
                    ))
                }
                None if upload.acked => {
                    return Err(format!("an acknowledged upload is missing: {}", upload.op))
                }
                None => {}
            }
        }
        Ok(())
    }

    /// `storage_used` is the sum of what the view holds, and every acknowledged share of a
    /// live file is listed.
    fn check_sums(&self, view: &View) -> Result<(), String> {
        let sizes = |sha: &String| self.sizes.get(sha).copied().unwrap_or(0);
        let bytes: u64 = self
            .files
            .iter()
            .map(|file| {
                file.state.content.size + file.state.versions.iter().map(sizes).sum::<u64>()
            })
            .sum();
        if bytes != view.storage_used {
            return Err(format!(
                "storage_used is {}, the files, trash and versions hold {bytes}",
                view.storage_used
            ));
        }
        for (share, file) in &self.shares {
            let live = self
                .files
                .iter()
                .any(|f| f.id == *file && f.state.place == Place::Live);
            if live && !view.shares.contains(share) {
                return Err(format!("acknowledged share {share} of file {file} is gone"));
            }
        }
        Ok(())
    }
}
