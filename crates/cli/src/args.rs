//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Change AWS infrastructure safely: model it as components, edit it in change sets,
/// plan, and apply through the AWS Cloud Control API.
#[derive(Debug, Parser)]
#[command(name = "canopy", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Directory holding canopy's database and secret key [default: the user's data
    /// directory, such as ~/.local/share/canopy]
    #[arg(long, global = true, env = "CANOPY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Workspace to work in [default: the one chosen with `canopy workspace use`]
    #[arg(long, global = true, env = "CANOPY_WORKSPACE")]
    pub workspace: Option<String>,

    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,

    /// AWS profile for canopy's own identity, the source identity for AssumeRole
    /// [default: the standard AWS credential chain]
    #[arg(long, global = true, env = "CANOPY_AWS_PROFILE")]
    pub aws_profile: Option<String>,

    /// How many actions an apply runs at once
    #[arg(long, global = true, env = "CANOPY_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// Send each command to the API of a canopy server (`canopy serve`) at this URL,
    /// such as http://127.0.0.1:7070, instead of opening the data directory. The API
    /// token is read from the CANOPY_TOKEN environment variable, never from an
    /// argument. The workspace comes from --workspace or CANOPY_WORKSPACE, because
    /// `canopy workspace use` only chooses a local one. Plain HTTP only, and the
    /// server's own settings apply in place of --data-dir, --aws-profile and
    /// --concurrency.
    #[arg(long, global = true, env = "CANOPY_SERVER", value_name = "URL")]
    pub server: Option<String>,

    /// More log output on standard error (-v info, -vv debug); CANOPY_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, list and choose workspaces; show the workspace token
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Store encrypted secrets such as AWS credentials
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Create, list, abandon and apply change sets
    #[command(subcommand, name = "change-set")]
    ChangeSet(ChangeSetCommand),
    /// Edit and inspect components
    #[command(subcommand)]
    Component(ComponentCommand),
    /// Show the actions applying a change set would run
    Plan {
        /// Change set name (HEAD shows what HEAD still needs)
        change_set: String,
    },
    /// Read every resource of HEAD from AWS and record drift
    Refresh,
    /// List actions and cancel one whose Cloud Control request is still in flight
    #[command(subcommand)]
    Action(ActionCommand),
    /// List the existing resources of a type and import each one not yet owned
    Discover(DiscoverArgs),
    /// Browse the bundled CloudFormation resource schemas
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Run the local AWS endpoint (Cloud Control and STS) on 127.0.0.1
    Emulator(EmulatorArgs),
    /// Run the whole loop against an in-process emulator in a temporary data directory
    Demo(DemoArgs),
    /// Serve the HTTP API over the data directory, on 127.0.0.1 unless --listen names another address
    Serve(ServeArgs),
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace and its token
    Create { name: String },
    /// List workspaces
    List,
    /// Make a workspace the default for later commands
    Use { name: String },
    /// Print the workspace token (the sts:ExternalId for AssumeRole); keep it secret
    Token {
        /// Replace the token with a new one; roles that trust the old one stop working
        #[arg(long)]
        rotate: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Create an AWS Credential secret. Secret values are read from standard input as
    /// a JSON object with AccessKeyId, SecretAccessKey and SessionToken, or from the
    /// environment with --from-env, or from an AWS profile with --from-profile; never
    /// from arguments.
    Create(SecretCreateArgs),
    /// Replace an AWS Credential secret's values, read the same way as for create (for
    /// example new temporary keys after `aws sso login`)
    Update(SecretCreateArgs),
    /// List secrets (names and kinds only; values are never shown)
    List,
}

#[derive(Debug, Args)]
pub struct SecretCreateArgs {
    /// Secret name
    pub name: String,
    /// Role ARN for AssumeRole; canopy's identity (or the secret's keys) assumes it
    /// with sts:ExternalId set to the workspace token
    #[arg(long, value_name = "ROLE_ARN")]
    pub assume_role: Option<String>,
    /// Custom endpoint URL for STS and Cloud Control, such as `canopy emulator`'s
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Read AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the
    /// environment instead of standard input
    #[arg(long, conflicts_with = "from_profile")]
    pub from_env: bool,
    /// Resolve this AWS profile (SSO profiles included) now and store its keys
    #[arg(long, value_name = "PROFILE")]
    pub from_profile: Option<String>,
    /// Store only --assume-role and --endpoint, with no keys: canopy's own identity
    /// is the source identity
    #[arg(long, conflicts_with_all = ["from_env", "from_profile"])]
    pub no_keys: bool,
}

