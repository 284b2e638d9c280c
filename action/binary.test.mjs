// Tests of how the action gets its binary (binary.js, archive.js): archives made by the
// release scripts themselves from a stand-in binary, served by the fake release server
// on 127.0.0.1. The release dry run (scripts/release-dry-run.sh) repeats the main cases
// with the real release build.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import binary from './binary.js'
import { makeRelease, startFakeRelease } from './testing/fake-release.mjs'

const REPOSITORY = 'octo-org/ci-tracing'
const LINUX = 'x86_64-unknown-linux-musl'
const WINDOWS = 'x86_64-pc-windows-msvc'

function tmp (t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-tracing-binary-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A release 1.2.3 of a stand-in binary for Linux x64 and Windows, and its server. */
async function release (t, options = {}) {
  const dir = tmp(t)
  const stand = path.join(dir, 'stand-in')
  fs.writeFileSync(stand, '#!/bin/sh\necho "stand-in ci-tracing $*"\n', { mode: 0o755 })
  const dist = path.join(dir, 'dist')
  const { pins, files } = makeRelease(dist, '1.2.3', stand, [LINUX, WINDOWS])
  const server = await startFakeRelease({ repository: REPOSITORY, tag: 'v1.2.3', files, ...options })
  t.after(server.close)
  const cache = path.join(dir, 'tool-cache')
  const logs = []
  const deps = (overrides = {}) => ({
    env: { RUNNER_TOOL_CACHE: cache, GITHUB_SERVER_URL: server.url, GITHUB_ACTION_REPOSITORY: REPOSITORY },
    platform: 'linux',
    arch: 'x64',
    fetch: globalThis.fetch,
    build: () => { throw new Error('no build expected') },
    pins,
    actionDir: dir,
    log: (line) => logs.push(line),
    ...overrides
  })
  return { pins, files, server, cache, logs, deps, stand }
}

/** Every path under `dir`, relative to it. */
function tree (dir) {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort()
}

test('pins.sh pins every archive by runner OS-arch, Windows arm64 on the x64 binary', async (t) => {
  const { pins, files } = await release(t)
  assert.equal(pins.version, '1.2.3')
  assert.deepEqual(Object.keys(pins.assets).sort(), ['linux-x64', 'win32-arm64', 'win32-x64'])
  assert.equal(pins.assets['linux-x64'].name, `ci-tracing-v1.2.3-${LINUX}.tar.gz`)
  assert.equal(pins.assets['win32-arm64'].name, `ci-tracing-v1.2.3-${WINDOWS}.zip`)
  const sums = files.get('SHA256SUMS').toString()
  for (const asset of Object.values(pins.assets)) {
    assert.match(asset.sha256, /^[0-9a-f]{64}$/)
    assert.ok(sums.includes(`${asset.sha256}  ${asset.name}\n`), sums)
  }
})

test('the pinned archive is downloaded, verified, unpacked into the tool cache, then reused', async (t) => {
  const { deps, server, cache, stand, pins } = await release(t)
  const first = await binary.resolveBinary(deps())
  assert.equal(first, path.join(cache, 'ci-tracing', '1.2.3', 'x64', 'ci-tracing'))
  assert.deepEqual(fs.readFileSync(first), fs.readFileSync(stand))
  assert.ok(fs.existsSync(path.join(cache, 'ci-tracing', '1.2.3', 'x64.complete')))
  assert.match(spawnSync(first, ['--version'], { encoding: 'utf8' }).stdout, /stand-in ci-tracing --version/)
  const name = pins.assets['linux-x64'].name
  assert.equal(server.downloads(name), 1)
  assert.equal(await binary.resolveBinary(deps({ fetch: () => { throw new Error('no download expected') } })), first)
  assert.equal(server.downloads(name), 1)
  assert.deepEqual(tree(cache), ['ci-tracing', 'ci-tracing/1.2.3', 'ci-tracing/1.2.3/x64',
    'ci-tracing/1.2.3/x64.complete', 'ci-tracing/1.2.3/x64/ci-tracing', 'ci-tracing/1.2.3/x64/ci-tracing.sha256.json'])
})

test('a cached binary that was changed, or lacks its marker, is downloaded again', async (t) => {
  const { deps, server, pins, stand } = await release(t)
  const bin = await binary.resolveBinary(deps())
  fs.writeFileSync(bin, '#!/bin/sh\necho changed\n')
  assert.deepEqual(fs.readFileSync(await binary.resolveBinary(deps())), fs.readFileSync(stand))
  fs.rmSync(`${path.dirname(bin)}.complete`)
  await binary.resolveBinary(deps())
  assert.equal(server.downloads(pins.assets['linux-x64'].name), 3)
})

test('the Windows zip gives the .exe', async (t) => {
  const { deps, cache, stand } = await release(t)
  const bin = await binary.resolveBinary(deps({ platform: 'win32', arch: 'arm64' }))
  assert.equal(bin, path.join(cache, 'ci-tracing', '1.2.3', 'arm64', 'ci-tracing.exe'))
  assert.deepEqual(fs.readFileSync(bin), fs.readFileSync(stand))
})

test('a tampered archive is refused, and nothing of it is kept', async (t) => {
  const { deps, files, pins, cache } = await release(t)
  const name = pins.assets['linux-x64'].name
  const bytes = Buffer.from(files.get(name))
  bytes[bytes.length - 1] ^= 1
  files.set(name, bytes)
  await assert.rejects(binary.resolveBinary(deps()), (error) => {
    assert.match(error.message, new RegExp(`^refusing to run ${name.replace(/\./g, '\\.')}: its SHA-256 [0-9a-f]{64} is not the pinned ${pins.assets['linux-x64'].sha256} `))
    assert.doesNotMatch(error.message, /\n/)
    return true
  })
  assert.equal(fs.existsSync(cache), false)
})

test('no archive for the platform, or none on the server, is a clear error, never a build', async (t) => {
  const { deps, files, pins } = await release(t)
  await assert.rejects(binary.resolveBinary(deps({ platform: 'freebsd' })),
    /^Error: ci-tracing v1\.2\.3 has no release binary for freebsd-x64 \(only linux-x64, win32-arm64, win32-x64\): install one with `cargo install --locked ci-tracing` and set CI_TRACING_BIN to it$/)
  files.delete(pins.assets['linux-x64'].name)
  await assert.rejects(binary.resolveBinary(deps()), /downloading ci-tracing-v1\.2\.3-x86_64-unknown-linux-musl\.tar\.gz failed: HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/octo-org\/ci-tracing\/releases\/download\/v1\.2\.3\//)
})

test('a download that hangs ends at the timeout, with the temp space left clean', async (t) => {
  const name = `ci-tracing-v1.2.3-${LINUX}.tar.gz`
  const { deps, cache } = await release(t, { stall: [name] })
  await assert.rejects(binary.resolveBinary(deps({ timeoutMs: 300 })), /^Error: downloading .* timed out after 0\.3 s: re-run the job$/)
  assert.equal(fs.existsSync(cache), false)
})

test('a version input other than the action\'s own is an error; with or without v it is the same', async (t) => {
  const { deps } = await release(t)
  const env = (version) => ({ ...deps().env, INPUT_VERSION: version })
  await assert.rejects(binary.resolveBinary(deps({ env: env('v1.2.4') })),
    /^Error: input version v1\.2\.4 is not this action's own \(v1\.2\.3\): use the action at that tag \(uses: …\/ci-tracing@v1\.2\.4\) and drop the version input$/)
  assert.ok(await binary.resolveBinary(deps({ env: env('v1.2.3') })))
  assert.ok(await binary.resolveBinary(deps({ env: env(' 1.2.3 ') })))
})

test('a development ref (no pins) builds from source and says so; a version input there is an error', async (t) => {
  const logs = []
  const dev = {
    env: {},
    platform: 'linux',
    arch: 'x64',
    fetch: () => { throw new Error('no download expected') },
    build: (d) => path.join(d.actionDir, 'target/release/ci-tracing'),
    pins: { version: '', assets: {} },
    actionDir: tmp(t),
    log: (line) => logs.push(line)
  }
  assert.equal(await binary.resolveBinary(dev), path.join(dev.actionDir, 'target/release/ci-tracing'))
  assert.equal(logs.length, 1)
  assert.match(logs[0], /^::notice::this ref of the ci-tracing action is a development ref \(action\/checksums.json pins no release binary\): building it from source/)
  await assert.rejects(binary.resolveBinary({ ...dev, env: { INPUT_VERSION: '0.1.0' } }),
    /input version 0\.1\.0 is not this action's own \(a development ref with no release\)/)
})

test('CI_TRACING_BIN comes first, without download or build', async (t) => {
  const bin = path.join(tmp(t), 'ci-tracing')
  fs.writeFileSync(bin, '')
  const deps = (env) => ({ env, platform: 'linux', arch: 'x64', pins: { version: '', assets: {} }, log: () => {} })
  assert.equal(await binary.resolveBinary(deps({ CI_TRACING_BIN: bin })), bin)
  await assert.rejects(binary.resolveBinary(deps({ CI_TRACING_BIN: `${bin}-missing` })), /does not exist/)
})
