use std::process::ExitCode;

fn main() -> ExitCode {
    hoard::cli::main()
}
