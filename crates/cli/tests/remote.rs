//! The CLI with `--server`: `canopy serve` runs as a child process over its own data
//! directory, and the CLI, with an empty data directory of its own, sends every command
//! to it with the administrator token in CANOPY_TOKEN.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use canopy_emulator::CUSTOMER_ADMIN_SECRET_ACCESS_KEY;
use common::{Fixture, Output, customer_keys};
use serde_json::json;
use tempfile::TempDir;

const VPC: &str = "AWS::EC2::VPC";
const SUBNET: &str = "AWS::EC2::Subnet";

/// A `canopy serve` child process, killed on drop.
struct Server {
    child: Child,
    url: String,
    admin_token: String,
    /// The server's standard error after its login URL, for failure messages.
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `canopy serve` on a free port of 127.0.0.1 over a data directory of its own,
/// and reads its URL and administrator token from the login URL it prints.
fn start_server(fixture: &Fixture, data_dir: &std::path::Path) -> Server {
    let mut command = fixture.command(&["serve", "--listen", "127.0.0.1:0"], true);
    command
        .env("CANOPY_DATA_DIR", data_dir)
        .env_remove("CANOPY_SERVER")
        .env_remove("CANOPY_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("canopy serve starts");
    let stderr = child.stderr.take().expect("piped stderr");
    let (sender, receiver) = std::sync::mpsc::channel();
    let log = Arc::new(Mutex::new(String::new()));
    let log_writer = Arc::clone(&log);
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent
                && let Some((_, rest)) = line.split_once("http://")
                && let Some((address, token)) = rest.split_once("/login#token=")
            {
                let _ = sender.send((format!("http://{address}"), token.trim().to_string()));
                sent = true;
                continue;
            }
            log_writer.lock().unwrap().push_str(&format!("{line}\n"));
        }
    });
    let (url, admin_token) = receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("canopy serve prints its login URL within 60 seconds");
    Server {
        child,
        url,
        admin_token,
        log,
    }
}

/// The CLI pointed at a server, with an empty data directory that must stay unused.
struct Client<'a> {
    fixture: &'a Fixture,
    server: &'a Server,
    data_dir: PathBuf,
    runs: Mutex<Vec<(String, Output)>>,
}

