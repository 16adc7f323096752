//! What a traced Hoard did, read from `strace -ff -o PREFIX` (one file per thread, so no
//! call is split across lines), and the system calls a unit's `SystemCallFilter=` allows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::run;

/// Every system call line of every thread.
pub struct Trace(Vec<String>);

impl Trace {
    pub fn read(prefix: &Path) -> Self {
        let stem = format!("{}.", prefix.file_name().unwrap().to_string_lossy());
        let mut lines = Vec::new();
        for entry in std::fs::read_dir(prefix.parent().unwrap()).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name().to_string_lossy().starts_with(&stem) {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                // "--- SIGTERM …" and "+++ exited …" are not calls.
                let calls = text
                    .lines()
                    .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()));
                lines.extend(calls.map(str::to_owned));
            }
        }
        assert!(
            lines.len() > 1000,
            "strace wrote the trace ({} calls)",
            lines.len()
        );
        Self(lines)
    }

    /// The names of the calls made.
    pub fn names(&self) -> BTreeSet<&str> {
        self.0.iter().map(|line| name(line)).collect()
    }

    /// The lines of calls to any of `names`.
    pub fn calls<'a>(&'a self, names: &'a [&str]) -> impl Iterator<Item = &'a str> {
        self.0
            .iter()
            .map(String::as_str)
            .filter(|line| names.contains(&name(line)))
    }

    /// The absolute paths in calls to any of `names` (their quoted arguments).
    pub fn paths<'a>(&'a self, names: &'a [&str]) -> impl Iterator<Item = &'a str> {
        self.calls(names).flat_map(quoted_paths)
    }
}

fn name(line: &str) -> &str {
    line.split('(').next().unwrap_or("")
}

fn quoted_paths(line: &str) -> impl Iterator<Item = &str> {
    line.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with('/'))
}

/// The values of `key=` lines of a unit, in order.
pub fn settings<'a>(unit: &'a str, key: &str) -> Vec<&'a str> {
    let prefix = format!("{key}=");
    unit.lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .collect()
}

/// The system calls that the unit's `SystemCallFilter=` lines allow, in order: a list adds
/// its calls, a `~` list takes them away. Groups are expanded as this systemd defines them.
pub fn allowed_syscalls(unit: &str) -> BTreeSet<String> {
    let groups = syscall_groups();
    let mut allowed = BTreeSet::new();
    for value in settings(unit, "SystemCallFilter") {
        let (deny, list) = value
            .strip_prefix('~')
            .map_or((false, value), |rest| (true, rest));
        let calls: BTreeSet<String> = list
            .split_whitespace()
            .flat_map(|i| expand(&groups, i))
            .collect();
        if deny {
            allowed.retain(|call| !calls.contains(call));
        } else {
            allowed.extend(calls);
        }
    }
    assert!(
        allowed.len() > 100,
        "the unit has an allow list: {allowed:?}"
    );
    allowed
}

/// `systemd-analyze syscall-filter`: each `@group` and its members (calls or groups).
fn syscall_groups() -> BTreeMap<String, Vec<String>> {
    let out = run("systemd-analyze", &["syscall-filter"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut groups = BTreeMap::<String, Vec<String>>::new();
    let mut current = String::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let item = line.trim();
        if line.starts_with('@') {
            current = item.to_owned();
        } else if !item.is_empty() && !item.starts_with('#') && !current.is_empty() {
            groups
                .entry(current.clone())
                .or_default()
                .push(item.to_owned());
        }
    }
    groups
}

fn expand(groups: &BTreeMap<String, Vec<String>>, item: &str) -> Vec<String> {
    match groups.get(item) {
        Some(members) => members.iter().flat_map(|m| expand(groups, m)).collect(),
        None => {
            assert!(!item.starts_with('@'), "systemd knows the group {item}");
            vec![item.to_owned()]
        }
    }
}
