//! `loadtest`: drive a warroom server with a realistic sale, measure it,
//! and check its totals against what was sent.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let args = loadtest::Args::parse();
    match loadtest::run(args).await {
        Ok(outcome) if outcome.exact => ExitCode::SUCCESS,
        Ok(_) => {
            eprintln!("FAILED: the server's totals differ from what was sent (see above)");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
