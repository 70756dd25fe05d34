//! `canopy emulator`: the local AWS endpoint as a long-running process.

use anyhow::{Context, Result, bail};
use canopy_emulator::{EmulatorConfig, example_config, start};

use crate::args::EmulatorArgs;

pub async fn run(args: EmulatorArgs) -> Result<u8> {
    if args.example_config {
        print!("{}", example_config());
        return Ok(0);
    }
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("cannot read emulator configuration {}", path.display())
            })?;
            EmulatorConfig::from_toml(&text)
                .with_context(|| format!("invalid emulator configuration {}", path.display()))?
        }
        None => EmulatorConfig::default(),
    };
    if let Some(delay) = args.request_delay_ms {
        config.request_delay_ms = delay;
    }
    config.realistic |= args.realistic;
    let listen = match (&args.config, config.listen) {
        (Some(_), Some(listen)) if args.listen.to_string() == "127.0.0.1:4566" => listen,
        _ => args.listen,
    };
    if !listen.ip().is_loopback() {
        bail!(
            "--listen {listen} is not a loopback address; the emulator serves 127.0.0.1 only, such as --listen 127.0.0.1:4566"
        );
    }
    let emulator = start(config, listen).await?;
    eprintln!(
        "canopy emulator: Cloud Control and STS on {}",
        emulator.endpoint()
    );
    eprintln!(
        "  account {} user canopy-admin, key {} (secret: see `canopy emulator --example-config`)",
        canopy_emulator::DEFAULT_ACCOUNT_ID,
        canopy_emulator::DEFAULT_ADMIN_ACCESS_KEY_ID
    );
    eprintln!("  press Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    emulator.shutdown().await;
    Ok(0)
}
