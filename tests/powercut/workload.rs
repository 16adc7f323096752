//! One client of the workload: a user of its own, working in two folders of its own, one
//! operation at a time (so at most one is unanswered at a crash), every answer written into
//! its `Model`. Uploads go through every door: multipart, raw PUT, tus, WebDAV PUT; then
//! overwrites (versions), renames, moves, deletes, purges and shares.

use base64::Engine;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use serde_json::{json, Value};

use super::client::{Answer, Client};
use super::model::{Content, FileState, Model, Pending, Place, Tracked, Unresolved};
use crate::support::random::sha256_hex;

pub const PASSWORD: &str = "Power-cuts-keep-every-ack-42!";

/// Files a client keeps at most (live and trashed): the disk stays small.
const MOST_FILES: usize = 24;
/// Versions a file may reach before the client stops overwriting it (retention keeps 10).
const MOST_VERSIONS: usize = 6;

pub struct Worker {
    pub user: String,
    pub token: String,
    pub client: Client,
    pub folders: [u64; 2],
    pub model: Model,
    rng: StdRng,
    serial: u64,
}

/// What an operation asks of the server, and what the file is once it is done.
struct Change {
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    after: FileState,
    what: String,
}

impl Worker {
    /// A user made by the admin (`admin`: the admin's client), with an API token and the
    /// folders `NAME-a` and `NAME-b`.
    pub fn new(admin: &Client, base: &str, user: &str, seed: u64) -> Self {
        let body =
            json!({"username": user, "email": format!("{user}@example.com"), "password": PASSWORD});
        expect(
            admin.json("POST", "/api/v1/users", &body),
            201,
            "create user",
        );
        let login = json!({"username": user, "password": PASSWORD});
        let reply = expect(
            admin.json("POST", "/api/v1/auth/login", &login),
            200,
            "login",
        );
        let session = Client::new(base, reply["tokens"]["access_token"].as_str().unwrap());
        let token = expect(
            session.json("POST", "/api/v1/auth/tokens", &json!({"name": "powercut"})),
            201,
            "API token",
        )["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let client = Client::new(base, &token);
        let folder = |suffix: &str| {
            let body = json!({"name": format!("{user}-{suffix}")});
            let entry = expect(client.json("POST", "/api/v1/folders", &body), 201, "folder");
            entry["id"].as_u64().unwrap()
        };
        let folders = [folder("a"), folder("b")];
        Self {
            user: user.to_owned(),
            token,
            client,
            folders,
            model: Model::default(),
            rng: StdRng::seed_from_u64(seed),
            serial: 0,
        }
    }

    /// Operations started so far.
    pub fn serial(&self) -> usize {
        self.serial as usize
    }

    fn folder_name(&self, index: usize) -> String {
        format!("{}-{}", self.user, ["a", "b"][index])
    }

    /// One operation; false once an answer was lost (the server is gone).
    pub fn step(&mut self) -> bool {
        self.serial += 1;
        let live = self.indices(Place::Live);
        let trashed = self.indices(Place::Trash);
        let count = self.model.files.len() + self.model.unresolved.len();
        let roll = self.rng.random_range(0..100);
        let pick = |rng: &mut StdRng, from: &[usize]| from[rng.random_range(0..from.len())];
        if live.len() < 3 || (roll < 30 && count < MOST_FILES) {
            return self.create();
        }
        if !trashed.is_empty() && (count >= MOST_FILES || roll >= 90) {
            let index = pick(&mut self.rng, &trashed);
            return self.purge(index);
        }
        let index = pick(&mut self.rng, &live);
        match roll {
            _ if count >= MOST_FILES => self.delete(index),
            30..=49 if self.model.files[index].state.versions.len() < MOST_VERSIONS => {
                self.overwrite(index)
            }
            30..=59 => self.rename(index),
            60..=69 => self.relocate(index),
            70..=84 => self.delete(index),
            _ => self.share(index),
        }
    }

    fn indices(&self, place: Place) -> Vec<usize> {
        let files = self.model.files.iter().enumerate();
        files
            .filter(|(_, file)| file.state.place == place)
            .map(|(index, _)| index)
            .collect()
    }

    /// Random bytes: mostly a few KiB, sometimes up to 2 MiB (longer writes and fsyncs).
    fn bytes(&mut self) -> (Vec<u8>, Content) {
        let size = match self.rng.random_range(0..100) {
            0..=69 => self.rng.random_range(1..16 << 10),
            70..=91 => self.rng.random_range(16 << 10..256 << 10),
            _ => self.rng.random_range(1 << 20..2 << 20),
        };
        let mut bytes = vec![0; size];
        self.rng.fill_bytes(&mut bytes);
        let content = Content {
            sha256: sha256_hex(&bytes),
            size: size as u64,
        };
        self.model
            .sizes
            .insert(content.sha256.clone(), content.size);
        (bytes, content)
    }

    fn create(&mut self) -> bool {
        let (bytes, content) = self.bytes();
        let folder = self.rng.random_range(0..2);
        let door = ["multipart", "put", "tus", "webdav"][self.rng.random_range(0..4)];
        let name = format!("f{}-{door}.bin", self.serial);
        let state = FileState {
            name: name.clone(),
            folder,
            content,
            versions: Vec::new(),
            place: Place::Live,
        };
        let op = format!(
            "#{} {} {door} upload {name} into folder {folder}: {} bytes, sha256 {}",
            self.serial, self.user, state.content.size, state.content.sha256
        );
        let answer = match door {
            "multipart" => self.multipart(&name, folder, &bytes),
            "put" => {
                let path = format!(
                    "/api/v1/files/by-path?path=/{}/{name}",
                    self.folder_name(folder)
                );
                self.client.send("PUT", &path, &[], &bytes)
            }
            "tus" => self.tus(&name, folder, &bytes),
            _ => {
                let path = format!("/dav/{}/{name}", self.folder_name(folder));
                self.client.send("PUT", &path, &[], &bytes)
            }
        };
        let acked = self.acknowledged(&answer, &op);
        let id = match door {
            "multipart" => answer.json()["items"][0]["id"].as_u64(),
            "put" => answer.json()["id"].as_u64(),
            _ => None,
        };
        match id {
            Some(id) if acked => self.model.files.push(Tracked {
                id,
                state,
                ledger: vec![op],
            }),
            _ => self.model.unresolved.push(Unresolved { state, acked, op }),
        }
        acked
    }

    fn multipart(&self, name: &str, folder: usize, bytes: &[u8]) -> Answer {
        const BOUNDARY: &str = "powercut-boundary-7Qx";
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"parent_id\"\r\n\r\n{}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
            self.folders[folder]
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let kind = format!("multipart/form-data; boundary={BOUNDARY}");
        let headers = [("Content-Type", kind.as_str())];
        self.client
            .send("POST", "/api/v1/files?on_conflict=fail", &headers, &body)
    }

    /// tus: a creation, then the bytes in two PATCHes; the last one's 204 acknowledges.
    fn tus(&self, name: &str, folder: usize, bytes: &[u8]) -> Answer {
        let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        let meta = format!(
            "filename {},parent_id {}",
            b64(name),
            b64(&self.folders[folder].to_string())
        );
        let length = bytes.len().to_string();
        let created = self.client.send(
            "POST",
            "/api/v1/uploads",
            &[
                ("Tus-Resumable", "1.0.0"),
                ("Upload-Length", &length),
                ("Upload-Metadata", &meta),
            ],
            &[],
        );
        let location = match &created {
            Answer::Got(201, _, Some(location)) => location.clone(),
            Answer::Lost => return Answer::Lost,
            other => panic!("tus creation of {name}: {}", other.describe()),
        };
        let half = bytes.len() / 2;
        let mut answer = Answer::Lost;
        for (offset, chunk) in [(0, &bytes[..half]), (half, &bytes[half..])] {
            if chunk.is_empty() {
                continue;
            }
            let offset = offset.to_string();
            let headers = [
                ("Tus-Resumable", "1.0.0"),
                ("Upload-Offset", offset.as_str()),
                ("Content-Type", "application/offset+octet-stream"),
            ];
            answer = self.client.send("PATCH", &location, &headers, chunk);
            if answer.ok() != Some(204) {
                return answer;
            }
        }
        answer
    }

    /// A new content for a live file, through raw PUT or WebDAV PUT: a new version.
    fn overwrite(&mut self, index: usize) -> bool {
        let (bytes, content) = self.bytes();
        let file = &self.model.files[index];
        let folder = self.folder_name(file.state.folder);
        let mut after = file.state.clone();
        after.versions.insert(0, after.content.sha256.clone());
        after.content = content;
        let (door, path) = if self.rng.random_bool(0.5) {
            (
                "put",
                format!("/api/v1/files/by-path?path=/{folder}/{}", file.state.name),
            )
        } else {
            ("webdav", format!("/dav/{folder}/{}", file.state.name))
        };
        let what = format!(
            "{door} overwrite with {} bytes, sha256 {}",
            after.content.size, after.content.sha256
        );
        self.change(
            index,
            Change {
                method: "PUT",
                path,
                headers: Vec::new(),
                body: bytes,
                after,
                what,
            },
        )
    }

    fn rename(&mut self, index: usize) -> bool {
        let mut after = self.model.files[index].state.clone();
        after.name = format!("f{}-renamed.bin", self.serial);
        let body = json!({"name": after.name}).to_string().into_bytes();
        let what = format!("rename to {}", after.name);
        self.patch(index, body, after, what)
    }

    fn relocate(&mut self, index: usize) -> bool {
        let mut after = self.model.files[index].state.clone();
        after.folder = 1 - after.folder;
        let body = json!({"parent_id": self.folders[after.folder]})
            .to_string()
            .into_bytes();
        let what = format!("move to folder {}", after.folder);
        self.patch(index, body, after, what)
    }

    fn patch(&mut self, index: usize, body: Vec<u8>, after: FileState, what: String) -> bool {
        let path = format!("/api/v1/files/{}", self.model.files[index].id);
        let headers = vec![("Content-Type", "application/json".to_owned())];
        self.change(
            index,
            Change {
                method: "PATCH",
                path,
                headers,
                body,
                after,
                what,
            },
        )
    }

    fn delete(&mut self, index: usize) -> bool {
        let path = format!("/api/v1/files/{}", self.model.files[index].id);
        self.remove(index, Place::Trash, path, "delete (to the trash)")
    }

    fn purge(&mut self, index: usize) -> bool {
        let path = format!("/api/v1/trash/{}", self.model.files[index].id);
        self.remove(index, Place::Gone, path, "purge from the trash")
    }

    /// A `DELETE` of `path` that leaves the file in `place`.
    fn remove(&mut self, index: usize, place: Place, path: String, what: &str) -> bool {
        let mut after = self.model.files[index].state.clone();
        after.place = place;
        let change = Change {
            method: "DELETE",
            path,
            headers: Vec::new(),
            body: Vec::new(),
            after,
            what: what.to_owned(),
        };
        self.change(index, change)
    }

    fn share(&mut self, index: usize) -> bool {
        let id = self.model.files[index].id;
        let op = format!("#{} {} share file {id}", self.serial, self.user);
        let answer = self
            .client
            .json("POST", "/api/v1/shares", &json!({"file_id": id}));
        let acked = self.acknowledged(&answer, &op);
        if acked {
            let share = answer.json()["id"].as_u64().unwrap();
            self.model.shares.push((share, id));
        }
        acked
    }

    /// Sends a change of a known file: acknowledged, the model takes its state after;
    /// unanswered, it is the pending change.
    fn change(&mut self, index: usize, change: Change) -> bool {
        let file = &self.model.files[index];
        let op = format!(
            "#{} {} file {} ({}): {}",
            self.serial, self.user, file.id, file.state.name, change.what
        );
        let headers: Vec<(&str, &str)> = change
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let answer = self
            .client
            .send(change.method, &change.path, &headers, &change.body);
        let acked = self.acknowledged(&answer, &op);
        let file = &mut self.model.files[index];
        if acked {
            file.state = change.after;
            file.ledger.push(op);
        } else {
            let id = file.id;
            self.model.pending = Some(Pending {
                id,
                after: change.after,
                op,
            });
        }
        acked
    }

    /// Whether the server acknowledged; an answer that is not a success is a failure of the
    /// test (nothing here should be refused).
    fn acknowledged(&self, answer: &Answer, op: &str) -> bool {
        match answer {
            Answer::Lost => false,
            Answer::Got(200..=299, ..) => true,
            other => panic!("{op}: the server answered {}", other.describe()),
        }
    }
}

/// The JSON of an answer that must have status `status`.
fn expect(answer: Answer, status: u16, what: &str) -> Value {
    match &answer {
        Answer::Got(got, ..) if *got == status => answer.json(),
        other => panic!("{what}: {}", other.describe()),
    }
}
