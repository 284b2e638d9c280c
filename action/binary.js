// How the action gets the ci-tracing binary it runs, without npm dependencies.
//
// A released tag of the action carries, in checksums.json, its own version and the
// SHA-256 of each release archive (the release workflow commits them with
// scripts/release/pins.sh). The action downloads the archive for the runner's OS and
// architecture from the release of that version, checks the SHA-256 before anything
// else, takes the binary out and caches it in the runner's tool cache
// (RUNNER_TOOL_CACHE/ci-tracing/<version>/<arch>/ with a sibling <arch>.complete marker,
// the layout of @actions/tool-cache), so later steps and jobs on the runner skip the
// download. A mismatch is refused and nothing from the download is run or kept.
//
// Only a commit without pins (a development ref) builds from source, and says so. A
// `version` input that is not the action's own is an error: one tag of the action runs
// one release. CI_TRACING_BIN, when set, names a binary to run instead of all this.
'use strict'

const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { extractMember } = require('./archive')

const ACTION_DIR = path.resolve(__dirname, '..')
const TOOL = 'ci-tracing'
/** The file in a cache entry that says which archive it came from. */
const RECORD = 'ci-tracing.sha256.json'
const DOWNLOAD_TIMEOUT_MS = 120_000
const MAX_ARCHIVE_BYTES = 128 * 1024 * 1024

function sha256 (bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex')
}

function exeName (platform) {
  return platform === 'win32' ? `${TOOL}.exe` : TOOL
}

/** A version without its tag's leading `v`. */
function bare (version) {
  return String(version || '').trim().replace(/^v/, '')
}

/**
 * The pinned archive for this runner (name, sha256, version), or null when this commit
 * pins no archive at all (a development ref). Throws when the `version` input names
 * another release, or when the release has no archive for this OS and architecture.
 */
function pinnedAsset (pins, platform, arch, requested) {
  const own = bare(pins.version)
  if (bare(requested) && bare(requested) !== own) {
    const mine = own ? `v${own}` : 'a development ref with no release'
    throw new Error(`input version ${requested} is not this action's own (${mine}): use the action at that tag (uses: …/ci-tracing@v${bare(requested)}) and drop the version input`)
  }
  const assets = pins.assets || {}
  if (!Object.values(assets).some((asset) => asset.sha256)) return null
  const asset = assets[`${platform}-${arch}`]
  if (!asset || !asset.sha256) {
    throw new Error(`ci-tracing v${own} has no release binary for ${platform}-${arch} (only ${Object.keys(assets).join(', ')}): install one with \`cargo install --locked ci-tracing\` and set CI_TRACING_BIN to it`)
  }
  return { ...asset, version: own }
}

/** The tool-cache folder of this version and architecture. */
function cacheFolder (deps, version) {
  const root = deps.env.RUNNER_TOOL_CACHE || path.join(os.tmpdir(), 'ci-tracing-tool-cache')
  return path.join(root, TOOL, version, deps.arch)
}

/** The cached binary of `asset`, if the cache holds it complete and unchanged. */
function cachedBinary (folder, asset, exe) {
  if (!fs.existsSync(`${folder}.complete`)) return null
  const binary = path.join(folder, exe)
  try {
    const record = JSON.parse(fs.readFileSync(path.join(folder, RECORD), 'utf8'))
    const intact = record.archive === asset.name && record.archiveSha256 === asset.sha256 &&
      record.binarySha256 === sha256(fs.readFileSync(binary))
    return intact ? binary : null
  } catch {
    return null
  }
}

/** The release archive's bytes, within the time and size bounds. */
async function download (url, name, deps) {
  const timeout = deps.timeoutMs || DOWNLOAD_TIMEOUT_MS
  const signal = AbortSignal.timeout(timeout)
  try {
    const response = await deps.fetch(url, { signal, redirect: 'follow' })
    if (!response.ok) {
      throw new Error(`downloading ${name} failed: HTTP ${response.status} from ${url} (is the release published with its assets?)`)
    }
    const chunks = []
    let size = 0
    for await (const chunk of response.body) {
      size += chunk.length
      if (size > MAX_ARCHIVE_BYTES) throw new Error(`downloading ${name} failed: larger than ${MAX_ARCHIVE_BYTES} bytes`)
      chunks.push(chunk)
    }
    return Buffer.concat(chunks)
  } catch (error) {
    if (signal.aborted) throw new Error(`downloading ${name} timed out after ${timeout / 1000} s: re-run the job`)
    if (error.message.startsWith('downloading ')) throw error
    throw new Error(`downloading ${name} from ${url} failed: ${error.cause ? error.cause.message : error.message}`)
  }
}

