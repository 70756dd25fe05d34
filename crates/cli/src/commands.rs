//! Running each command against the engine.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use canopy_aws::credentials::{AwsCredentialSecret, OwnIdentity};
use canopy_core::Subscription;
use canopy_engine::{ApplyOptions, Engine, EngineConfig, ImportRequest, NewComponent};
use canopy_store::Store;
use serde_json::Value;

use crate::args::*;
use crate::output::Printer;
use crate::{EXIT_ACTIONS_FAILED, demo, emulator};

#[path = "serve.rs"]
mod serve;

/// The file in the data directory that names the default workspace.
const CURRENT_WORKSPACE_FILE: &str = "current-workspace";

pub async fn run(cli: Cli) -> Result<u8> {
    // Schema and emulator need no data directory, so they run locally either way.
    if let Some(server) = cli.global.server.clone()
        && !matches!(cli.command, Command::Schema(_) | Command::Emulator(_))
    {
        return crate::remote::run(cli, &server).await;
    }
    let printer = Printer::new(cli.global.output);
    match cli.command {
        Command::Schema(command) => return crate::output::schema(&printer, command),
        Command::Emulator(args) => return emulator::run(args).await,
        Command::Demo(args) => return demo::run(args).await,
        Command::Serve(args) => return serve::run(args, &cli.global).await,
        _ => {}
    }
    let data_dir = data_dir(cli.global.data_dir.as_deref())?;
    let store = Store::open_dir(&data_dir).await?;
    let config = EngineConfig {
        own_identity: OwnIdentity {
            profile: cli.global.aws_profile.clone(),
        },
        concurrency: usize::from(cli.global.concurrency),
        request_timeout: timeout_of(&cli.command),
        ..EngineConfig::default()
    };
    let engine = Engine::new(store, config).with_events(printer.event_sink());
    let context = Session {
        engine,
        data_dir,
        workspace: cli.global.workspace.clone(),
        printer,
    };
    context.dispatch(cli.command).await
}

struct Session {
    engine: Engine,
    data_dir: PathBuf,
    workspace: Option<String>,
    printer: Printer,
}

impl Session {
    fn workspace(&self) -> Result<String> {
        if let Some(name) = &self.workspace {
            return Ok(name.clone());
        }
        let path = self.data_dir.join(CURRENT_WORKSPACE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(name) if !name.trim().is_empty() => Ok(name.trim().to_string()),
            _ => bail!(
                "no workspace chosen: pass --workspace NAME, set CANOPY_WORKSPACE, or run `canopy workspace use NAME` (create one with `canopy workspace create NAME`)"
            ),
        }
    }

    async fn dispatch(&self, command: Command) -> Result<u8> {
        match command {
            Command::Workspace(command) => self.workspace_command(command).await,
            Command::Secret(command) => self.secret_command(command).await,
            Command::ChangeSet(command) => self.change_set_command(command).await,
            Command::Component(command) => self.component_command(command).await,
            Command::Plan { change_set } => {
                let plan = self.engine.plan(&self.workspace()?, &change_set).await?;
                self.printer.plan(&plan);
                Ok(0)
            }
            Command::Discover(args) => {
                crate::import::discover(&self.engine, &self.printer, &self.workspace()?, args).await
            }
            Command::Action(command) => self.action_command(command).await,
            Command::Refresh => {
                let report = self.engine.refresh(&self.workspace()?).await?;
                self.printer.refresh(&report);
                Ok(if report.resources.iter().any(|r| r.status == "error") {
                    1
                } else {
                    0
                })
            }
            Command::Schema(_) | Command::Emulator(_) | Command::Demo(_) | Command::Serve(_) => {
                unreachable!("handled before opening the store")
            }
        }
    }

    async fn workspace_command(&self, command: WorkspaceCommand) -> Result<u8> {
        let store = self.engine.store();
        match command {
            WorkspaceCommand::Create { name } => {
                canopy_engine_check_name(&name)?;
                let (workspace, _token) = store.create_workspace(&name).await?;
                let current = self.data_dir.join(CURRENT_WORKSPACE_FILE);
                if !current.exists() {
                    std::fs::write(&current, &workspace.name)
                        .with_context(|| format!("cannot write {}", current.display()))?;
                }
                self.printer.message(
                    &workspace,
                    &format!(
                        "created workspace {} ({}); its token is shown by `canopy workspace token`",
                        workspace.name, workspace.id
                    ),
                );
            }
            WorkspaceCommand::List => {
                let workspaces = store.list_workspaces().await?;
                let current = self.workspace().ok();
                self.printer.workspaces(&workspaces, current.as_deref());
            }
            WorkspaceCommand::Use { name } => {
                let workspace = store.get_workspace(&name).await?;
                let current = self.data_dir.join(CURRENT_WORKSPACE_FILE);
                std::fs::write(&current, &workspace.name)
                    .with_context(|| format!("cannot write {}", current.display()))?;
                self.printer
                    .message(&workspace, &format!("using workspace {}", workspace.name));
            }
            WorkspaceCommand::Token { rotate } => {
                let workspace = store.get_workspace(&self.workspace()?).await?;
                let token = if rotate {
                    store.rotate_workspace_token(&workspace.id).await?
                } else {
                    store.workspace_token(&workspace.id).await?
                };
                // The one place the token is printed, because the user asked for it.
                self.printer.token(&workspace.name, token.expose());
            }
        }
        Ok(0)
    }

