//! Timings of canopy at workspace scale, printed as plain text.
//!
//! Run with `cargo bench -p canopy-engine --bench plan`. The inputs:
//!
//! - plan: 10,000 components in HEAD, 2,000 `AWS::EC2::VPC` and 8,000
//!   `AWS::EC2::Subnet`, each subnet subscribing its `/VpcId` to the `/resource/VpcId`
//!   of one VPC, every component with a recorded resource that matches it, so the plan
//!   is empty. Timed through `Engine::plan` over a SQLite store, and as the core diff
//!   alone over the same 10,000 desired and remote models.
//! - validate: the same 10,000 desired models against their compiled schemas.
//! - load: unpacking the schema bundle and compiling the validator of every type.
//!
//! Each timing is the median of its runs. `CANOPY_BENCH_RUNS` sets the number of runs
//! (default 5).

use std::time::{Duration, Instant};

use canopy_core::{DiffInput, diff_resource};
use canopy_engine::{AWS_CREDENTIAL, Engine, EngineConfig, REGION};
use canopy_schema::Registry;
use canopy_store::{
    ChangeSetId, Component, ComponentId, ComponentSnapshot, Resource, Store, Workspace,
};
use serde_json::{Value, json};

const VPCS: usize = 2_000;
const SUBNETS_PER_VPC: usize = 4;
const BUNDLE: &[u8] = include_bytes!("../../schema/bundle/schemas.tar.zst");

