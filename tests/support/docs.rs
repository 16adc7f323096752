//! Shell examples in the documentation, run verbatim: the lines between
//! `<!-- NAME:start -->` and `<!-- NAME:end -->` of a Markdown file, fences dropped.

use std::path::Path;
use std::process::Command;

/// The shell lines of block NAME in FILE (relative to the repository root).
pub fn block(file: &str, name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find(&format!("<!-- {name}:start -->"))
        .unwrap_or_else(|| panic!("{file} has <!-- {name}:start -->"));
    let end = text
        .find(&format!("<!-- {name}:end -->"))
        .unwrap_or_else(|| panic!("{file} has <!-- {name}:end -->"));
    text[start..end]
        .lines()
        .skip(1)
        .filter(|line| !line.starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs block NAME of FILE with `bash -euo pipefail` (in `cwd`, when given) with `env`;
/// asserts that it succeeds and returns what it printed.
pub fn run_block(file: &str, name: &str, cwd: Option<&Path>, env: &[(&str, &str)]) -> String {
    let mut bash = Command::new("bash");
    bash.args(["-euo", "pipefail", "-c", &block(file, name)]);
    if let Some(cwd) = cwd {
        bash.current_dir(cwd);
    }
    let output = bash.envs(env.iter().copied()).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{file} {name}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
