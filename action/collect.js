// `command: collect`: the collector runs for the whole job, and the post step uploads.
//
// Main step: run the gate; when tracing is on, start `ci-tracing collect` detached (its
// own process group, output to a log file, not waited for), wait for its ready file, and
// set the outputs `enabled`, `otlp-endpoint` and `otlp-grpc-endpoint` (and with
// `export-env`, OTEL_EXPORTER_OTLP_ENDPOINT for the later steps). What the post step
// needs (pid, files, binary) goes to GITHUB_STATE; the runner hands it back as STATE_*.
// The runner ends orphaned processes only after the post steps, so the collector
// outlives the main step and serves every step of the job.
//
// Post step (`post-if: always()`, so also after a failed or cancelled job): SIGTERM the
// collector, wait (bounded) for it to flush and exit, show its log, then run `upload`
// with the action's upload inputs. Every wait here is bounded.
'use strict'

const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawn, spawnSync } = require('node:child_process')

const READY_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 60_000
const POLL_MS = 100

/** Appends `name` = `value` to a runner file command (GITHUB_OUTPUT, _ENV, _STATE). */
function fileCommand (file, name, value) {
  if (!file) return
  const delimiter = `ghadelimiter_${crypto.randomUUID()}`
  fs.appendFileSync(file, `${name}<<${delimiter}${os.EOL}${value}${os.EOL}${delimiter}${os.EOL}`)
}

/** Reads `name` from a file the runner's file commands format (both forms). */
function readFileCommand (text, name) {
  const lines = text.split(/\r?\n/)
  let value = null
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (line.startsWith(`${name}=`)) value = line.slice(name.length + 1)
    if (line.startsWith(`${name}<<`)) {
      const delimiter = line.slice(name.length + 2)
      const end = lines.indexOf(delimiter, i + 1)
      if (end < 0) break
      value = lines.slice(i + 1, end).join('\n')
      i = end
    }
  }
  return value
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** HOST:PORT to listen on; IPv6 hosts in brackets. */
function address (host, port) {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`
}

/** The collector's options from the inputs; throws on a value it cannot take. */
function collectOptions (getInput) {
  const listen = getInput('listen') || '127.0.0.1'
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(listen)) {
    throw new Error(`input listen must be an address such as 127.0.0.1 or 0.0.0.0, not "${listen}"`)
  }
  const port = (name, fallback) => {
    const value = getInput(name) || fallback
    if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
      throw new Error(`input ${name} must be a port number (0 picks a free one), not "${value}"`)
    }
    return value
  }
  const paths = getInput('path').split(/\r?\n/).map((p) => p.trim()).filter(Boolean)
  const output = paths[0] || 'integration-tests/smoke/traces/trace-data.json'
  if (/[*?[\]]/.test(output)) {
    throw new Error(`with command collect, the first line of input path names the file the collector writes, and "${output}" is a pattern: name a file`)
  }
  return {
    output,
    http: address(listen, port('http-port', '4318')),
    grpc: address(listen, port('grpc-port', '4317'))
  }
}

/** An endpoint URL for clients on this machine: a wildcard address becomes loopback. */
function endpointUrl (bound) {
  if (!bound) return ''
  const local = bound.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:')
  return `http://${local}`
}

/** The last lines of the collector's log, for an error message. */
function logTail (file) {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ')
  } catch {
    return '(no log)'
  }
}

/** Runs the gate with its outputs in a file of its own; returns [status, enabled]. */
function runGate (binary, gateArgs, env, dir) {
  const outputs = path.join(dir, 'gate-outputs')
  fs.writeFileSync(outputs, '')
  const result = spawnSync(binary, gateArgs, { stdio: 'inherit', env: { ...env, GITHUB_OUTPUT: outputs } })
  if (result.error) throw new Error(`cannot run ${binary}: ${result.error.message}`)
  const enabled = readFileCommand(fs.readFileSync(outputs, 'utf8'), 'enabled') === 'true'
  return [result.status === null ? 1 : result.status, enabled]
}

/** Waits for the ready file; throws when the collector exits first or takes too long. */
async function waitReady (child, ready, log, timeoutMs) {
  let exited = null
  child.on('exit', (code, signal) => { exited = signal || `status ${code}` })
  child.on('error', (error) => { exited = error.message })
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const info = JSON.parse(fs.readFileSync(ready, 'utf8'))
      if (info && (info.http || info.grpc)) return info
    } catch {
      // Not there yet, or not written in full yet.
    }
    if (exited !== null) {
      throw new Error(`ci-tracing collect exited (${exited}) before it was ready: ${logTail(log)}`)
    }
    if (Date.now() > deadline) {
      try { process.kill(child.pid, 'SIGTERM') } catch {}
      throw new Error(`ci-tracing collect was not ready within ${timeoutMs / 1000} s (stopped it): ${logTail(log)}`)
    }
    await sleep(POLL_MS)
  }
}