fn main() {
    let runs: usize = std::env::var("CANOPY_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(runs));
}

async fn run(runs: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open_dir(&dir.path().join("data"))
        .await
        .expect("the store opens");
    let (workspace, _) = store
        .create_workspace("bench")
        .await
        .expect("the workspace");
    let head = store.head(&workspace.id).await.expect("HEAD");
    let started = Instant::now();
    let models = populate(&store, &workspace, &head.id).await;
    println!(
        "setup: {} components written in {:?}",
        models.len() + 2,
        started.elapsed()
    );

    let engine = Engine::new(store, EngineConfig::default());
    let plan = engine.plan("bench", "HEAD").await.expect("the plan");
    assert!(
        plan.actions.is_empty(),
        "the plan should be empty: {:?}",
        plan.actions.first()
    );
    assert_eq!(plan.unchanged.len(), models.len());
    report(
        "plan through the engine, 10,000 components",
        runs,
        || async {
            engine.plan("bench", "HEAD").await.expect("the plan");
        },
    )
    .await;

    let registry = Registry::bundled();
    let vpc = registry.get("AWS::EC2::VPC").expect("the VPC schema");
    let subnet = registry.get("AWS::EC2::Subnet").expect("the subnet schema");
    let schema_of = |type_name: &str| {
        if type_name == "AWS::EC2::VPC" {
            &vpc
        } else {
            &subnet
        }
    };
    report("core diff alone, 10,000 resources", runs, || async {
        for (type_name, desired, remote) in &models {
            let diff = diff_resource(&DiffInput {
                schema: schema_of(type_name),
                desired,
                remote,
                last_applied: Some(desired),
            });
            assert!(diff.patch.is_empty());
        }
    })
    .await;

    report("validate 10,000 desired models", runs, || async {
        for (type_name, desired, _) in &models {
            assert!(schema_of(type_name).validate(desired).is_empty());
        }
    })
    .await;

    report(
        "unpack the bundle and compile every validator",
        runs.min(3),
        || async {
            let registry = Registry::from_compressed(BUNDLE).expect("the bundle unpacks");
            let mut compiled = 0;
            for summary in registry.summaries() {
                let schema = registry.get(&summary.type_name).expect("the schema parses");
                if schema.compile().is_ok() {
                    compiled += 1;
                }
            }
            assert!(compiled > 1_800, "only {compiled} validators compiled");
        },
    )
    .await;
}

/// Times `runs` runs of `task` and prints the median, minimum and maximum.
async fn report<F, Fut>(name: &str, runs: usize, task: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        task().await;
        times.push(started.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{name}: median {median:?} (min {:?}, max {:?}, {} runs)",
        times[0],
        times[times.len() - 1],
        times.len()
    );
}

/// Writes the region, the credential, the VPCs and the subnets into HEAD with their
/// resources, and returns each resource component's (type, desired, remote) models.
async fn populate(
    store: &Store,
    workspace: &Workspace,
    head: &ChangeSetId,
) -> Vec<(String, Value, Value)> {
    let region = component(
        head,
        "region",
        REGION,
        json!({"Region": "us-east-1"}),
        None,
        None,
    );
    let credential = component(
        head,
        "aws",
        AWS_CREDENTIAL,
        json!({"Secret": "unused"}),
        None,
        None,
    );
    store.insert_component(&region).await.expect("the region");
    store
        .insert_component(&credential)
        .await
        .expect("the credential");
    let links = Some((region.id.clone(), credential.id.clone()));

    let mut models = Vec::new();
    for v in 0..VPCS {
        let vpc_id = format!("vpc-{v:017x}");
        let desired = json!({"CidrBlock": "10.0.0.0/16", "Tags": [{"Key": "Name", "Value": format!("vpc-{v}")}]});
        let mut remote = desired.clone();
        remote["VpcId"] = json!(vpc_id);
        remote["EnableDnsSupport"] = json!(true);
        remote["InstanceTenancy"] = json!("default");
        let vpc = component(
            head,
            &format!("vpc-{v}"),
            "AWS::EC2::VPC",
            desired.clone(),
            None,
            links.clone(),
        );
        store.insert_component(&vpc).await.expect("a VPC");
        store
            .put_resource(&resource(workspace, &vpc, &vpc_id, &remote, &desired))
            .await
            .expect("a resource");
        models.push(("AWS::EC2::VPC".to_string(), desired, remote));

        for s in 0..SUBNETS_PER_VPC {
            let cidr = format!("10.0.{s}.0/24");
            let domain = json!({"CidrBlock": cidr, "AvailabilityZone": "us-east-1a"});
            let subscription = json!([{"path": "/VpcId", "source": format!("vpc-{v}"), "source_path": "/resource/VpcId"}]);
            let name = format!("subnet-{v}-{s}");
            let subnet = component(
                head,
                &name,
                "AWS::EC2::Subnet",
                domain.clone(),
                Some(subscription),
                links.clone(),
            );
            let mut desired = domain;
            desired["VpcId"] = json!(vpc_id);
            let mut remote = desired.clone();
            remote["SubnetId"] = json!(format!("subnet-{v:08x}{s:09x}"));
            remote["MapPublicIpOnLaunch"] = json!(false);
            store.insert_component(&subnet).await.expect("a subnet");
            let identifier = remote["SubnetId"].as_str().expect("an id").to_string();
            store
                .put_resource(&resource(
                    workspace,
                    &subnet,
                    &identifier,
                    &remote,
                    &desired,
                ))
                .await
                .expect("a resource");
            models.push(("AWS::EC2::Subnet".to_string(), desired, remote));
        }
    }
    models
}

fn component(
    change_set: &ChangeSetId,
    name: &str,
    schema: &str,
    domain: Value,
    subscriptions: Option<Value>,
    links: Option<(ComponentId, ComponentId)>,
) -> Component {
    let (region_id, credential_id) = links.unzip();
    Component {
        id: ComponentId::new(),
        change_set_id: change_set.clone(),
        snapshot: ComponentSnapshot {
            name: name.to_string(),
            schema: schema.to_string(),
            domain,
            subscriptions: subscriptions.unwrap_or_else(|| json!([])),
            region_id,
            credential_id,
        },
        deleted: false,
        base: None,
        updated_at: String::new(),
    }
}

fn resource(
    workspace: &Workspace,
    component: &Component,
    identifier: &str,
    remote: &Value,
    applied: &Value,
) -> Resource {
    Resource {
        workspace_id: workspace.id.clone(),
        component_id: component.id.clone(),
        type_name: component.snapshot.schema.clone(),
        region: "us-east-1".to_string(),
        identifier: Some(identifier.to_string()),
        status: "ok".to_string(),
        properties: Some(remote.clone()),
        last_applied: Some(applied.clone()),
        message: None,
        refreshed_at: None,
        updated_at: String::new(),
    }
}
