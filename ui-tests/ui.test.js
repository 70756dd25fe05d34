// Drives canopy's web UI in headless Chromium through the whole story: login, a
// workspace, a secret, a credential that validates, a region, a VPC and a subnet
// subscribed to it, apply, an update and a delete. Everything runs on 127.0.0.1:
// `canopy emulator` is the AWS endpoint and `canopy serve` the API and UI.
//
// Run from the repository root after `cargo build -p canopy`:
//   cd ui-tests && npm ci && npm test
// CANOPY_BIN overrides the binary (default ../target/debug/canopy).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const CANOPY = process.env.CANOPY_BIN || resolve(here, '../target/debug/canopy');
const SCREENSHOTS = resolve(here, '../docs/screenshots');
const CANOPY_ACCESS_KEY_ID = 'AKIAEMULATOR00000001';
const CANOPY_SECRET_ACCESS_KEY = 'emulator/canopy-admin/secret/0000000001';
const CUSTOMER_ACCESS_KEY_ID = 'AKIAEMULATOR00000002';
const CUSTOMER_SECRET_ACCESS_KEY = 'emulator/customer-admin/secret/000000002';
const CUSTOMER_ACCOUNT = '210987654321';
const TIMEOUT = 30_000;

const processes = [];
let temp;
/** The persistent browser context, which owns the browser process. */
let browser;
let page;
let emulatorUrl;
let loginUrl;
let adminToken;
let workspaceToken;
/** Every response body the browser received: {url, status, body}. */
const responses = [];
const pendingBodies = [];
/** The raw text of an event stream of the workspace, read alongside the browser. */
let eventText = '';
const eventStream = new AbortController();

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Starts a canopy command and resolves with the first output line matching `pattern`. */
function startCanopy(args, env, pattern) {
  const child = spawn(CANOPY, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  processes.push(child);
  let output = '';
  return new Promise((resolveMatch, reject) => {
    const timer = setTimeout(() => reject(new Error(`canopy ${args[0]} did not start in time; output:\n${output}`)), TIMEOUT);
    const onData = (chunk) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveMatch(match);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`canopy ${args[0]} exited with ${code}; output:\n${output}`));
    });
  });
}

async function screenshot(name, options = {}) {
  await page.screenshot({ path: join(SCREENSHOTS, name), ...options });
}

/** Returns the locator of a component's card on the canvas. */
function card(name) {
  return page.locator(`article.card[data-component="${name}"]`);
}

async function waitForText(locator, pattern) {
  await locator.filter({ hasText: pattern }).first().waitFor({ timeout: TIMEOUT });
}

async function addComponent(search, typeName, name) {
  await page.getByLabel('Search resource types').fill(search);
  const button = page.locator(`button.palette-item[data-type="${typeName}"]`);
  await button.waitFor({ timeout: TIMEOUT });
  await button.click();
  const dialog = page.locator('dialog[open]');
  await dialog.getByLabel('Component name').fill(name);
  await dialog.getByRole('button', { name: 'Add to canvas' }).click();
  await card(name).waitFor({ timeout: TIMEOUT });
  await page.locator('#panel h2', { hasText: name }).waitFor({ timeout: TIMEOUT });
}

/** Sets a property in the open component panel and waits for the save to return. */
async function setProperty(pointer, value) {
  const control = page.locator(`#panel [data-path="${pointer}"]`);
  const saved = page.waitForResponse((r) => r.url().includes('/properties') && r.request().method() === 'POST');
  const tag = await control.evaluate((element) => element.tagName);
  if (tag === 'SELECT') {
    await control.selectOption(value);
  } else {
    await control.fill(value);
    await control.press('Tab');
  }
  const response = await saved;
  assert.equal(response.status(), 200, `setting ${pointer} failed: ${await response.text()}`);
}

async function newChangeSet(name) {
  await page.getByRole('button', { name: 'New change set' }).click();
  const dialog = page.locator('dialog[open]');
  await dialog.getByLabel('Change set name').fill(name);
  await dialog.getByRole('button', { name: 'Create change set' }).click();
  await page.waitForFunction((n) => document.getElementById('change-set-select')?.value === n, name, { timeout: TIMEOUT });
}

/** Opens the plan, checks its actions, applies, and waits until the view is HEAD. */
async function planAndApply(expected, shot) {
  await page.getByRole('button', { name: 'Apply…' }).click();
  const dialog = page.locator('dialog[open]');
  await dialog.locator('[data-role="plan-action"]').first().waitFor({ timeout: TIMEOUT });
  const actions = await dialog.locator('[data-role="plan-action"]').allInnerTexts();
  assert.equal(actions.length, expected.length, `plan: ${actions.join(' | ')}`);
  expected.forEach(([kind, component], index) => {
    assert.match(actions[index], new RegExp(`^${kind}\\s+${component}\\b`, 'i'), `plan action ${index}`);
  });
  if (shot) await screenshot(shot);
  await dialog.getByRole('button', { name: /^Apply/ }).click();
  await page.waitForFunction(() => document.getElementById('change-set-select')?.value === 'HEAD', null, { timeout: TIMEOUT });
}

