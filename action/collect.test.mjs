// `command: collect` end to end against the real binary: the main step gates, starts
// `ci-tracing collect` and waits for it; real OTLP clients (`ci-tracing replay` over
// HTTP and gRPC) send spans to the endpoints it reports; the post step stops it and
// uploads into the fake results service (tools/fake-results.rs, the fake the Rust tests
// prove against @actions/artifact). Builds the binaries first with cargo.
// Run with `node --test action/`.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import collect from './collect.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..')
const binary = process.env.CI_TRACING_TEST_BIN || path.join(root, 'target', 'debug', 'ci-tracing')
const fakeResults = path.join(root, 'target', 'debug', 'examples', 'fake-results')
const sample = path.join(root, 'tests', 'fixtures', 'collector-pdata-sample.jsonl')

let fake
let results

before(async () => {
  const build = spawnSync('cargo', ['build', '--locked', '--bin', 'ci-tracing', '--example', 'fake-results'], {
    cwd: root, stdio: ['ignore', 'inherit', 'inherit']
  })
  assert.equal(build.status, 0, 'cargo build of ci-tracing and fake-results')
  fake = spawn(fakeResults, [], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  fake.stdout.on('data', (chunk) => { stdout += chunk })
  fake.stderr.on('data', (chunk) => { stderr += chunk })
  fake.log = () => stderr
  for (let i = 0; i < 200 && !/ACTIONS_RUNTIME_TOKEN=/.test(stdout); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  results = {
    ACTIONS_RESULTS_URL: /ACTIONS_RESULTS_URL=(\S+)/.exec(stdout)[1],
    ACTIONS_RUNTIME_TOKEN: /ACTIONS_RUNTIME_TOKEN=(\S+)/.exec(stdout)[1]
  }
})

const made = []
after(() => {
  if (fake) fake.kill()
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
})

let jobs = 0

/** A job's files and environment: event, outputs, env, state, temp; its own artifact name. */
function job (labels) {
  jobs += 1
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-tracing-collect-job-'))
  made.push(dir)
  const event = path.join(dir, 'event.json')
  fs.writeFileSync(event, JSON.stringify({ pull_request: { number: 7, labels: labels.map((name) => ({ name })) } }))
  const files = {}
  for (const name of ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY']) {
    files[name] = path.join(dir, name.toLowerCase())
    fs.writeFileSync(files[name], '')
  }
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    CI_TRACING_BIN: binary,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: event,
    GITHUB_REPOSITORY: 'octo-org/app',
    GITHUB_RUN_ID: '42',
    GITHUB_SERVER_URL: 'https://github.com',
    RUNNER_TEMP: path.join(dir, 'runner-temp'),
    ...results,
    ...files,
    INPUT_COMMAND: 'collect',
    INPUT_PATH: path.join(dir, 'traces', 'trace-data.json'),
    INPUT_NAME: `trace-data-${jobs}`,
    'INPUT_HTTP-PORT': '0',
    'INPUT_GRPC-PORT': '0',
    'INPUT_EXPORT-ENV': 'true',
    INPUT_LABEL: 'enable tracing',
    INPUT_LIVE: 'false',
    'INPUT_IF-NO-FILES-FOUND': 'error'
  }
  return { dir, env, files }
}

function run (script, env) {
  return spawnSync(process.execPath, [path.join(here, script)], { env, encoding: 'utf8', timeout: 120_000 })
}

/** The post step's environment: the runner passes GITHUB_STATE back as STATE_*. */
function postEnv (env, files) {
  const state = fs.readFileSync(files.GITHUB_STATE, 'utf8')
  const post = { ...env }
  for (const name of ['collect_pid', 'collect_log', 'collect_output', 'binary']) {
    const value = collect.readFileCommand(state, name)
    if (value !== null) post[`STATE_${name}`] = value
  }
  return post
}

function alive (pid) {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}

test('collect: main starts the receiver for the job, post stops it and uploads what it wrote', () => {
  const { dir, env, files } = job(['enable tracing'])
  env.INPUT_LISTEN = '0.0.0.0'
  const traces = path.join(dir, 'sample.jsonl')
  fs.copyFileSync(sample, traces)
  const main = run('main.js', env)
  assert.equal(main.status, 0, main.stdout + main.stderr)
  const outputs = fs.readFileSync(files.GITHUB_OUTPUT, 'utf8')
  assert.equal(collect.readFileCommand(outputs, 'enabled'), 'true')
  const http = collect.readFileCommand(outputs, 'otlp-endpoint')
  const grpc = collect.readFileCommand(outputs, 'otlp-grpc-endpoint')
  assert.match(http, /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.match(grpc, /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.equal(collect.readFileCommand(fs.readFileSync(files.GITHUB_ENV, 'utf8'), 'OTEL_EXPORTER_OTLP_ENDPOINT'), http)
  const post = postEnv(env, files)
  const pid = Number(post.STATE_collect_pid)
  assert.ok(alive(pid), 'the collector runs after the main step ended')

  // Two real clients, as the tests of a job would send: OTLP/HTTP and OTLP/gRPC.
  for (const args of [['--endpoint', `${http}/v1/traces`], ['--protocol', 'grpc', '--endpoint', grpc]]) {
    const replay = spawnSync(binary, ['replay', traces, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } })
    assert.equal(replay.status, 0, replay.stdout + replay.stderr)
    assert.match(replay.stdout, /spans accepted: 3\n/)
  }

  const stop = run('post.js', post)
  assert.equal(stop.status, 0, stop.stdout + stop.stderr)
  assert.ok(!alive(pid), 'the post step waited for the collector to exit')
  assert.match(stop.stdout, /::group::ci-tracing collect log/)
  const written = fs.readFileSync(env.INPUT_PATH, 'utf8').split('\n').filter(Boolean)
  assert.equal(written.length, 4, 'one line per accepted request')
  const spans = written.flatMap((line) => JSON.parse(line).resourceSpans
    .flatMap((rs) => rs.scopeSpans || []).flatMap((ss) => ss.spans || []))
  assert.equal(spans.length, 6)
  const uploaded = fs.readFileSync(files.GITHUB_OUTPUT, 'utf8')
  assert.match(collect.readFileCommand(uploaded, 'artifact-id') || '', /^\d+$/)
  assert.match(collect.readFileCommand(uploaded, 'artifact-digest') || '', /^[0-9a-f]{64}$/)
})

test('collect: with the gate off nothing starts and the post step uploads nothing', () => {
  const { env, files } = job(['unrelated'])
  const main = run('main.js', env)
  assert.equal(main.status, 0, main.stdout + main.stderr)
  const outputs = fs.readFileSync(files.GITHUB_OUTPUT, 'utf8')
  assert.equal(collect.readFileCommand(outputs, 'enabled'), 'false')
  assert.equal(collect.readFileCommand(outputs, 'otlp-endpoint'), null)
  assert.equal(fs.readFileSync(files.GITHUB_STATE, 'utf8'), '')
  assert.equal(fs.readFileSync(files.GITHUB_ENV, 'utf8'), '')
  const stop = run('post.js', postEnv(env, files))
  assert.equal(stop.status, 0, stop.stdout + stop.stderr)
  assert.equal(stop.stdout, '')
  assert.equal(collect.readFileCommand(fs.readFileSync(files.GITHUB_OUTPUT, 'utf8'), 'artifact-id'), null)
})

test('collect: a collector that cannot start fails the main step with its own words', () => {
  const { env } = job(['enable tracing'])
  env.INPUT_LISTEN = '192.0.2.1' // TEST-NET-1: not an address of this machine
  const main = run('main.js', env)
  assert.equal(main.status, 1, main.stdout + main.stderr)
  assert.match(main.stdout, /::error::ci-tracing collect exited \(status \d+\) before it was ready: /)
})

test('collect: inputs it cannot take are refused before anything starts', () => {
  for (const [name, value, message] of [
    ['INPUT_HTTP-PORT', '99999', /input http-port must be a port number/],
    ['INPUT_LISTEN', 'local host', /input listen must be an address/],
    ['INPUT_PATH', 'traces/*.json', /is a pattern: name a file/]
  ]) {
    const { env, files } = job(['enable tracing'])
    env[name] = value
    const main = run('main.js', env)
    assert.equal(main.status, 1, main.stdout + main.stderr)
    assert.match(main.stdout, message)
    assert.equal(fs.readFileSync(files.GITHUB_STATE, 'utf8'), '')
  }
})

test('collect: a collector gone before the post step is reported, and what it wrote is uploaded', () => {
  const { dir, env, files } = job(['enable tracing'])
  const main = run('main.js', env)
  assert.equal(main.status, 0, main.stdout + main.stderr)
  const http = collect.readFileCommand(fs.readFileSync(files.GITHUB_OUTPUT, 'utf8'), 'otlp-endpoint')
  const traces = path.join(dir, 'sample.jsonl')
  fs.copyFileSync(sample, traces)
  const replay = spawnSync(binary, ['replay', traces, '--endpoint', `${http}/v1/traces`], { encoding: 'utf8', env: { PATH: process.env.PATH } })
  assert.equal(replay.status, 0, replay.stdout + replay.stderr)
  const post = postEnv(env, files)
  process.kill(Number(post.STATE_collect_pid), 'SIGKILL')
  const stop = run('post.js', post)
  assert.equal(stop.status, 0, stop.stdout + stop.stderr)
  assert.match(stop.stdout, /::warning::ci-tracing collect \(pid \d+\) had stopped before the post step/)
  assert.equal(fs.readFileSync(env.INPUT_PATH, 'utf8').split('\n').filter(Boolean).length, 2)
  assert.match(collect.readFileCommand(fs.readFileSync(files.GITHUB_OUTPUT, 'utf8'), 'artifact-id') || '', /^\d+$/)
})
