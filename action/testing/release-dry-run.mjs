// The release dry run's tests (scripts/release-dry-run.sh runs them with `node --test`):
// the action, as a released commit carries it (every action/*.js file and the
// checksums.json that pins.sh wrote), against a fake release server holding the archive
// the release scripts built and packed on this machine. CI_TRACING_DIST names that
// release's folder and CI_TRACING_VERSION its version.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { releaseScript, startFakeRelease } from './fake-release.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const REPOSITORY = 'octo-org/ci-tracing'
const dist = process.env.CI_TRACING_DIST
const version = process.env.CI_TRACING_VERSION
if (!dist || !version) throw new Error('run through scripts/release-dry-run.sh (CI_TRACING_DIST and CI_TRACING_VERSION are not set)')

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-tracing-dry-run-'))
const actionDir = path.join(work, 'action')
const pins = JSON.parse(fs.readFileSync(path.join(dist, 'checksums.json'), 'utf8'))
const asset = pins.assets[`${process.platform}-${process.arch}`]
const files = new Map()
let server

before(async () => {
  fs.mkdirSync(actionDir)
  for (const file of fs.readdirSync(path.join(here, '..')).filter((name) => name.endsWith('.js'))) fs.copyFileSync(path.join(here, '..', file), path.join(actionDir, file))
  fs.copyFileSync(path.join(dist, 'checksums.json'), path.join(actionDir, 'checksums.json'))
  for (const name of fs.readdirSync(dist)) files.set(name, fs.readFileSync(path.join(dist, name)))
  server = await startFakeRelease({ repository: REPOSITORY, tag: `v${version}`, files })
})

after(async () => {
  await server.close()
  fs.rmSync(work, { recursive: true, force: true })
})

/** A fresh tool cache and step environment, as a runner gives a `gate` step on a push. */
function runner (name) {
  const dir = path.join(work, name)
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, 'output'), '')
  return {
    dir,
    env: {
      PATH: process.env.PATH,
      RUNNER_TOOL_CACHE: path.join(dir, 'tool-cache'),
      GITHUB_SERVER_URL: server.url,
      GITHUB_ACTION_REPOSITORY: REPOSITORY,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_OUTPUT: path.join(dir, 'output'),
      INPUT_COMMAND: 'gate'
    }
  }
}

/** Runs the released action's main.js as the runner does; resolves to its status and output. */
function runAction (env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(actionDir, 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => { stdout += chunk })
    child.stderr.on('data', (chunk) => { stderr += chunk })
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

test('the pins cover this runner and name the archive the release scripts made', () => {
  assert.ok(asset, `no pin for ${process.platform}-${process.arch} in ${JSON.stringify(pins)}`)
  assert.equal(pins.version, version)
  assert.match(fs.readFileSync(path.join(dist, 'SHA256SUMS'), 'utf8'), new RegExp(`^${asset.sha256}  ${asset.name}$`, 'm'))
})

test('the released action downloads and verifies the binary, which runs --version and the step', async () => {
  const { env, dir } = runner('first')
  const resolve = createRequire(path.join(actionDir, 'main.js'))('./binary.js')
  const bin = await resolve.resolveBinary({ ...resolve.defaultDeps(), env, log: () => {} })
  assert.equal(bin, path.join(env.RUNNER_TOOL_CACHE, 'ci-tracing', version, process.arch, 'ci-tracing'))
  const shown = spawnSync(bin, ['--version'], { encoding: 'utf8' })
  assert.equal(shown.stdout.trim(), `ci-tracing ${version}`, shown.stderr)
  const step = await runAction(env)
  assert.equal(step.status, 0, step.stdout + step.stderr)
  assert.match(fs.readFileSync(path.join(dir, 'output'), 'utf8'), /enabled=false/)
  assert.equal(server.downloads(asset.name), 1)
})

test('a second step on the runner takes the binary from the tool cache, with no download', async () => {
  const { env } = runner('cached')
  const before = server.downloads(asset.name)
  assert.equal((await runAction(env)).status, 0)
  assert.equal((await runAction(env)).status, 0)
  assert.equal(server.downloads(asset.name), before + 1)
})

test('a tampered archive is refused with one error line, and its binary never runs', async () => {
  const { env, dir } = runner('tampered')
  const marker = path.join(dir, 'the-tampered-binary-ran')
  const evil = path.join(dir, 'evil')
  fs.writeFileSync(evil, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 })
  const target = asset.name.slice(`ci-tracing-v${version}-`.length).replace(/\.(tar\.gz|zip)$/, '')
  const tampered = releaseScript('package.sh', [target, version, evil, path.join(dir, 'dist')])
  const original = files.get(asset.name)
  files.set(asset.name, fs.readFileSync(tampered))
  try {
    const step = await runAction(env)
    assert.equal(step.status, 1)
    assert.match(step.stdout, new RegExp(`^::error::refusing to run ${asset.name.replace(/\./g, '\\.')}: its SHA-256 [0-9a-f]{64} is not the pinned ${asset.sha256} [^\\n]*\\n$`))
    assert.equal(step.stderr, '')
    assert.equal(fs.existsSync(marker), false)
    assert.equal(fs.existsSync(env.RUNNER_TOOL_CACHE), false)
  } finally {
    files.set(asset.name, original)
  }
})

test('a release without this runner\'s archive is a clear error, not a build', async () => {
  const { env } = runner('missing')
  const original = files.get(asset.name)
  files.delete(asset.name)
  try {
    const step = await runAction(env)
    assert.equal(step.status, 1)
    assert.match(step.stdout, new RegExp(`^::error::downloading ${asset.name.replace(/\./g, '\\.')} failed: HTTP 404 from [^\\n]* \\(is the release published with its assets\\?\\)\\n$`))
  } finally {
    files.set(asset.name, original)
  }
  const resolve = createRequire(path.join(actionDir, 'main.js'))('./binary.js')
  await assert.rejects(resolve.resolveBinary({ ...resolve.defaultDeps(), env, platform: 'aix', arch: 'ppc64' }),
    new RegExp(`^Error: ci-tracing v${version.replace(/\./g, '\\.')} has no release binary for aix-ppc64 \\(only [^)]*linux-x64[^)]*\\): install one with`))
})
