// The ci-tracing action's entry point (node24, no npm dependencies).
//
// Why a JavaScript action: the runner gives ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL
// only to JavaScript and Docker actions, and `ci-tracing upload` needs both. This file
// only (1) finds the binary — CI_TRACING_BIN, else the release asset for this OS/arch
// checked against the SHA-256 pinned in checksums.json and cached under
// RUNNER_TOOL_CACHE, else `cargo build --release --locked` from the action's checkout —
// (2) runs it with the inputs as arguments and the environment passed through, the
// `token` input as GITHUB_TOKEN, and (3) exits with its status. It never prints a token
// and never runs a downloaded file whose checksum does not match its pin.
'use strict'

const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const ACTION_DIR = path.resolve(__dirname, '..')
const COMMANDS = ['upload', 'gate']

/** An input as the runner passes it (INPUT_<NAME>, spaces as underscores), trimmed. */
function getInput (env, name) {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim()
}

/** A boolean input in the YAML 1.2 core forms the toolkit accepts; '' is false. */
function getBoolean (env, name) {
  const value = getInput(env, name)
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE', ''].includes(value)) return false
  throw new Error(`input ${name} must be true or false, not "${value}"`)
}

/** The binary's command line for the action's inputs. */
function buildArgs (env) {
  const command = getInput(env, 'command') || 'upload'
  if (!COMMANDS.includes(command)) {
    throw new Error(`input command must be upload or gate, not "${command}"`)
  }
  const args = [command]
  const option = (flag, name) => {
    const value = getInput(env, name)
    if (value) args.push(flag, value)
  }
  if (command === 'upload') {
    const paths = getInput(env, 'path').split(/\r?\n/).map((p) => p.trim()).filter(Boolean)
    args.push(...paths)
    option('--name', 'name')
    option('--retention-days', 'retention-days')
    option('--compression-level', 'compression-level')
    option('--if-no-files-found', 'if-no-files-found')
    if (getBoolean(env, 'overwrite')) args.push('--overwrite')
  }
  option('--label', 'label')
  if (getBoolean(env, 'live')) args.push('--live')
  return args
}

function sha256 (file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

/** The pinned asset for this platform, or null. */
function pinnedAsset (pins, platform, arch, version) {
  const asset = pins.assets[`${platform}-${arch}`]
  if (!asset || !asset.sha256 || (version && version !== pins.version)) return null
  return { ...asset, version: pins.version }
}

/** Downloads and verifies the pinned asset into the tool cache; returns its path. */
async function fetchRelease (asset, deps) {
  const { env } = deps
  const exe = asset.name.endsWith('.exe') ? 'ci-tracing.exe' : 'ci-tracing'
  const cacheDir = path.join(env.RUNNER_TOOL_CACHE || path.join(ACTION_DIR, '.cache'),
    'ci-tracing', asset.version, asset.name)
  const cached = path.join(cacheDir, exe)
  if (fs.existsSync(cached) && sha256(cached) === asset.sha256) return cached
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/$/, '')
  const repository = env.GITHUB_ACTION_REPOSITORY || 'OWNER/ci-tracing'
  const url = `${server}/${repository}/releases/download/${asset.version}/${asset.name}`
  const response = await deps.fetch(url)
  if (!response.ok) throw new Error(`downloading ${asset.name} failed: HTTP ${response.status}`)
  const bytes = Buffer.from(await response.arrayBuffer())
  const digest = crypto.createHash('sha256').update(bytes).digest('hex')
  if (digest !== asset.sha256) {
    const error = new Error(`refusing to run ${asset.name}: its SHA-256 ${digest} is not the pinned ${asset.sha256}`)
    error.checksum = true
    throw error
  }
  fs.mkdirSync(cacheDir, { recursive: true })
  const partial = `${cached}.partial-${process.pid}`
  fs.writeFileSync(partial, bytes, { mode: 0o755 })
  fs.renameSync(partial, cached)
  return cached
}

/** `cargo build --release --locked` in the action's checkout; returns the binary. */
function buildFromSource (deps) {
  const result = spawnSync('cargo', ['build', '--release', '--locked'], {
    cwd: deps.actionDir, stdio: ['ignore', 2, 2], env: deps.env
  })
  if (result.error || result.status !== 0) {
    throw new Error('no ci-tracing binary: no pinned release asset for this runner and `cargo build --release --locked` failed (install Rust, or set CI_TRACING_BIN)')
  }
  const exe = deps.platform === 'win32' ? 'ci-tracing.exe' : 'ci-tracing'
  return path.join(deps.actionDir, 'target', 'release', exe)
}

/** Finds the binary: CI_TRACING_BIN, a verified release asset, else a source build. */
async function resolveBinary (deps) {
  const { env } = deps
  if (env.CI_TRACING_BIN) {
    if (!fs.existsSync(env.CI_TRACING_BIN)) throw new Error(`CI_TRACING_BIN ${env.CI_TRACING_BIN} does not exist`)
    return env.CI_TRACING_BIN
  }
  const asset = pinnedAsset(deps.pins, deps.platform, deps.arch, getInput(env, 'version'))
  if (asset) {
    try {
      return await fetchRelease(asset, deps)
    } catch (error) {
      if (error.checksum) throw error
      deps.log(`::warning::${error.message}; building from source instead`)
    }
  }
  return deps.build(deps)
}

/** Runs the action; returns the exit status. */
async function main (deps) {
  const env = deps.env
  let args
  let binary
  try {
    args = buildArgs(env)
    binary = await resolveBinary(deps)
  } catch (error) {
    deps.log(`::error::${error.message}`)
    return 1
  }
  const childEnv = { ...env }
  const token = getInput(env, 'token')
  if (token) childEnv.GITHUB_TOKEN = token
  const result = spawnSync(binary, args, { stdio: 'inherit', env: childEnv })
  if (result.error) {
    deps.log(`::error::cannot run ${binary}: ${result.error.message}`)
    return 1
  }
  return result.status === null ? 1 : result.status
}

function defaultDeps () {
  return {
    env: process.env,
    platform: process.platform,
    arch: process.arch,
    fetch: globalThis.fetch,
    build: buildFromSource,
    pins: JSON.parse(fs.readFileSync(path.join(__dirname, 'checksums.json'), 'utf8')),
    actionDir: ACTION_DIR,
    log: (line) => console.log(line)
  }
}

module.exports = { getInput, getBoolean, buildArgs, pinnedAsset, resolveBinary, main, defaultDeps }

if (require.main === module) {
  main(defaultDeps()).then((status) => { process.exitCode = status })
}
