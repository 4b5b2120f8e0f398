//! `fourthp`: see `fourthp help`.

fn main() -> std::process::ExitCode {
    fourthp_api::cli::run(std::env::args().skip(1).collect())
}