/** Puts the verified binary into the tool cache: a staging folder renamed into place. */
function install (folder, exe, record, binary) {
  const staging = `${folder}.partial-${process.pid}-${crypto.randomBytes(4).toString('hex')}`
  try {
    fs.mkdirSync(staging, { recursive: true })
    fs.writeFileSync(path.join(staging, exe), binary, { mode: 0o755 })
    fs.writeFileSync(path.join(staging, RECORD), `${JSON.stringify(record)}\n`)
    fs.rmSync(`${folder}.complete`, { force: true })
    fs.rmSync(folder, { recursive: true, force: true })
    fs.renameSync(staging, folder)
    fs.writeFileSync(`${folder}.complete`, '')
  } finally {
    fs.rmSync(staging, { recursive: true, force: true })
  }
  return path.join(folder, exe)
}

/** The binary of the pinned release: from the tool cache, else downloaded and verified. */
async function fetchRelease (asset, deps) {
  const exe = exeName(deps.platform)
  const folder = cacheFolder(deps, asset.version)
  const hit = cachedBinary(folder, asset, exe)
  if (hit) return hit
  const server = (deps.env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/$/, '')
  const repository = deps.env.GITHUB_ACTION_REPOSITORY || 'OWNER/ci-tracing'
  const url = `${server}/${repository}/releases/download/v${asset.version}/${asset.name}`
  const archive = await download(url, asset.name, deps)
  const digest = sha256(archive)
  if (digest !== asset.sha256) {
    throw new Error(`refusing to run ${asset.name}: its SHA-256 ${digest} is not the pinned ${asset.sha256} (the download was changed or corrupted; re-run the job, and report it if it persists)`)
  }
  const stem = asset.name.replace(/\.(tar\.gz|zip)$/, '')
  const binary = extractMember(asset.name, archive, `${stem}/${exe}`)
  const record = { archive: asset.name, archiveSha256: digest, binarySha256: sha256(binary) }
  try {
    return install(folder, exe, record, binary)
  } catch (error) {
    // Another job on this runner may have put the same binary in place first.
    const theirs = cachedBinary(folder, asset, exe)
    if (theirs) return theirs
    throw new Error(`cannot put ci-tracing into the tool cache ${folder}: ${error.message}`)
  }
}

/** `cargo build --release --locked` in the action's checkout; returns the binary. */
function buildFromSource (deps) {
  const result = spawnSync('cargo', ['build', '--release', '--locked'], {
    cwd: deps.actionDir, stdio: ['ignore', 2, 2], env: deps.env
  })
  if (result.error || result.status !== 0) {
    throw new Error('this development ref of ci-tracing has no release binary and `cargo build --release --locked` failed: install Rust before this step, or use a released tag (uses: …/ci-tracing@v1)')
  }
  return path.join(deps.actionDir, 'target', 'release', exeName(deps.platform))
}

/** Finds the binary to run: CI_TRACING_BIN, the pinned release, else a source build. */
async function resolveBinary (deps) {
  const { env } = deps
  if (env.CI_TRACING_BIN) {
    if (!fs.existsSync(env.CI_TRACING_BIN)) throw new Error(`CI_TRACING_BIN ${env.CI_TRACING_BIN} does not exist`)
    return env.CI_TRACING_BIN
  }
  const asset = pinnedAsset(deps.pins, deps.platform, deps.arch, env.INPUT_VERSION)
  if (asset) return fetchRelease(asset, deps)
  deps.log('::notice::this ref of the ci-tracing action is a development ref (action/checksums.json pins no release binary): building it from source with `cargo build --release --locked`')
  return deps.build(deps)
}

/** What resolveBinary needs, from this process and the action's own checksums.json. */
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

module.exports = { pinnedAsset, resolveBinary, defaultDeps, cacheFolder }
