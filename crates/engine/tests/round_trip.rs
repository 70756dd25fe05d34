//! The all-types round trip: every bundled type with a create handler goes through
//! canopy's engine against the emulator in realistic mode, which returns reads the way
//! AWS does (defaults added, unordered arrays reordered, JSON reformatted).
//!
//! Each type is created from its sample model, read back, planned (the plan must be
//! empty), updated on one updatable property (the patch must touch that path only, and
//! the next plan must be empty), changed on one create-only property (the plan must plan
//! a replacement), and deleted. The test prints how many types pass each step and fails when
//! a type fails a step without an entry in [`KNOWN_FAILURES`].
//!
//! `CANOPY_ROUND_TRIP_LIMIT=N` runs only the first N types, for quick iterations.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use canopy_aws::credentials::{AwsCredentialSecret, OwnIdentity};
use canopy_emulator::{
    CUSTOMER_ACCOUNT_ID, CUSTOMER_ADMIN_ACCESS_KEY_ID, CUSTOMER_ADMIN_SECRET_ACCESS_KEY,
    EmulatorConfig, EmulatorHandle, RunningEmulator,
};
use canopy_engine::{ActionKind, ApplyOptions, Engine, EngineConfig, NewComponent, Plan};
use canopy_schema::{
    Registry, ResourceSchema, Segment, parse_pointer, sample_model, sample_property,
};
use canopy_store::Store;
use serde_json::{Value, json};

/// Workspaces the types are spread over. An edit reads every component of its change
/// set, so smaller workspaces keep the test fast.
const SHARDS: usize = 8;
const REGION: &str = "us-east-1";

/// Steps in the order a type goes through them.
const STEPS: &[&str] = &[
    "sample", "create", "read", "plan", "update", "replace", "delete",
];

/// Types that fail a step for a reason outside canopy's engine, with the reason:
/// (type name, step, reason).
const KNOWN_FAILURES: &[(&str, &str, &str)] = &[
    (
        "AWS::BillingConductor::BillingGroup",
        "sample",
        "the generator takes the first oneOf alternative of AccountGrouping, which the \
         required ComputationPreference rules out",
    ),
    (
        "AWS::Lambda::ResourcePolicy",
        "sample",
        "ResourceArn must match one of several ARN patterns and the generator builds a \
         string from the first alternative's pattern only",
    ),
];

/// The outcome of the steps of one type; a missing step was not run.
#[derive(Default)]
struct Outcome {
    failures: BTreeMap<&'static str, String>,
    passed: BTreeSet<&'static str>,
    /// Types without an updatable or create-only property skip those steps.
    skipped: BTreeSet<&'static str>,
}

impl Outcome {
    fn pass(&mut self, step: &'static str) {
        self.passed.insert(step);
    }

    fn fail(&mut self, step: &'static str, message: impl Into<String>) {
        self.failures.entry(step).or_insert_with(|| message.into());
    }

    fn failed(&self) -> bool {
        !self.failures.is_empty()
    }
}

