//! `canopy serve`: the HTTP API over the data directory, until Ctrl-C.

use anyhow::{Context, Result, anyhow};
use canopy_aws::credentials::OwnIdentity;
use canopy_engine::{Engine, EngineConfig};
use canopy_store::Store;

use crate::args::{Global, ServeArgs};
use crate::commands::data_dir;

pub async fn run(args: ServeArgs, global: &Global) -> Result<u8> {
    let data_dir = data_dir(global.data_dir.as_deref())?;
    let store = Store::open_dir(&data_dir).await?;
    let config = EngineConfig {
        own_identity: OwnIdentity {
            profile: global.aws_profile.clone(),
        },
        concurrency: usize::from(global.concurrency),
        ..EngineConfig::default()
    };
    let engine = Engine::new(store.clone(), config);

    let server = canopy_server::start(engine, args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; choose another address with --listen",
                args.listen
            )
        })?;
    eprintln!(
        "canopy API on {} (data directory {})",
        server.url(),
        data_dir.display()
    );
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "warning: {} is reachable from the network over plain HTTP; put a TLS proxy in front of it",
            args.listen
        );
    }

    // The token is created only after the listener is bound, so a failed start never
    // stores an administrator token that was not printed.
    let first_token = canopy_server::ensure_admin_token(&store)
        .await
        .map_err(|error| anyhow!("cannot create the administrator token: {}", error.message))?;
    if let Some(token) = first_token {
        eprintln!(
            "first start: open this URL to log in as administrator (it is shown only this once):"
        );
        eprintln!(
            "  {}",
            canopy_server::login_url(server.local_addr(), &token)
        );
    }

    eprintln!("press Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    server
        .shutdown()
        .await
        .context("the server stopped with an error")?;
    Ok(0)
}