    async fn action_command(&self, command: ActionCommand) -> Result<u8> {
        let workspace = self.workspace()?;
        match command {
            ActionCommand::List { state } => {
                let workspace = self.engine.store().get_workspace(&workspace).await?;
                let states: Vec<&str> = state.iter().map(String::as_str).collect();
                let actions = self
                    .engine
                    .store()
                    .list_actions(&workspace.id, &states)
                    .await?;
                self.printer.actions(&actions);
            }
            ActionCommand::Cancel { id } => {
                let action = self.engine.cancel_action(&workspace, &id).await?;
                self.printer.message(
                    &action,
                    &format!(
                        "asked Cloud Control to cancel the {} of {}; the next apply records the outcome",
                        action.kind, action.component_name
                    ),
                );
            }
        }
        Ok(0)
    }

    async fn secret_command(&self, command: SecretCommand) -> Result<u8> {
        let workspace = self.workspace()?;
        match command {
            SecretCommand::Create(args) => {
                let value = read_secret_value(&args).await?;
                let info = self
                    .engine
                    .create_aws_secret(&workspace, &args.name, &value)
                    .await?;
                self.printer.message(
                    &info,
                    &format!("created secret {} ({})", info.name, info.kind),
                );
            }
            SecretCommand::Update(args) => {
                let value = read_secret_value(&args).await?;
                let info = self
                    .engine
                    .update_aws_secret(&workspace, &args.name, &value)
                    .await?;
                self.printer.message(
                    &info,
                    &format!("updated secret {}; the AWS Credential components that use it were checked again", info.name),
                );
            }
            SecretCommand::List => {
                let workspace = self.engine.store().get_workspace(&workspace).await?;
                let secrets = self.engine.store().list_secrets(&workspace.id).await?;
                self.printer.secrets(&secrets);
            }
        }
        Ok(0)
    }

    async fn change_set_command(&self, command: ChangeSetCommand) -> Result<u8> {
        let workspace_name = self.workspace()?;
        let store = self.engine.store();
        let workspace = store.get_workspace(&workspace_name).await?;
        match command {
            ChangeSetCommand::Create { name } => {
                canopy_engine_check_name(&name)?;
                let change_set = store.create_change_set(&workspace.id, &name).await?;
                self.printer.message(
                    &change_set,
                    &format!("created change set {}", change_set.name),
                );
            }
            ChangeSetCommand::List => {
                let change_sets = store.list_change_sets(&workspace.id).await?;
                self.printer.change_sets(&change_sets);
            }
            ChangeSetCommand::Abandon { name } => {
                let change_set = self.engine.abandon(&workspace_name, &name).await?;
                self.printer.message(
                    &change_set,
                    &format!("abandoned change set {}", change_set.name),
                );
            }
            ChangeSetCommand::Apply {
                name,
                force,
                resume,
                ..
            } => {
                let target = if resume {
                    // --resume finishes in-flight actions and whatever HEAD still needs,
                    // whether or not the change set was merged before the interruption.
                    match store.find_change_set(&workspace.id, &name).await? {
                        Some(cs) if cs.status == canopy_store::ChangeSetStatus::Open => {
                            name.clone()
                        }
                        Some(cs) => cs.id.0,
                        None => {
                            let applied = store
                                .list_change_sets(&workspace.id)
                                .await?
                                .into_iter()
                                .rev()
                                .find(|cs| cs.name == name)
                                .with_context(|| format!("change set {name:?} not found; run `canopy change-set list`"))?;
                            applied.id.0
                        }
                    }
                } else {
                    // Names resolve to open change sets only, so an applied one would
                    // otherwise be reported as not found after an interrupted apply.
                    let applied = store
                        .list_change_sets(&workspace.id)
                        .await?
                        .iter()
                        .any(|cs| {
                            cs.name == name && cs.status == canopy_store::ChangeSetStatus::Applied
                        });
                    if applied && store.find_change_set(&workspace.id, &name).await?.is_none() {
                        bail!(
                            "change set {name:?} was already applied; run `canopy change-set apply {name} --resume` to finish anything its apply left in flight, or create a new change set for further changes"
                        );
                    }
                    name.clone()
                };
                let report = self
                    .engine
                    .apply(&workspace_name, &target, &ApplyOptions { force })
                    .await?;
                self.printer.apply(&report);
                return Ok(if report.success() {
                    0
                } else {
                    EXIT_ACTIONS_FAILED
                });
            }
        }
        Ok(0)
    }