/** The main step of `command: collect`; returns the exit status. */
async function start ({ env, binary, childEnv, gateArgs, getInput, getBoolean, log, readyTimeoutMs }) {
  const options = collectOptions(getInput)
  const exportEnv = getBoolean('export-env')
  const temp = env.RUNNER_TEMP || os.tmpdir()
  fs.mkdirSync(temp, { recursive: true })
  const dir = fs.mkdtempSync(path.join(temp, 'ci-tracing-collect-'))
  const [status, enabled] = runGate(binary, gateArgs, childEnv, dir)
  if (status !== 0) return status
  fileCommand(env.GITHUB_OUTPUT, 'enabled', String(enabled))
  if (!enabled) {
    log('tracing is off for this job: the collector is not started, and the post step uploads nothing')
    return 0
  }
  const ready = path.join(dir, 'ready.json')
  const logFile = path.join(dir, 'collect.log')
  fs.mkdirSync(path.dirname(path.resolve(options.output)), { recursive: true })
  const args = ['collect', '-o', options.output, '--http', options.http, '--grpc', options.grpc, '--ready-file', ready]
  const fd = fs.openSync(logFile, 'a')
  let child
  try {
    child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env: childEnv })
  } finally {
    fs.closeSync(fd)
  }
  child.unref()
  const info = await waitReady(child, ready, logFile, readyTimeoutMs || READY_TIMEOUT_MS)
  const http = endpointUrl(info.http)
  const grpc = endpointUrl(info.grpc)
  fileCommand(env.GITHUB_OUTPUT, 'otlp-endpoint', http)
  fileCommand(env.GITHUB_OUTPUT, 'otlp-grpc-endpoint', grpc)
  if (exportEnv && http) fileCommand(env.GITHUB_ENV, 'OTEL_EXPORTER_OTLP_ENDPOINT', http)
  fileCommand(env.GITHUB_STATE, 'collect_pid', String(info.pid || child.pid))
  fileCommand(env.GITHUB_STATE, 'collect_log', logFile)
  fileCommand(env.GITHUB_STATE, 'collect_output', options.output)
  fileCommand(env.GITHUB_STATE, 'binary', binary)
  log(`ci-tracing collect (pid ${info.pid || child.pid}) receives OTLP/HTTP at ${http || 'nowhere'} and OTLP/gRPC at ${grpc || 'nowhere'}, writing ${options.output}; the post step stops it and uploads`)
  return 0
}

/** Whether a process is still running (a zombie has finished). */
function running (pid) {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return error.code === 'EPERM'
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) [ZX]/.test(stat)
  } catch {
    return true
  }
}

/** Stops the collector: SIGTERM, then waits for it to exit, at most `timeoutMs`. */
async function stopCollector (pid, logFile, log, timeoutMs) {
  if (!running(pid)) {
    log(`::warning::ci-tracing collect (pid ${pid}) had stopped before the post step: ${logTail(logFile)}`)
    return
  }
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + timeoutMs
  while (running(pid)) {
    if (Date.now() > deadline) {
      log(`::warning::ci-tracing collect (pid ${pid}) did not exit within ${timeoutMs / 1000} s of SIGTERM; uploading what it has written`)
      return
    }
    await sleep(POLL_MS)
  }
}

/**
 * The post step: stops the collector the main step started and runs `upload`; returns
 * the exit status. Without a started collector (other commands, gate off) it does nothing.
 */
async function stop ({ env, childEnv, uploadArgs, log, resolveBinary, stopTimeoutMs }) {
  const pid = Number(env.STATE_collect_pid || '')
  if (!Number.isInteger(pid) || pid <= 0) return 0
  const logFile = env.STATE_collect_log || ''
  await stopCollector(pid, logFile, log, stopTimeoutMs || STOP_TIMEOUT_MS)
  log('::group::ci-tracing collect log')
  try {
    log(fs.readFileSync(logFile, 'utf8').trimEnd())
  } catch {
    log('(no log)')
  }
  log('::endgroup::')
  const binary = env.STATE_binary && fs.existsSync(env.STATE_binary) ? env.STATE_binary : await resolveBinary()
  const result = spawnSync(binary, uploadArgs, { stdio: 'inherit', env: childEnv })
  if (result.error) {
    log(`::error::cannot run ${binary}: ${result.error.message}`)
    return 1
  }
  return result.status === null ? 1 : result.status
}

module.exports = { start, stop, collectOptions, endpointUrl, readFileCommand, fileCommand }
