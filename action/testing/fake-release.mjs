// A local stand-in for GitHub's release downloads, for the action's tests and the
// release dry run: GET /OWNER/REPO/releases/download/TAG/NAME answers, as github.com
// does, with a redirect to the file's storage URL, which serves the bytes. It counts
// the downloads of each file (to prove a cache hit makes none), answers 404 for a file
// the release lacks, and leaves a file named in `stall` unanswered (a hung download).
// Listens on 127.0.0.1 only. makeRelease makes the release it serves with the release
// scripts themselves.
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * Starts the server for one release. `files` maps asset names to their bytes and may be
 * changed while it runs (to tamper with or remove an asset).
 */
export function startFakeRelease ({ repository, tag, files, stall = [] }) {
  const downloads = new Map()
  const prefix = `/${repository}/releases/download/${tag}/`
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url)
    if (req.method === 'GET' && url.startsWith(prefix) && files.has(url.slice(prefix.length))) {
      res.writeHead(302, { location: `/storage/${encodeURIComponent(url.slice(prefix.length))}` })
      return res.end()
    }
    const name = url.startsWith('/storage/') ? url.slice('/storage/'.length) : null
    if (req.method === 'GET' && name !== null && stall.includes(name)) return
    if (req.method === 'GET' && name !== null && files.has(name)) {
      downloads.set(name, (downloads.get(name) || 0) + 1)
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      return res.end(files.get(name))
    }
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('Not Found')
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${server.address().port}`,
      files,
      downloads: (name) => downloads.get(name) || 0,
      close: () => new Promise((done) => { server.closeAllConnections(); server.close(done) })
    }))
  })
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Runs one of scripts/release/*.sh; throws with its stderr when it fails. */
export function releaseScript (name, args) {
  const result = spawnSync('bash', [path.join(root, 'scripts', 'release', name), ...args], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${name} ${args.join(' ')} failed: ${result.stderr}`)
  return result.stdout.trim()
}

/**
 * A release of `version` made as the workflow makes one, from `binary` (a path) for each
 * of `targets`: package.sh's archives and pins.sh's SHA256SUMS and pins, in `dir`.
 * Returns the pins and the archives' bytes by name.
 */
export function makeRelease (dir, version, binary, targets) {
  for (const target of targets) releaseScript('package.sh', [target, version, binary, dir])
  const pinsFile = path.join(dir, 'checksums.json')
  releaseScript('pins.sh', [version, dir, pinsFile])
  const files = new Map()
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith('.tar.gz') || name.endsWith('.zip') || name === 'SHA256SUMS') {
      files.set(name, fs.readFileSync(path.join(dir, name)))
    }
  }
  return { pins: JSON.parse(fs.readFileSync(pinsFile, 'utf8')), files }
}