    async fn component_command(&self, command: ComponentCommand) -> Result<u8> {
        let workspace = self.workspace()?;
        let engine = &self.engine;
        let view = match command {
            ComponentCommand::Create {
                change_set,
                schema,
                name,
                domain,
                region,
                credential,
            } => {
                let domain = match domain {
                    Some(text) => serde_json::from_str(&text)
                        .with_context(|| format!("--domain is not valid JSON: {text}"))?,
                    None => Value::Null,
                };
                let new = NewComponent {
                    schema,
                    name,
                    domain,
                    region,
                    credential,
                };
                engine
                    .create_component(&workspace, &change_set, new)
                    .await?
            }
            ComponentCommand::Set {
                change_set,
                name,
                path,
                value,
            } => {
                let value = serde_json::from_str(&value).unwrap_or(Value::String(value));
                engine
                    .set_property(&workspace, &change_set, &name, &path, value)
                    .await?
            }
            ComponentCommand::Unset {
                change_set,
                name,
                path,
            } => {
                engine
                    .unset_property(&workspace, &change_set, &name, &path)
                    .await?
            }
            ComponentCommand::Subscribe {
                change_set,
                name,
                path,
                from,
                source_path,
            } => {
                let subscription = Subscription {
                    path,
                    source: from,
                    source_path,
                };
                engine
                    .subscribe(&workspace, &change_set, &name, subscription)
                    .await?
            }
            ComponentCommand::Unsubscribe {
                change_set,
                name,
                path,
            } => {
                engine
                    .unsubscribe(&workspace, &change_set, &name, &path)
                    .await?
            }
            ComponentCommand::Show { change_set, name } => {
                engine
                    .show_component(&workspace, &change_set, &name)
                    .await?
            }
            ComponentCommand::List { change_set } => {
                let views = engine.list_components(&workspace, &change_set).await?;
                self.printer.components(&views);
                return Ok(0);
            }
            ComponentCommand::Import {
                change_set,
                type_name,
                name,
                identifier,
                region,
                credential,
            } => {
                let request = ImportRequest {
                    type_name,
                    name,
                    identifier,
                    region,
                    credential,
                };
                engine
                    .import_resource(&workspace, &change_set, request)
                    .await?
            }
            ComponentCommand::Delete { change_set, name } => {
                engine
                    .delete_component(&workspace, &change_set, &name)
                    .await?;
                self.printer.message(
                    &serde_json::json!({"deleted": name}),
                    &format!("deleted component {name} from change set {change_set}"),
                );
                return Ok(0);
            }
        };
        self.printer.component(&view);
        Ok(0)
    }
}

/// Returns the `--timeout` of `change-set apply`, which the engine needs at construction.
fn timeout_of(command: &Command) -> Option<std::time::Duration> {
    match command {
        Command::ChangeSet(ChangeSetCommand::Apply {
            timeout: Some(seconds),
            ..
        }) => Some(std::time::Duration::from_secs(*seconds)),
        _ => None,
    }
}

fn canopy_engine_check_name(name: &str) -> Result<()> {
    if name.trim().is_empty()
        || name.trim() != name
        || name.len() > 128
        || name.chars().any(char::is_control)
    {
        bail!("invalid name {name:?}: use 1 to 128 characters without leading or trailing spaces");
    }
    Ok(())
}

/// Finds the data directory: the flag or CANOPY_DATA_DIR, else the user's data directory.
pub fn data_dir(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = flag {
        return Ok(dir.to_path_buf());
    }
    let base = dirs::data_dir().context(
        "cannot find the user's data directory; pass --data-dir DIR or set CANOPY_DATA_DIR",
    )?;
    Ok(base.join("canopy"))
}

/// Reads an AWS Credential secret's values from standard input, the environment or a
/// profile; never from arguments, so they stay out of shell history and process lists.
pub(crate) async fn read_secret_value(args: &SecretCreateArgs) -> Result<AwsCredentialSecret> {
    let mut value = if let Some(profile) = &args.from_profile {
        canopy_aws::credentials::credentials_from_profile(profile).await?
    } else if args.from_env {
        AwsCredentialSecret {
            access_key_id: std::env::var("AWS_ACCESS_KEY_ID").ok(),
            secret_access_key: std::env::var("AWS_SECRET_ACCESS_KEY").ok(),
            session_token: std::env::var("AWS_SESSION_TOKEN").ok(),
            ..Default::default()
        }
    } else if args.no_keys {
        AwsCredentialSecret::default()
    } else {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the secret from standard input")?;
        if text.trim().is_empty() {
            bail!(
                "no secret value on standard input: pipe a JSON object such as {{\"AccessKeyId\": \"...\", \"SecretAccessKey\": \"...\"}}, or use --from-env, --from-profile NAME or --no-keys"
            );
        }
        // The error names the problem but never echoes the input.
        serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "the secret on standard input is not a JSON object with AccessKeyId, SecretAccessKey, SessionToken, AssumeRole and Endpoint (line {}, column {})",
                e.line(),
                e.column()
            )
        })?
    };
    if args.assume_role.is_some() {
        value.assume_role = args.assume_role.clone();
    }
    if args.endpoint.is_some() {
        value.endpoint = args.endpoint.clone();
    }
    Ok(value)
}
