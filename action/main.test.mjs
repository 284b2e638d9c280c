// Tests of the action's entry point: input mapping, the order in which the binary is
// found, refusal of a download whose checksum is not the pinned one, and exit status.
// Run with `node --test action/`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import action from './main.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ci-tracing-action-'))

test('upload inputs become flags, multi-line paths become arguments', () => {
  const args = action.buildArgs({
    'INPUT_PATH': 'traces/a.json\n\n  traces/b/*.json  \n',
    INPUT_NAME: 'trace-data',
    'INPUT_RETENTION-DAYS': '7',
    'INPUT_COMPRESSION-LEVEL': '9',
    INPUT_OVERWRITE: 'true',
    'INPUT_IF-NO-FILES-FOUND': 'error',
    INPUT_LABEL: 'enable tracing',
    INPUT_LIVE: 'TRUE'
  })
  assert.deepEqual(args, [
    'upload', 'traces/a.json', 'traces/b/*.json', '--name', 'trace-data',
    '--retention-days', '7', '--compression-level', '9', '--if-no-files-found', 'error',
    '--overwrite', '--label', 'enable tracing', '--live'
  ])
})

test('gate takes only the gate inputs and upload is the default command', () => {
  assert.deepEqual(action.buildArgs({ INPUT_COMMAND: 'gate', INPUT_NAME: 'x', INPUT_LIVE: 'false' }), ['gate'])
  assert.deepEqual(action.buildArgs({}), ['upload'])
  assert.throws(() => action.buildArgs({ INPUT_COMMAND: 'fetch-traces' }), /must be upload or gate/)
  assert.throws(() => action.buildArgs({ INPUT_OVERWRITE: 'yes' }), /overwrite must be true or false/)
})

function deps (overrides) {
  return {
    env: {},
    platform: 'linux',
    arch: 'x64',
    fetch: () => { throw new Error('no download expected') },
    build: () => { throw new Error('no build expected') },
    pins: { version: 'v1.2.3', assets: { 'linux-x64': { name: 'ci-tracing-x86_64-unknown-linux-musl', sha256: '' } } },
    actionDir: here,
    log: () => {},
    ...overrides
  }
}

function serve (body) {
  const requests = []
  const server = http.createServer((req, res) => { requests.push(req.url); res.end(body) })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, requests, url: `http://127.0.0.1:${server.address().port}` })))
}

test('CI_TRACING_BIN comes first, without download or build', async () => {
  const bin = path.join(tmp(), 'ci-tracing')
  fs.writeFileSync(bin, '')
  assert.equal(await action.resolveBinary(deps({ env: { CI_TRACING_BIN: bin } })), bin)
  await assert.rejects(action.resolveBinary(deps({ env: { CI_TRACING_BIN: `${bin}-missing` } })), /does not exist/)
})

test('a pinned release asset is downloaded, verified, cached, then reused', async () => {
  const body = Buffer.from('#!/bin/sh\necho release\n')
  const { server, requests, url } = await serve(body)
  const cache = tmp()
  const pins = { version: 'v1.2.3', assets: { 'linux-x64': { name: 'asset-linux', sha256: crypto.createHash('sha256').update(body).digest('hex') } } }
  const env = { RUNNER_TOOL_CACHE: cache, GITHUB_SERVER_URL: url, GITHUB_ACTION_REPOSITORY: 'octo-org/ci-tracing' }
  try {
    const first = await action.resolveBinary(deps({ env, pins, fetch: globalThis.fetch }))
    assert.equal(first, path.join(cache, 'ci-tracing', 'v1.2.3', 'asset-linux', 'ci-tracing'))
    assert.deepEqual(fs.readFileSync(first), body)
    assert.deepEqual(requests, ['/octo-org/ci-tracing/releases/download/v1.2.3/asset-linux'])
    const second = await action.resolveBinary(deps({ env, pins }))
    assert.equal(second, first)
    assert.equal(requests.length, 1)
  } finally {
    server.close()
  }
})

test('a download whose checksum is not the pinned one is refused and not cached', async () => {
  const { server, url } = await serve('tampered')
  const cache = tmp()
  const pins = { version: 'v1.2.3', assets: { 'linux-x64': { name: 'asset-linux', sha256: 'a'.repeat(64) } } }
  const env = { RUNNER_TOOL_CACHE: cache, GITHUB_SERVER_URL: url }
  try {
    await assert.rejects(
      action.resolveBinary(deps({ env, pins, fetch: globalThis.fetch })),
      /refusing to run asset-linux: its SHA-256 [0-9a-f]{64} is not the pinned a{64}/
    )
    assert.equal(fs.existsSync(path.join(cache, 'ci-tracing', 'v1.2.3', 'asset-linux', 'ci-tracing')), false)
  } finally {
    server.close()
  }
})

test('without a pin, or when the download fails, the binary is built from source', async () => {
  const built = (d) => path.join(d.actionDir, 'target/release/ci-tracing')
  assert.equal(await action.resolveBinary(deps({ build: built })), path.join(here, 'target/release/ci-tracing'))
  const { server, url } = await serve('')
  server.removeAllListeners('request')
  server.on('request', (req, res) => { res.statusCode = 404; res.end() })
  const pins = { version: 'v1.2.3', assets: { 'linux-x64': { name: 'a', sha256: 'b'.repeat(64) } } }
  const logs = []
  try {
    const env = { RUNNER_TOOL_CACHE: tmp(), GITHUB_SERVER_URL: url }
    const bin = await action.resolveBinary(deps({ env, pins, fetch: globalThis.fetch, build: built, log: (l) => logs.push(l) }))
    assert.equal(bin, path.join(here, 'target/release/ci-tracing'))
    assert.match(logs.join('\n'), /::warning::downloading a failed: HTTP 404; building from source instead/)
  } finally {
    server.close()
  }
  // Another version than the pinned one has no checksum: build, never download.
  assert.ok(await action.resolveBinary(deps({ env: { INPUT_VERSION: 'v9.9.9' }, pins, build: built })))
})

test('the step exits with the binary status, arguments and token passed through', () => {
  const dir = tmp()
  const bin = path.join(dir, 'fake-ci-tracing')
  fs.writeFileSync(bin, `#!/bin/sh\necho "args: $*"\necho "token: $GITHUB_TOKEN"\necho "keep: $KEEP_ME"\nexit 3\n`, { mode: 0o755 })
  const result = spawnSync(process.execPath, [path.join(here, 'main.js')], {
    env: { PATH: process.env.PATH, CI_TRACING_BIN: bin, INPUT_COMMAND: 'gate', INPUT_LABEL: 'trace me', INPUT_TOKEN: 'ghs_input_token', KEEP_ME: 'yes' },
    encoding: 'utf8'
  })
  assert.equal(result.status, 3, result.stderr)
  assert.match(result.stdout, /args: gate --label trace me/)
  assert.match(result.stdout, /token: ghs_input_token/)
  assert.match(result.stdout, /keep: yes/)
  const bad = spawnSync(process.execPath, [path.join(here, 'main.js')], {
    env: { PATH: process.env.PATH, CI_TRACING_BIN: bin, INPUT_COMMAND: 'nope' }, encoding: 'utf8'
  })
  assert.equal(bad.status, 1)
  assert.match(bad.stdout, /::error::input command must be upload or gate/)
})
