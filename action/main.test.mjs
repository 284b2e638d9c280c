// Tests of the action's entry point: input mapping, the arguments and token passed
// through, and exit status (binary.test.mjs tests how the binary is found).
// Run with `node --test action/`.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import action from './main.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const made = []
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-tracing-action-'))
  made.push(dir)
  return dir
}
after(() => { for (const dir of made) fs.rmSync(dir, { recursive: true, force: true }) })

test('upload inputs become flags, multi-line paths become arguments', () => {
  const args = action.buildArgs({
    'INPUT_PATH': 'traces/a.json\n\n  traces/b/*.json  \n',
    INPUT_NAME: 'trace-data',
    'INPUT_RETENTION-DAYS': '7',
    'INPUT_COMPRESSION-LEVEL': '9',
    INPUT_OVERWRITE: 'true',
    'INPUT_IF-NO-FILES-FOUND': 'error',
    INPUT_LABEL: 'enable tracing',
    INPUT_LIVE: 'TRUE',
    'INPUT_INCLUDE-HIDDEN-FILES': 'true',
    INPUT_ARCHIVE: 'false',
    INPUT_REPORT: 'False',
    'INPUT_REPORT-NAME': 'smoke.html',
    'INPUT_REPORT-MAX-SPANS': '5000'
  })
  assert.deepEqual(args, [
    'upload', 'traces/a.json', 'traces/b/*.json', '--name', 'trace-data',
    '--retention-days', '7', '--compression-level', '9', '--if-no-files-found', 'error',
    '--overwrite', '--include-hidden-files', '--no-archive', '--no-report',
    '--report-name', 'smoke.html', '--report-max-spans', '5000',
    '--label', 'enable tracing', '--live'
  ])
})

test('compare-with goes to upload (and the collect post step), branch lines to every gate', () => {
  const env = { 'INPUT_COMPARE-WITH': 'branch:main', INPUT_BRANCH: 'main\n  release/1.x \n' }
  assert.deepEqual(action.buildArgs(env), [
    'upload', '--compare-with', 'branch:main', '--branch', 'main', '--branch', 'release/1.x'
  ])
  assert.deepEqual(action.buildArgs({ ...env, INPUT_COMMAND: 'collect' }), [
    'gate', '--branch', 'main', '--branch', 'release/1.x'
  ])
  assert.deepEqual(action.buildArgs({ ...env, INPUT_COMMAND: 'collect' }, 'upload'), [
    'upload', '--compare-with', 'branch:main', '--branch', 'main', '--branch', 'release/1.x'
  ])
  assert.deepEqual(action.buildArgs({ 'INPUT_COMPARE-WITH': '  ', INPUT_BRANCH: '' }), ['upload'])
})

test('archive and report are on unless turned off', () => {
  assert.deepEqual(action.buildArgs({ INPUT_ARCHIVE: 'true', INPUT_REPORT: 'true' }), ['upload'])
  assert.throws(() => action.buildArgs({ INPUT_ARCHIVE: 'no' }), /archive must be true or false/)
})

test('gate takes only the gate inputs and upload is the default command', () => {
  assert.deepEqual(action.buildArgs({ INPUT_COMMAND: 'gate', INPUT_NAME: 'x', INPUT_LIVE: 'false' }), ['gate'])
  assert.deepEqual(action.buildArgs({}), ['upload'])
  assert.throws(() => action.buildArgs({ INPUT_COMMAND: 'fetch-traces' }), /must be upload, gate or collect/)
  assert.throws(() => action.buildArgs({ INPUT_OVERWRITE: 'yes' }), /overwrite must be true or false/)
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
  assert.match(bad.stdout, /::error::input command must be upload, gate or collect/)
})