impl Client<'_> {
    /// Runs `canopy ARGS` with CANOPY_SERVER, CANOPY_WORKSPACE=main and `token` (none
    /// when `None`), and `stdin` on standard input.
    fn run_with(&self, args: &[&str], token: Option<&str>, stdin: Option<&str>) -> Output {
        let mut command = self.fixture.command(args, false);
        command
            .env("CANOPY_DATA_DIR", &self.data_dir)
            .env("CANOPY_SERVER", &self.server.url)
            .env("CANOPY_WORKSPACE", "main")
            .env_remove("CANOPY_TOKEN")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(token) = token {
            command.env("CANOPY_TOKEN", token);
        }
        let mut child = command.spawn().expect("canopy starts");
        if let Some(text) = stdin {
            use std::io::Write;
            let mut pipe = child.stdin.take().expect("piped stdin");
            pipe.write_all(text.as_bytes()).expect("stdin is written");
        }
        let output = child.wait_with_output().expect("canopy runs");
        let output = Output {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code().unwrap_or(-1),
        };
        self.runs
            .lock()
            .unwrap()
            .push((args.join(" "), output.clone()));
        output
    }

    fn canopy(&self, args: &[&str]) -> Output {
        self.run_with(args, Some(&self.server.admin_token), None)
    }

    fn ok(&self, args: &[&str]) -> Output {
        let output = self.canopy(args);
        assert_eq!(
            output.code,
            0,
            "`canopy {}` failed:\n{}\nserver log:\n{}",
            args.join(" "),
            output.all(),
            self.server.log.lock().unwrap()
        );
        output
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_mode_full_loop() {
    let fixture = Fixture::start(Duration::from_millis(20)).await;
    let server_dir = TempDir::new().expect("a temporary directory");
    let client_dir = TempDir::new().expect("a temporary directory");
    let server = start_server(&fixture, server_dir.path());
    let client = Client {
        fixture: &fixture,
        server: &server,
        data_dir: client_dir.path().join("data"),
        runs: Mutex::new(Vec::new()),
    };

    // Workspace, token and secret.
    let created = client.ok(&["workspace", "create", "main"]);
    assert!(
        created.stdout.starts_with("created workspace main ("),
        "{}",
        created.stdout
    );
    let listed = client.ok(&["workspace", "list"]).stdout;
    assert!(
        listed.starts_with("* main  "),
        "the chosen workspace should be marked:\n{listed}"
    );
    let token = client.ok(&["workspace", "token"]).stdout.trim().to_string();
    assert!(!token.is_empty(), "workspace token should be printed");
    let rotated = client
        .ok(&["workspace", "token", "--rotate", "--output", "json"])
        .json();
    assert_eq!(rotated["workspace"], "main");
    assert_ne!(
        rotated["token"],
        token.as_str(),
        "--rotate should print a new token"
    );
    let secret = client.run_with(
        &["secret", "create", "customer"],
        Some(&server.admin_token),
        Some(&customer_keys(&fixture.endpoint()).to_string()),
    );
    assert_eq!(secret.code, 0, "secret create failed:\n{}", secret.all());
    assert_eq!(
        secret.stdout.trim(),
        "created secret customer (AWS Credential)"
    );
    let secrets = client.ok(&["secret", "list", "--output", "json"]).json();
    assert_eq!(secrets[0]["name"], "customer");

    // A change set with credential, region, VPC and a subnet subscribed to the VPC.
    client.ok(&["change-set", "create", "network"]);
    let credential = json!({"Secret": "customer"}).to_string();
    client.ok(&[
        "component",
        "create",
        "-c",
        "network",
        "AWS Credential",
        "aws",
        "--domain",
        &credential,
    ]);
    let region = json!({"Region": common::REGION}).to_string();
    client.ok(&[
        "component",
        "create",
        "-c",
        "network",
        "Region",
        "region",
        "--domain",
        &region,
    ]);
    let vpc = json!({"CidrBlock": "10.0.0.0/16"}).to_string();
    client.ok(&[
        "component",
        "create",
        "-c",
        "network",
        VPC,
        "vpc",
        "--domain",
        &vpc,
    ]);
    client.ok(&["component", "create", "-c", "network", SUBNET, "subnet"]);
    client.ok(&[
        "component",
        "set",
        "-c",
        "network",
        "subnet",
        "/CidrBlock",
        "10.0.1.0/24",
    ]);
    client.ok(&[
        "component",
        "set",
        "-c",
        "network",
        "subnet",
        "/MapPublicIpOnLaunch",
        "true",
    ]);
    client.ok(&[
        "component",
        "unset",
        "-c",
        "network",
        "subnet",
        "/MapPublicIpOnLaunch",
    ]);
    let subscribed = client.ok(&[
        "component",
        "subscribe",
        "-c",
        "network",
        "subnet",
        "/VpcId",
        "--from",
        "vpc",
        "/resource/VpcId",
    ]);
    assert!(
        subscribed.stdout.contains("/VpcId <- vpc/resource/VpcId"),
        "{}",
        subscribed.stdout
    );
    let listed = client.ok(&["component", "list", "-c", "network"]).stdout;
    assert_eq!(
        listed.lines().count(),
        4,
        "four components expected:\n{listed}"
    );

    let plan = client.ok(&["plan", "network"]).stdout;
    assert!(plan.contains("+ create vpc (AWS::EC2::VPC)"), "{plan}");
    assert!(plan.contains("Plan: 2 to create"), "{plan}");
    let plan_json = client.ok(&["plan", "network", "--output", "json"]).json();
    assert_eq!(plan_json["actions"].as_array().map(Vec::len), Some(2));

    // Apply, then the recorded identifiers and the emulator's resources.
    let applied = client.ok(&["change-set", "apply", "network"]);
    assert!(
        applied
            .stdout
            .contains("Applied network: 2 action(s) succeeded."),
        "{}",
        applied.all()
    );
    let (vpc_id, _) = fixture.only(VPC);
    let (subnet_id, subnet) = fixture.only(SUBNET);
    assert_eq!(
        subnet["VpcId"],
        vpc_id.as_str(),
        "the subnet should be in the VPC"
    );
    let shown = client
        .ok(&["component", "show", "-c", "HEAD", "vpc", "--output", "json"])
        .json();
    assert_eq!(shown["resource"]["identifier"], vpc_id.as_str());
    let shown = client
        .ok(&[
            "component",
            "show",
            "-c",
            "HEAD",
            "subnet",
            "--output",
            "json",
        ])
        .json();
    assert_eq!(shown["resource"]["identifier"], subnet_id.as_str());
    let change_sets = client.ok(&["change-set", "list"]).stdout;
    assert!(
        change_sets
            .lines()
            .any(|l| l.starts_with("network") && l.ends_with("applied")),
        "{change_sets}"
    );
    let refreshed = client.ok(&["refresh"]).stdout;
    assert!(
        refreshed.contains(&format!("vpc {vpc_id} ok")),
        "{refreshed}"
    );

    // Two change sets that set the same property: the second apply conflicts.
    client.ok(&["change-set", "create", "first"]);
    client.ok(&["change-set", "create", "second"]);
    client.ok(&[
        "component",
        "set",
        "-c",
        "first",
        "vpc",
        "/EnableDnsSupport",
        "true",
    ]);
    client.ok(&[
        "component",
        "set",
        "-c",
        "second",
        "vpc",
        "/EnableDnsSupport",
        "false",
    ]);
    client.ok(&["change-set", "apply", "first"]);
    let conflict = client.canopy(&["change-set", "apply", "second"]);
    assert_eq!(
        conflict.code,
        4,
        "a conflicting apply should exit 4:\n{}",
        conflict.all()
    );
    assert!(
        conflict.stderr.contains("/domain/EnableDnsSupport"),
        "{}",
        conflict.stderr
    );
    client.ok(&["change-set", "abandon", "second"]);
    let again = client.canopy(&["change-set", "apply", "first"]);
    assert_eq!(
        again.code,
        1,
        "an applied change set should be reported:\n{}",
        again.all()
    );
    assert!(again.stderr.contains("already applied"), "{}", again.stderr);

    // Component delete, with its resource deleted by the apply.
    client.ok(&["change-set", "create", "teardown"]);
    let deleted = client.ok(&["component", "delete", "-c", "teardown", "subnet"]);
    assert_eq!(
        deleted.stdout.trim(),
        "deleted component subnet from change set teardown"
    );
    client.ok(&["change-set", "apply", "teardown"]);
    assert!(
        fixture.identifiers(SUBNET).is_empty(),
        "the subnet should be deleted"
    );

    // Token errors.
    let missing = client.run_with(&["workspace", "list"], None, None);
    assert_eq!(missing.code, 1, "{}", missing.all());
    assert!(
        missing.stderr.contains("CANOPY_TOKEN is not set"),
        "{}",
        missing.stderr
    );
    let wrong = client.run_with(&["workspace", "list"], Some("cnpt_not-a-real-token"), None);
    assert_eq!(wrong.code, 1, "{}", wrong.all());
    assert!(
        wrong.stderr.contains("rejected the token in CANOPY_TOKEN"),
        "{}",
        wrong.stderr
    );
    assert!(
        !wrong.all().contains("cnpt_not-a-real-token"),
        "the wrong token must not be printed"
    );

    let actions = client.canopy(&["action", "list"]);
    assert_eq!(actions.code, 0, "{}", actions.all());
    assert!(actions.stdout.contains("succeeded"), "{}", actions.stdout);
    let created = client.canopy(&["change-set", "create", "adopt"]);
    assert_eq!(created.code, 0, "{}", created.all());
    let discovered = client.canopy(&["discover", "AWS::S3::Bucket", "-c", "adopt"]);
    assert_eq!(discovered.code, 0, "{}", discovered.all());
    assert!(discovered.stdout.contains("found"), "{}", discovered.stdout);

    let unsupported = client.canopy(&["secret", "update", "customer", "--no-keys"]);
    assert_eq!(unsupported.code, 1);
    assert!(
        unsupported.stderr.contains("does not support --server"),
        "{}",
        unsupported.stderr
    );

    // Nothing leaks, and the client never opened a data directory of its own.
    for (args, output) in client.runs.lock().unwrap().iter() {
        assert!(
            !output.all().contains(&server.admin_token),
            "`canopy {args}` printed the API token"
        );
        assert!(
            !output.all().contains(CUSTOMER_ADMIN_SECRET_ACCESS_KEY),
            "`canopy {args}` printed the secret key"
        );
    }
    assert!(
        !client.data_dir.exists(),
        "--server must not create a local data directory"
    );
}