async function waitForAction(component, kind, state = 'succeeded') {
  await page
    .locator(`#actions tr[data-state="${state}"]`)
    .filter({ hasText: component })
    .filter({ hasText: kind })
    .first()
    .waitFor({ timeout: TIMEOUT });
}

before(async () => {
  temp = mkdtempSync(join(tmpdir(), 'canopy-ui-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  const empty = join(temp, 'empty');
  writeFileSync(empty, '');
  const env = { ...process.env };
  for (const name of ['CANOPY_AWS_PROFILE', 'AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'CANOPY_WORKSPACE']) delete env[name];
  Object.assign(env, {
    AWS_CONFIG_FILE: empty,
    AWS_SHARED_CREDENTIALS_FILE: empty,
    AWS_EC2_METADATA_DISABLED: 'true',
  });

  const emulatorPort = await freePort();
  await startCanopy(
    ['emulator', '--listen', `127.0.0.1:${emulatorPort}`, '--data-dir', join(temp, 'emulator'), '--request-delay-ms', '400'],
    env,
    /Cloud Control and STS on (http:\/\/\S+)/,
  );
  emulatorUrl = `http://127.0.0.1:${emulatorPort}`;

  const servePort = await freePort();
  const serveEnv = { ...env, AWS_ACCESS_KEY_ID: CANOPY_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: CANOPY_SECRET_ACCESS_KEY };
  const match = await startCanopy(
    ['serve', '--listen', `127.0.0.1:${servePort}`, '--data-dir', join(temp, 'data')],
    serveEnv,
    /(http:\/\/127\.0\.0\.1:\d+\/login#token=(\S+))/,
  );
  loginUrl = match[1];
  adminToken = match[2];

  // A fresh profile directory for each run; Playwright passes it as --user-data-dir.
  browser = await chromium.launchPersistentContext(join(temp, 'chromium'), {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 860 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = browser.pages()[0] || (await browser.newPage());
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (error) => console.error('page error:', error));
  page.on('response', (response) => {
    const type = response.headers()['content-type'] || '';
    // An event stream ends only when the page closes it; the test reads the same
    // stream itself below.
    if (type.includes('text/event-stream')) return;
    pendingBodies.push(
      response
        .text()
        .then((body) => responses.push({ url: response.url(), status: response.status(), body }))
        .catch(() => {}),
    );
  });
});

after(async () => {
  eventStream.abort();
  await browser?.close();
  for (const child of processes) child.kill('SIGINT');
  if (temp) rmSync(temp, { recursive: true, force: true });
});

/** Reads the workspace's event stream with the administrator token, as the UI does. */
async function readEvents(workspaceId) {
  const base = new URL(loginUrl).origin;
  const response = await fetch(`${base}/api/workspaces/${workspaceId}/events`, {
    headers: { Authorization: `Bearer ${adminToken}` },
    signal: eventStream.signal,
  });
  const decoder = new TextDecoder();
  (async () => {
    try {
      for await (const chunk of response.body) eventText += decoder.decode(chunk, { stream: true });
    } catch {
      // Aborted at the end of the test.
    }
  })();
}

/**
 * Sets another property of the subnet through the API while the subscription form
 * contains unsubmitted input, waits until the resulting live event redrew the panel's
 * qualifications, and checks that the typed path and its focus survived.
 */
async function checkTypingSurvivesEvent(panel) {
  const pathInput = panel.getByLabel('Path in this component');
  await panel.locator('[data-role="qualifications"]').evaluate((list) => {
    list.dataset.beforeEvent = 'true';
  });
  const status = await page.evaluate(async () => {
    const response = await fetch('/api/workspaces/ui-test/change-sets/network/components/subnet/properties', {
      method: 'POST',
      headers: { Authorization: `Bearer ${sessionStorage.getItem('canopy.token')}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: '/MapPublicIpOnLaunch', value: false }),
    });
    return response.status;
  });
  assert.equal(status, 200, 'setting /MapPublicIpOnLaunch through the API');
  await page.waitForFunction(() => {
    const list = document.querySelector('#panel [data-role="qualifications"]');
    return list && !list.dataset.beforeEvent;
  });
  assert.equal(await pathInput.inputValue(), '/VpcId', 'a live event must keep the typed subscription path');
  assert.ok(
    await pathInput.evaluate((input) => input === document.activeElement),
    'a live event must keep the focus in the subscription path',
  );
}

test('web UI story', async (t) => {
  await t.test('login takes the token from the fragment', async () => {
    await page.goto(loginUrl);
    await page.getByRole('heading', { name: 'Workspaces' }).waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the token must leave the address bar');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('canopy.token')), adminToken);
  });

  await t.test('workspace and its settings', async () => {
    await page.getByLabel('New workspace name').fill('ui-test');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByRole('button', { name: 'ui-test', exact: true }).waitFor();
    await screenshot('workspaces.png');

    await page.getByRole('button', { name: 'Settings of workspace ui-test' }).click();
    const dialog = page.locator('dialog[open]');
    assert.equal(await dialog.getByLabel('Workspace token').inputValue(), '', 'the token is hidden until revealed');
    await dialog.getByLabel("canopy's principal").fill('123456789012');
    // Taken before the reveal, so the image contains no token.
    await screenshot('settings.png');
    const revealed = page.waitForResponse((r) => r.url().endsWith('/token'));
    await dialog.getByRole('button', { name: 'Reveal token' }).click();
    workspaceToken = JSON.parse(await (await revealed).text()).token;
    assert.ok(workspaceToken.length >= 16, 'the reveal response carries the token');
    await page.waitForFunction((value) => document.querySelector('[data-role="workspace-token"]').value === value, workspaceToken);
    const policy = JSON.parse(await dialog.locator('[data-role="trust-policy"]').innerText());
    const statement = policy.Statement[0];
    assert.equal(statement.Principal.AWS, 'arn:aws:iam::123456789012:root');
    assert.equal(statement.Action, 'sts:AssumeRole');
    assert.equal(statement.Condition.StringEquals['sts:ExternalId'], workspaceToken);

    await dialog.getByRole('button', { name: 'New AWS Credential secret…' }).click();
    const form = page.locator('form.secret-form');
    await form.getByLabel('Secret name').fill('customer');
    await form.getByLabel('Static keys').check();
    await form.getByLabel('AccessKeyId').fill(CUSTOMER_ACCESS_KEY_ID);
    await form.getByLabel('SecretAccessKey').fill(CUSTOMER_SECRET_ACCESS_KEY);
    await form.getByLabel('Endpoint').fill(emulatorUrl);
    const stored = page.waitForResponse((r) => r.url().endsWith('/secrets') && r.request().method() === 'POST');
    await form.getByRole('button', { name: 'Store secret' }).click();
    assert.equal((await stored).status(), 201);
    await form.waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
  });

  await t.test('change set with credential, region, VPC and subnet', async () => {
    await page.getByRole('button', { name: 'ui-test', exact: true }).click();
    await page.locator('#change-set-select').waitFor();
    const workspaceId = await page.evaluate(async () => {
      const response = await fetch('/api/workspaces/ui-test', { headers: { Authorization: `Bearer ${sessionStorage.getItem('canopy.token')}` } });
      return (await response.json()).id;
    });
    await readEvents(workspaceId);
    assert.ok(await page.getByRole('button', { name: 'Apply…' }).isDisabled(), 'HEAD cannot be applied from the UI');
    await newChangeSet('network');

    await addComponent('credential', 'AWS Credential', 'aws');
    await waitForText(card('aws').locator('[data-role="qualification"]'), new RegExp(`account ${CUSTOMER_ACCOUNT} as arn:aws:iam::${CUSTOMER_ACCOUNT}:`));

    await addComponent('region', 'Region', 'us-east-1');
    await setProperty('/Region', 'us-east-1');
    await waitForText(card('us-east-1').locator('[data-role="qualification"]'), /qualifications pass/);

    await addComponent('AWS::EC2::VPC', 'AWS::EC2::VPC', 'vpc');
    await setProperty('/CidrBlock', '10.0.0.0/16');
    await waitForText(card('vpc').locator('[data-role="qualification"]'), /qualifications pass/);

    await addComponent('AWS::EC2::Subnet', 'AWS::EC2::Subnet', 'subnet');
    await setProperty('/CidrBlock', '10.0.1.0/24');
    await waitForText(card('subnet').locator('[data-role="qualification"]'), /failing: .*VpcId/);
    const panel = page.locator('#panel');
    await panel.getByLabel('Path in this component').fill('/VpcId');
    await checkTypingSurvivesEvent(panel);
    await panel.getByLabel('Source component').selectOption('vpc');
    await panel.getByLabel('Source path').fill('/resource/VpcId');
    await panel.getByRole('button', { name: 'Subscribe' }).click();
    await page.locator('path.edge[data-edge="vpc/resource/VpcId → subnet/VpcId"]').waitFor({ state: 'attached' });
    await waitForText(card('subnet').locator('[data-role="qualification"]'), /qualifications pass/);
    await waitForText(panel.locator('[data-role="diff"]'), /New in this change set/);
  });

  await t.test('cards move by drag and by keyboard and keep their place', async () => {
    const vpc = card('vpc');
    const box = await vpc.boundingBox();
    const moved = page.waitForResponse((r) => r.url().includes('/positions/') && r.request().method() === 'PUT');
    await page.mouse.move(box.x + 30, box.y + 10);
    await page.mouse.down();
    await page.mouse.move(box.x - 250, box.y + 200, { steps: 5 });
    await page.mouse.up();
    assert.equal((await moved).status(), 200);

    const subnet = card('subnet');
    await subnet.focus();
    const keyed = page.waitForResponse((r) => r.url().includes('/positions/') && r.request().method() === 'PUT');
    await subnet.press('ArrowDown');
    await subnet.press('ArrowRight');
    assert.equal((await keyed).status(), 200);
    const before = await page.evaluate(() =>
      [...document.querySelectorAll('article.card')].map((c) => [c.dataset.component, c.style.left, c.style.top]).sort(),
    );
    await page.reload();
    await card('subnet').waitFor();
    const after = await page.evaluate(() =>
      [...document.querySelectorAll('article.card')].map((c) => [c.dataset.component, c.style.left, c.style.top]).sort(),
    );
    assert.deepEqual(after, before);
    assert.equal(await page.locator('#change-set-select').inputValue(), 'network', 'a reload keeps the change set');
    await card('subnet').click();
    await page.locator('#panel h2', { hasText: 'subnet' }).waitFor();
    await screenshot('canvas-draft.png');
  });

  await t.test('apply shows the plan, then identifiers appear live', async () => {
    await planAndApply([['create', 'vpc'], ['create', 'subnet']], 'plan.png');
    await waitForText(card('vpc').locator('[data-role="resource"]'), /vpc-[0-9a-f]+/);
    await waitForText(card('subnet').locator('[data-role="resource"]'), /subnet-[0-9a-f]+/);
    await waitForAction('subnet', 'create');
    assert.ok(await page.locator('button.palette-item').first().isDisabled(), 'HEAD has no palette');
    await card('vpc').click();
    await page.locator('#panel h2', { hasText: 'vpc' }).waitFor();
    assert.ok(await page.locator('#panel [data-path="/CidrBlock"]').isDisabled(), 'HEAD has no editing');
    await screenshot('canvas.png');
  });

  await t.test('an update shows its diff and applies', async () => {
    await newChangeSet('dns');
    await card('vpc').click();
    await page.locator('#panel h2', { hasText: 'vpc' }).waitFor();
    await setProperty('/EnableDnsHostnames', 'true');
    await waitForText(page.locator('#panel [data-role="diff"]'), /EnableDnsHostnames/);
    await card('vpc').locator('.change-changed').waitFor();
    await planAndApply([['update', 'vpc']]);
    await waitForAction('vpc', 'update');
  });

  await t.test('a delete applies and the card goes away', async () => {
    await newChangeSet('teardown');
    await card('subnet').click();
    await page.locator('#panel h2', { hasText: 'subnet' }).waitFor();
    await page.getByRole('button', { name: 'Delete component' }).click();
    await card('subnet').locator('.change-deleted').waitFor();
    await planAndApply([['delete', 'subnet']]);
    await waitForAction('subnet', 'delete');
    await card('subnet').waitFor({ state: 'detached' });
  });

  await t.test('abandoning a change set returns to HEAD', async () => {
    await newChangeSet('scratch');
    await page.getByRole('button', { name: 'Abandon' }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Abandon scratch' }).click();
    await page.waitForFunction(() => document.getElementById('change-set-select')?.value === 'HEAD');
    const options = await page.locator('#change-set-select option').allInnerTexts();
    assert.ok(!options.includes('scratch'), `abandoned change sets leave the switcher: ${options}`);
  });

  await t.test('no response leaks the secret key or the workspace token', async () => {
    await Promise.all(pendingBodies);
    assert.ok(responses.length > 20, `recorded ${responses.length} responses`);
    const reveals = responses.filter((r) => r.url.endsWith('/token'));
    assert.equal(reveals.length, 1, 'one explicit reveal');
    for (const response of responses) {
      assert.ok(!response.body.includes(CUSTOMER_SECRET_ACCESS_KEY), `secret key in ${response.url}`);
      if (!response.url.endsWith('/token')) {
        assert.ok(!response.body.includes(workspaceToken), `workspace token in ${response.url}`);
      }
    }
    assert.ok(eventText.includes('apply_finished'), 'the event stream was read');
    assert.ok(!eventText.includes(CUSTOMER_SECRET_ACCESS_KEY), 'secret key in the event stream');
    assert.ok(!eventText.includes(workspaceToken), 'workspace token in the event stream');
    const html = await page.content();
    assert.ok(!html.includes(CUSTOMER_SECRET_ACCESS_KEY), 'secret key in the page');
  });
});