struct Fixture {
    emulator: RunningEmulator,
    engine: Engine,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn start() -> Fixture {
        let config = EmulatorConfig::default()
            .with_request_delay(Duration::ZERO)
            .with_realistic(true);
        let addr = "127.0.0.1:0".parse().expect("a loopback address");
        let emulator = canopy_emulator::start(config, addr)
            .await
            .expect("the emulator starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open_dir(&dir.path().join("data"))
            .await
            .expect("the store opens");
        let engine = Engine::new(
            store,
            EngineConfig {
                own_identity: OwnIdentity::default(),
                concurrency: 16,
                request_timeout: Some(Duration::from_secs(10)),
                retry_delay: Duration::from_millis(10),
            },
        );
        Fixture {
            emulator,
            engine,
            _dir: dir,
        }
    }

    /// Creates a workspace with the secret `customer`: the customer account's static
    /// keys and the emulator's endpoint.
    async fn shard(&self, index: usize) -> Shard {
        let workspace = format!("shard-{index}");
        self.engine
            .store()
            .create_workspace(&workspace)
            .await
            .expect("the workspace is created");
        let keys = AwsCredentialSecret {
            access_key_id: Some(CUSTOMER_ADMIN_ACCESS_KEY_ID.into()),
            secret_access_key: Some(CUSTOMER_ADMIN_SECRET_ACCESS_KEY.into()),
            endpoint: Some(self.emulator.endpoint()),
            ..Default::default()
        };
        self.engine
            .create_aws_secret(&workspace, "customer", &keys)
            .await
            .expect("the secret is stored");
        Shard {
            engine: self.engine.clone(),
            workspace,
            handle: self.emulator.state(),
        }
    }
}

/// One workspace and the types it round-trips.
struct Shard {
    engine: Engine,
    workspace: String,
    handle: EmulatorHandle,
}

impl Shard {
    async fn change_set(&self, name: &str) {
        let workspace = self
            .engine
            .store()
            .get_workspace(&self.workspace)
            .await
            .expect("the workspace");
        self.engine
            .store()
            .create_change_set(&workspace.id, name)
            .await
            .expect("the change set is created");
    }

