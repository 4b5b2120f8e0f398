//! The `fourthp` binary, built within the test package so that the integration tests can run
//! it as a real process (and kill it): `CARGO_BIN_EXE_fourthp-service`.

fn main() -> std::process::ExitCode {
    fourthp_api::cli::run(std::env::args().skip(1).collect())
}
