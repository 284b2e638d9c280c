// bench/action-start.sh's timer: time-to-binary of the released action (in `work`/action,
// with the pins of `work`/dist) from a fresh node process, against the fake release
// server, with an empty tool cache (cold) and a filled one (warm). Prints the medians
// in seconds as `cold warm`.
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startFakeRelease } from '../action/testing/fake-release.mjs'

const [work, version] = process.argv.slice(2)
const here = path.dirname(fileURLToPath(import.meta.url))
const dist = path.join(work, 'dist')
const actionDir = path.join(work, 'action')
fs.mkdirSync(actionDir, { recursive: true })
for (const file of ['main.js', 'binary.js', 'archive.js']) fs.copyFileSync(path.join(here, '..', 'action', file), path.join(actionDir, file))
fs.copyFileSync(path.join(dist, 'checksums.json'), path.join(actionDir, 'checksums.json'))
const files = new Map(fs.readdirSync(dist).map((name) => [name, fs.readFileSync(path.join(dist, name))]))
const server = await startFakeRelease({ repository: 'octo-org/ci-tracing', tag: `v${version}`, files })

// What main.js does before it runs the binary: load binary.js and resolve the binary.
const probe = `require(${JSON.stringify(path.join(actionDir, 'binary.js'))}).resolveBinary(require(${JSON.stringify(path.join(actionDir, 'binary.js'))}).defaultDeps()).then((bin) => console.log(bin), (e) => { console.log('::error::' + e.message); process.exitCode = 1 })`

function timeOnce (cache) {
  const env = { PATH: process.env.PATH, RUNNER_TOOL_CACHE: cache, GITHUB_SERVER_URL: server.url, GITHUB_ACTION_REPOSITORY: 'octo-org/ci-tracing' }
  const start = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', probe], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk) => { out += chunk })
    child.on('close', (status) => status === 0 ? resolve(Number(process.hrtime.bigint() - start) / 1e9) : reject(new Error(out.trim())))
  })
}

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
const cold = []
const warm = []
for (let i = 0; i < 5; i++) {
  const cache = path.join(work, `tool-cache-${i}`)
  cold.push(await timeOnce(cache))
  warm.push(await timeOnce(cache))
  fs.rmSync(cache, { recursive: true, force: true })
}
await server.close()
console.log(`${median(cold).toFixed(3)} ${median(warm).toFixed(3)}`)