    async fn component(
        &self,
        change_set: &str,
        schema: &str,
        name: &str,
        domain: Value,
    ) -> Result<(), String> {
        let new = NewComponent {
            schema: schema.to_string(),
            name: name.to_string(),
            domain,
            region: None,
            credential: None,
        };
        self.engine
            .create_component(&self.workspace, change_set, new)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn apply(&self, change_set: &str) -> canopy_engine::ApplyReport {
        self.engine
            .apply(&self.workspace, change_set, &ApplyOptions { force: true })
            .await
            .unwrap_or_else(|e| panic!("applying {change_set} failed to run: {e}"))
    }

    async fn plan(&self, change_set: &str) -> Plan {
        self.engine
            .plan(&self.workspace, change_set)
            .await
            .unwrap_or_else(|e| panic!("planning {change_set} failed: {e}"))
    }
}

/// Lists the types with create, read and delete handlers that are available in the region.
fn round_trip_types(registry: &Registry) -> Vec<String> {
    let limit = std::env::var("CANOPY_ROUND_TRIP_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok());
    registry
        .summaries()
        .iter()
        .filter(|summary| {
            ["create", "read", "delete"]
                .iter()
                .all(|h| summary.handlers.iter().any(|x| x == h))
        })
        .filter(|summary| {
            registry
                .is_available(&summary.type_name, REGION)
                .unwrap_or(false)
        })
        .map(|summary| summary.type_name.clone())
        .take(limit.unwrap_or(usize::MAX))
        .collect()
}

/// Returns true for a top-level property that a caller may set: not read-only, not write-only, and not
/// deprecated. Write-only values are never read back, so a change to one is not visible.
fn settable(schema: &ResourceSchema, name: &str) -> bool {
    let path = [Segment::key(name)];
    !schema.is_read_only(&path)
        && !schema.is_write_only(&path)
        && !schema.has_write_only_below(&path)
        && !schema.deprecated.iter().any(|p| p.matches(&path))
}

/// Lists values to try for a property, the generated one first, then variants of it.
fn candidates(schema: &ResourceSchema, name: &str, current: Option<&Value>) -> Vec<Value> {
    let path = [Segment::key(name)];
    let mut values = Vec::new();
    if let Some(generated) = sample_property(schema, &path) {
        values.push(generated);
    }
    let subschema = schema.property(&path).cloned().unwrap_or(Value::Null);
    if let Some(options) = subschema.get("enum").and_then(Value::as_array) {
        values.extend(options.iter().cloned());
    }
    let base = current.cloned().or_else(|| values.first().cloned());
    match base {
        Some(Value::Bool(flag)) => values.extend([json!(!flag), json!(flag)]),
        Some(Value::Number(number)) => {
            if let Some(n) = number.as_i64() {
                values.extend([json!(n + 1), json!(n - 1), json!(n * 2)]);
            } else if let Some(f) = number.as_f64() {
                values.extend([json!(f + 1.0), json!(f / 2.0)]);
            }
        }
        Some(Value::String(text)) => {
            let mut chars: Vec<char> = text.chars().collect();
            if let Some(last) = chars.last_mut() {
                *last = if *last == 'a' { 'b' } else { 'a' };
            }
            values.push(Value::String(chars.into_iter().collect()));
            values.push(Value::String(format!("{text}1")));
            values.push(Value::String(format!("{text}a")));
            values.push(Value::String(text.to_uppercase()));
        }
        Some(Value::Array(items)) if !items.is_empty() => {
            values.push(Value::Array(items[..1].to_vec()));
        }
        _ => {}
    }
    values
}

/// Picks a property and a new value for it that keep the model valid and differ from
/// what the resource reads back. `create_only` chooses between the two kinds.
fn pick_change(
    schema: &ResourceSchema,
    desired: &Value,
    remote: &Value,
    create_only: bool,
) -> Option<(String, Value)> {
    let root = schema.resolve(&schema.document)?;
    let properties = root.get("properties")?.as_object()?;
    let identifier: Vec<String> = schema.primary_identifier_names();
    for name in properties.keys() {
        let path = [Segment::key(name.as_str())];
        if !settable(schema, name) || schema.is_conditional_create_only(&path) {
            continue;
        }
        if schema.is_create_only(&path) != create_only
            || schema.has_create_only_below(&path) && !create_only
        {
            continue;
        }
        // Changing a user-given primary identifier of an update would be a rename.
        if !create_only && identifier.contains(name) {
            continue;
        }
        let current = desired.get(name);
        let read = remote.get(name);
        for value in candidates(schema, name, current.or(read)) {
            if Some(&value) == current || Some(&value) == read || value.is_null() {
                continue;
            }
            // canopy compares `null`, `[]`, `{}` and objects of them with an absent
            // value, so setting one changes nothing.
            if is_empty_like(&value) {
                continue;
            }
            let mut changed = desired.clone();
            changed[name.as_str()] = value.clone();
            if schema.validate(&changed).is_empty() {
                return Some((name.clone(), value));
            }
        }
    }
    None
}

/// Returns the models last read from Cloud Control, by component name.
async fn recorded_models(shard: &Shard) -> BTreeMap<String, Value> {
    let store = shard.engine.store();
    let workspace = store
        .get_workspace(&shard.workspace)
        .await
        .expect("the workspace");
    let head = store.head(&workspace.id).await.expect("HEAD");
    let names: BTreeMap<_, _> = store
        .list_components(&head.id)
        .await
        .expect("HEAD's components")
        .into_iter()
        .map(|c| (c.id.clone(), c.snapshot.name.clone()))
        .collect();
    store
        .list_resources(&workspace.id)
        .await
        .expect("the resources")
        .into_iter()
        .filter_map(|r| Some((names.get(&r.component_id)?.clone(), r.properties?)))
        .collect()
}

fn is_empty_like(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().all(is_empty_like),
        Value::Object(object) => object.values().all(is_empty_like),
        _ => false,
    }
}

fn component_name(type_name: &str) -> String {
    type_name.replace("::", "-")
}

/// Indexes the actions of a plan by component name.
fn actions_by_component(plan: &Plan) -> BTreeMap<String, &canopy_engine::PlannedAction> {
    plan.actions
        .iter()
        .map(|a| (a.component.clone(), a))
        .collect()
}

/// Runs every step for the types of one shard and returns their outcomes.
async fn round_trip(shard: Shard, types: Vec<String>) -> BTreeMap<String, Outcome> {
    let started = Instant::now();
    let registry = Registry::bundled();
    let mut outcomes: BTreeMap<String, Outcome> = types
        .iter()
        .map(|t| (t.clone(), Outcome::default()))
        .collect();
    let mut desired: BTreeMap<String, Value> = BTreeMap::new();

    // Create: one change set with every type of the shard.
    shard.change_set("create").await;
    shard
        .component(
            "create",
            "AWS Credential",
            "aws",
            json!({"Secret": "customer"}),
        )
        .await
        .expect("aws");
    shard
        .component("create", "Region", "region", json!({"Region": REGION}))
        .await
        .expect("region");
    for type_name in &types {
        let outcome = outcomes.get_mut(type_name).expect("an outcome");
        let schema = registry.get(type_name).expect("the schema");
        let sample = sample_model(&schema);
        let issues = schema.validate(&sample);
        if let Some(issue) = issues.first() {
            outcome.fail(
                "sample",
                format!("invalid sample {sample}: {}: {}", issue.path, issue.message),
            );
            continue;
        }
        outcome.pass("sample");
        match shard
            .component(
                "create",
                type_name,
                &component_name(type_name),
                sample.clone(),
            )
            .await
        {
            Ok(()) => {
                desired.insert(type_name.clone(), sample);
            }
            Err(error) => outcome.fail("create", error),
        }
    }
    println!(
        "{}: components created in {:?}",
        shard.workspace,
        started.elapsed()
    );
    let created_at = Instant::now();
    let report = shard.apply("create").await;
    println!(
        "{}: {} creates applied in {:?}",
        shard.workspace,
        report.actions.len(),
        created_at.elapsed()
    );
    let by_component: BTreeMap<String, &canopy_engine::ActionOutcome> = report
        .actions
        .iter()
        .map(|a| (a.component.clone(), a))
        .collect();
    for type_name in desired.keys() {
        let outcome = outcomes.get_mut(type_name).expect("an outcome");
        match by_component.get(&component_name(type_name)) {
            Some(action) if action.succeeded() => outcome.pass("create"),
            Some(action) => outcome.fail("create", action.message.clone().unwrap_or_default()),
            None => outcome.fail("create", "no create action was planned"),
        }
    }

    // Read back: apply reads each created resource with GetResource and records it.
    let remote = recorded_models(&shard).await;
    for (type_name, outcome) in outcomes.iter_mut().filter(|(_, o)| !o.failed()) {
        match remote.get(&component_name(type_name)) {
            Some(_) => outcome.pass("read"),
            None => outcome.fail("read", "no model was read back after the create"),
        }
    }

    // The second plan: nothing to do.
    let plan = shard.plan("HEAD").await;
    println!("{}: planned at {:?}", shard.workspace, started.elapsed());
    let actions = actions_by_component(&plan);
    for (type_name, outcome) in outcomes.iter_mut().filter(|(_, o)| !o.failed()) {
        match actions.get(&component_name(type_name)) {
            None => outcome.pass("plan"),
            Some(action) => outcome.fail(
                "plan",
                format!("{} after apply: {:?}", action.kind.as_str(), action.changes),
            ),
        }
    }

    // Update one updatable property of each type.
    shard.change_set("update").await;
    let mut updated: BTreeMap<String, String> = BTreeMap::new();
    for (type_name, outcome) in outcomes.iter_mut().filter(|(_, o)| !o.failed()) {
        let schema = registry.get(type_name).expect("the schema");
        let name = component_name(type_name);
        let has_update = schema.handlers.update.is_some();
        let change = has_update
            .then(|| pick_change(&schema, &desired[type_name], &remote[&name], false))
            .flatten();
        let Some((property, value)) = change else {
            outcome.skipped.insert("update");
            continue;
        };
        let pointer = format!("/{property}");
        match shard
            .engine
            .set_property(&shard.workspace, "update", &name, &pointer, value.clone())
            .await
        {
            Ok(_) => {
                updated.insert(type_name.clone(), pointer);
                desired.get_mut(type_name).expect("desired")[property.as_str()] = value;
            }
            Err(error) => outcome.fail("update", format!("set {pointer}: {error}")),
        }
    }
    let plan = shard.plan("update").await;
    let actions = actions_by_component(&plan);
    for (type_name, pointer) in &updated {
        let outcome = outcomes.get_mut(type_name).expect("an outcome");
        let Some(action) = actions.get(&component_name(type_name)) else {
            outcome.fail("update", format!("no action planned for {pointer}"));
            continue;
        };
        if action.kind != ActionKind::Update {
            outcome.fail(
                "update",
                format!(
                    "{} planned for {pointer}: {:?}",
                    action.kind.as_str(),
                    action.changes
                ),
            );
            continue;
        }
        // The diff sends known write-only values with every update, because Cloud
        // Control never returns them and the update handler would otherwise lose them.
        let schema = registry.get(type_name).expect("the schema");
        let outside: Vec<String> = action
            .patch
            .iter()
            .map(|op| {
                serde_json::to_value(op).expect("serializes")["path"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .filter(|path| !(path == pointer || path.starts_with(&format!("{pointer}/"))))
            .filter(|path| !parse_pointer(path).is_ok_and(|p| schema.is_write_only(&p)))
            .collect();
        if !outside.is_empty() {
            outcome.fail(
                "update",
                format!("the patch for {pointer} also touches {outside:?}"),
            );
        }
    }
    for action in plan
        .actions
        .iter()
        .filter(|a| !updated.contains_key(&a.type_name))
    {
        if let Some(outcome) = outcomes.get_mut(&action.type_name) {
            outcome.fail(
                "update",
                format!("unexpected {} in the update plan", action.kind.as_str()),
            );
        }
    }
    let patches: BTreeMap<String, Value> = plan
        .actions
        .iter()
        .map(|a| {
            (
                a.component.clone(),
                serde_json::to_value(&a.patch).expect("serializes"),
            )
        })
        .collect();
    let report = shard.apply("update").await;
    for action in &report.actions {
        let Some(outcome) = outcomes.get_mut(&action.component.replace('-', "::")) else {
            continue;
        };
        if !action.succeeded() {
            let patch = patches.get(&action.component).cloned().unwrap_or_default();
            let message = action.message.clone().unwrap_or_default();
            outcome.fail("update", format!("apply of {patch}: {message}"));
        }
    }
    let plan = shard.plan("HEAD").await;
    let actions = actions_by_component(&plan);
    for type_name in updated.keys() {
        let outcome = outcomes.get_mut(type_name).expect("an outcome");
        match actions.get(&component_name(type_name)) {
            Some(action) => outcome.fail(
                "update",
                format!(
                    "{} after the update: {:?}",
                    action.kind.as_str(),
                    action.changes
                ),
            ),
            None if !outcome.failures.contains_key("update") => outcome.pass("update"),
            None => {}
        }
    }

    // Change one create-only property of each type that has one: the plan replaces.
    shard.change_set("replace").await;
    let remote = recorded_models(&shard).await;
    let mut replaced: BTreeMap<String, String> = BTreeMap::new();
    for (type_name, outcome) in outcomes.iter_mut().filter(|(_, o)| !o.failed()) {
        let schema = registry.get(type_name).expect("the schema");
        let name = component_name(type_name);
        let Some(read) = remote.get(&name) else {
            continue;
        };
        let Some((property, value)) = pick_change(&schema, &desired[type_name], read, true) else {
            outcome.skipped.insert("replace");
            continue;
        };
        let pointer = format!("/{property}");
        match shard
            .engine
            .set_property(&shard.workspace, "replace", &name, &pointer, value)
            .await
        {
            Ok(_) => {
                replaced.insert(type_name.clone(), pointer);
            }
            Err(error) => outcome.fail("replace", format!("set {pointer}: {error}")),
        }
    }
    let plan = shard.plan("replace").await;
    let actions = actions_by_component(&plan);
    for (type_name, pointer) in &replaced {
        let outcome = outcomes.get_mut(type_name).expect("an outcome");
        match actions.get(&component_name(type_name)) {
            Some(action) if action.kind == ActionKind::Replace => outcome.pass("replace"),
            Some(action) => outcome.fail(
                "replace",
                format!("{} planned for {pointer}", action.kind.as_str()),
            ),
            None => outcome.fail("replace", format!("no action planned for {pointer}")),
        }
    }
    shard
        .engine
        .abandon(&shard.workspace, "replace")
        .await
        .expect("the change set is abandoned");

    // Delete every component.
    shard.change_set("delete").await;
    for type_name in desired.keys() {
        let name = component_name(type_name);
        shard
            .engine
            .delete_component(&shard.workspace, "delete", &name)
            .await
            .unwrap_or_else(|e| panic!("{name} cannot be deleted: {e}"));
    }
    let report = shard.apply("delete").await;
    let deleted: BTreeMap<String, &canopy_engine::ActionOutcome> = report
        .actions
        .iter()
        .map(|a| (a.component.clone(), a))
        .collect();
    let handle = shard.handle.clone();
    for (type_name, outcome) in outcomes
        .iter_mut()
        .filter(|(_, o)| o.passed.contains("create"))
    {
        let name = component_name(type_name);
        let left = handle.count_resources(CUSTOMER_ACCOUNT_ID, REGION, type_name);
        match deleted.get(&name) {
            Some(action) if !action.succeeded() => {
                outcome.fail("delete", action.message.clone().unwrap_or_default());
            }
            _ if left > 0 => {
                outcome.fail("delete", format!("{left} resource(s) left in the emulator"))
            }
            Some(_) => outcome.pass("delete"),
            None => outcome.fail("delete", "no delete action was planned"),
        }
    }

    println!("{}: done in {:?}", shard.workspace, started.elapsed());
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_round_trips() {
    let started = Instant::now();
    let types = round_trip_types(Registry::bundled());
    let fixture = Fixture::start().await;
    let mut shards = tokio::task::JoinSet::new();
    for index in 0..SHARDS {
        let shard = fixture.shard(index).await;
        let types: Vec<String> = types.iter().skip(index).step_by(SHARDS).cloned().collect();
        shards.spawn(round_trip(shard, types));
    }
    let mut outcomes: BTreeMap<String, Outcome> = BTreeMap::new();
    while let Some(joined) = shards.join_next().await {
        outcomes.extend(joined.expect("a shard finished"));
    }

    // Report.
    println!(
        "round trip of {} types in {:?}",
        types.len(),
        started.elapsed()
    );
    for step in STEPS {
        let passed = outcomes
            .values()
            .filter(|o| o.passed.contains(step))
            .count();
        let failed = outcomes
            .values()
            .filter(|o| o.failures.contains_key(step))
            .count();
        let skipped = outcomes
            .values()
            .filter(|o| o.skipped.contains(step))
            .count();
        println!(
            "{step:>8}: {passed} passed, {failed} failed, {skipped} without a candidate property"
        );
    }
    let mut unexplained = Vec::new();
    for (type_name, outcome) in &outcomes {
        for (step, message) in &outcome.failures {
            let known = KNOWN_FAILURES
                .iter()
                .any(|(t, s, _)| t == type_name && s == step);
            if !known {
                unexplained.push(format!("{type_name} {step}: {message}"));
            }
        }
    }
    for (type_name, step, _) in KNOWN_FAILURES {
        let still_fails = outcomes
            .get(*type_name)
            .is_some_and(|o| o.failures.contains_key(step));
        if !still_fails {
            println!("known failure no longer seen: {type_name} {step}");
        }
    }
    for line in unexplained.iter().take(200) {
        println!("{line}");
    }
    assert!(
        unexplained.is_empty(),
        "{} unexplained failures; see the output above",
        unexplained.len()
    );
}