#[derive(Debug, Subcommand)]
pub enum ChangeSetCommand {
    /// Create a change set: a draft over HEAD
    Create { name: String },
    /// List change sets
    List,
    /// Abandon an open change set
    Abandon { name: String },
    /// Merge a change set into HEAD and run its actions
    Apply {
        /// Change set name
        name: String,
        /// Apply even when qualifications fail
        #[arg(long)]
        force: bool,
        /// Only finish what an interrupted apply left in flight, then run what HEAD
        /// still needs (applying does this too)
        #[arg(long)]
        resume: bool,
        /// Seconds to wait for one Cloud Control request before recording its outcome
        /// as unknown [default: the handler's timeoutInMinutes from the schema]
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<u64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ComponentCommand {
    /// Create a component of a resource type, or an AWS Credential or Region
    Create {
        #[arg(long, short = 'c')]
        change_set: String,
        /// A Cloud Control type such as AWS::EC2::VPC, or "AWS Credential", or "Region"
        schema: String,
        name: String,
        /// Initial domain as a JSON object
        #[arg(long, value_name = "JSON")]
        domain: Option<String>,
        /// Region component to use [default: the only one in the change set]
        #[arg(long)]
        region: Option<String>,
        /// AWS Credential component to use [default: the only one in the change set]
        #[arg(long)]
        credential: Option<String>,
    },
    /// Set a domain value: VALUE is JSON, or taken as a string when it is not JSON
    Set {
        #[arg(long, short = 'c')]
        change_set: String,
        name: String,
        /// JSON pointer into the domain, such as /CidrBlock or /Tags/0/Value
        path: String,
        value: String,
    },
    /// Remove a domain value
    Unset {
        #[arg(long, short = 'c')]
        change_set: String,
        name: String,
        path: String,
    },
    /// Make a domain value come from another component's /domain/... or /resource/...
    Subscribe {
        #[arg(long, short = 'c')]
        change_set: String,
        name: String,
        /// JSON pointer into this component's domain, such as /VpcId
        path: String,
        /// The producer component
        #[arg(long)]
        from: String,
        /// The producer's value, such as /resource/VpcId or /domain/CidrBlock
        source_path: String,
    },
    /// Remove a subscription
    Unsubscribe {
        #[arg(long, short = 'c')]
        change_set: String,
        name: String,
        path: String,
    },
    /// Show a component: domain, subscriptions, qualifications, resource and drift
    Show {
        #[arg(long, short = 'c', default_value = "HEAD")]
        change_set: String,
        name: String,
    },
    /// List components
    List {
        #[arg(long, short = 'c', default_value = "HEAD")]
        change_set: String,
    },
    /// Import an existing resource: read it from AWS into a new component that owns it
    Import {
        #[arg(long, short = 'c')]
        change_set: String,
        /// A Cloud Control type such as AWS::S3::Bucket
        type_name: String,
        name: String,
        /// The primary identifier: parts joined with | in schema order, or a JSON object
        /// of the parts (`canopy schema show TYPE` shows the shape)
        identifier: String,
        /// Region component to use [default: the only one in the change set]
        #[arg(long)]
        region: Option<String>,
        /// AWS Credential component to use [default: the only one in the change set]
        #[arg(long)]
        credential: Option<String>,
    },
    /// Delete a component; applying the change set deletes its resource
    Delete {
        #[arg(long, short = 'c')]
        change_set: String,
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// A Cloud Control type such as AWS::S3::Bucket
    pub type_name: String,
    #[arg(long, short = 'c')]
    pub change_set: String,
    /// Region component to use [default: the only one in the change set]
    #[arg(long)]
    pub region: Option<String>,
    /// AWS Credential component to use [default: the only one in the change set]
    #[arg(long)]
    pub credential: Option<String>,
    /// Resource model for ListResources as a JSON object: the parent a child type
    /// needs, such as '{"ClusterName": "prod"}' for AWS::EKS::Nodegroup
    #[arg(long, value_name = "JSON")]
    pub model: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// List the workspace's actions, oldest first
    List {
        /// Only actions in this state: queued, running, succeeded, failed, skipped or unknown
        #[arg(long)]
        state: Option<String>,
    },
    /// Ask Cloud Control to cancel the request of a running or unknown action; the next
    /// apply records it as failed
    Cancel {
        /// Action id, from `canopy action list`
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// List resource types
    List {
        /// Only types whose name or description contains TEXT
        #[arg(long)]
        search: Option<String>,
    },
    /// Show a type's properties with required, create-only, read-only and write-only marks
    Show { type_name: String },
}

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Configuration file (TOML); see --example-config
    #[arg(long, env = "CANOPY_EMULATOR_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on; only loopback addresses are accepted
    #[arg(long, default_value = "127.0.0.1:4566")]
    pub listen: std::net::SocketAddr,
    /// Milliseconds from accepting a resource request to its result (overrides the file)
    #[arg(long)]
    pub request_delay_ms: Option<u64>,
    /// Return reads the way AWS does: defaults added, arrays reordered, JSON reformatted
    #[arg(long)]
    pub realistic: bool,
    /// Print a commented example configuration and exit
    #[arg(long)]
    pub example_config: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; an address other than loopback serves plain HTTP to the
    /// network, so put a TLS proxy in front of it
    #[arg(long, env = "CANOPY_LISTEN", default_value = "127.0.0.1:7070")]
    pub listen: std::net::SocketAddr,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo's data directory here instead of a temporary one
    #[arg(long)]
    pub keep: Option<PathBuf>,
}
