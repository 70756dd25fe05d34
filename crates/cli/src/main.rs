//! The `canopy` command: model, plan and apply AWS infrastructure through Cloud Control.
//!
//! Exit codes: 0 success; 1 error; 2 invalid arguments; 3 an apply ran but some action
//! did not succeed; 4 a change set conflicts with HEAD; 5 qualifications fail.

mod args;
mod commands;
mod demo;
mod emulator;
mod import;
mod output;
mod remote;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Cli;

/// Exit code when an apply ran but some action did not succeed.
pub const EXIT_ACTIONS_FAILED: u8 = 3;
/// Exit code when a change set conflicts with HEAD.
pub const EXIT_CONFLICT: u8 = 4;
/// Exit code when qualifications fail and `--force` was not given.
pub const EXIT_QUALIFICATIONS: u8 = 5;

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);
    let json = cli.global.output == args::Output::Json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let code = exit_code_of(&error);
            eprintln!("error: {error:#}");
            if json {
                // Programs reading --output json get one JSON document on stdout either way.
                let document = serde_json::json!({"error": {"exit_code": code, "message": format!("{error:#}")}});
                println!("{document}");
            }
            ExitCode::from(code)
        }
    }
}

/// Makes a write to a closed standard output (`canopy schema list | head`) end the
/// process quietly: the reader stopped reading, which is not an error of canopy's.
fn quiet_on_closed_stdout() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
}

fn exit_code_of(error: &anyhow::Error) -> u8 {
    if let Some(remote) = error.downcast_ref::<remote::RemoteError>() {
        return remote.exit_code();
    }
    match error.downcast_ref::<canopy_engine::EngineError>() {
        Some(canopy_engine::EngineError::Conflicts { .. }) => EXIT_CONFLICT,
        Some(canopy_engine::EngineError::QualificationsFail { .. }) => EXIT_QUALIFICATIONS,
        _ => 1,
    }
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        // Failures are reported in the command's own output; logs add detail with -v.
        0 => "error",
        1 => "info,aws_config=warn",
        2 => "debug,hyper=info,hyper_util=info",
        _ => "trace",
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("CANOPY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // At trace level the SDK's runtime logs raw requests, session token headers and
    // AssumeRole bodies included, so those targets are capped at debug. The cap is added
    // only when the filter reaches trace, since a directive also enables its target.
    let reaches_trace = filter
        .max_level_hint()
        .is_none_or(|level| level == tracing_subscriber::filter::LevelFilter::TRACE);
    if reaches_trace {
        for cap in [
            "aws_smithy_runtime=debug",
            "aws_smithy_runtime_api=debug",
            "aws_smithy_http=debug",
            "aws_sigv4=debug",
        ] {
            filter = filter.add_directive(cap.parse().expect("a valid directive"));
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}
