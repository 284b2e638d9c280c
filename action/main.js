// The ci-tracing action's entry point (node24, no npm dependencies).
//
// Why a JavaScript action: the runner gives ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL
// only to JavaScript and Docker actions, and `ci-tracing upload` needs both. This file
// only (1) gets the binary from binary.js (the pinned release archive for this OS/arch,
// verified and cached in the tool cache), (2) runs it with the inputs as arguments and
// the environment passed through, the `token` input as GITHUB_TOKEN, and (3) exits with
// its status. It never prints a token. `command: collect` starts the collector for the
// job instead (collect.js), and post.js stops it and uploads.
'use strict'

const { spawnSync } = require('node:child_process')
const { resolveBinary, defaultDeps } = require('./binary')
const collect = require('./collect')

const COMMANDS = ['upload', 'gate', 'collect']

/** An input as the runner passes it (INPUT_<NAME>, spaces as underscores), trimmed. */
function getInput (env, name) {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim()
}

/** A boolean input in the YAML 1.2 core forms the toolkit accepts; '' is `empty`. */
function getBoolean (env, name, empty = false) {
  const value = getInput(env, name)
  if (value === '') return empty
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  throw new Error(`input ${name} must be true or false, not "${value}"`)
}

/** The action's command input: upload (the default), gate or collect. */
function getCommand (env) {
  const command = getInput(env, 'command') || 'upload'
  if (!COMMANDS.includes(command)) {
    throw new Error(`input command must be upload, gate or collect, not "${command}"`)
  }
  return command
}

/**
 * The binary's command line for the action's inputs, as `command` (default: the
 * `command` input; collect's main step runs `gate`, its post step `upload`).
 */
function buildArgs (env, command = getCommand(env)) {
  if (command === 'collect') command = 'gate'
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
    if (getBoolean(env, 'include-hidden-files')) args.push('--include-hidden-files')
    if (!getBoolean(env, 'archive', true)) args.push('--no-archive')
    if (!getBoolean(env, 'report', true)) args.push('--no-report')
    option('--report-name', 'report-name')
    option('--report-max-spans', 'report-max-spans')
    option('--compare-with', 'compare-with')
  }
  option('--label', 'label')
  for (const branch of getInput(env, 'branch').split(/\r?\n/).map((b) => b.trim()).filter(Boolean)) {
    args.push('--branch', branch)
  }
  if (getBoolean(env, 'live')) args.push('--live')
  return args
}

/** The environment of the binary: the step's, with the `token` input as GITHUB_TOKEN. */
function childEnvironment (env) {
  const childEnv = { ...env }
  const token = getInput(env, 'token')
  if (token) childEnv.GITHUB_TOKEN = token
  return childEnv
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
  const childEnv = childEnvironment(env)
  if (getCommand(env) === 'collect') {
    try {
      return await collect.start({
        env,
        binary,
        childEnv,
        gateArgs: args,
        getInput: (name) => getInput(env, name),
        getBoolean: (name) => getBoolean(env, name),
        log: deps.log
      })
    } catch (error) {
      deps.log(`::error::${error.message}`)
      return 1
    }
  }
  const result = spawnSync(binary, args, { stdio: 'inherit', env: childEnv })
  if (result.error) {
    deps.log(`::error::cannot run ${binary}: ${result.error.message}`)
    return 1
  }
  return result.status === null ? 1 : result.status
}

module.exports = { getInput, getBoolean, getCommand, buildArgs, childEnvironment, main }

if (require.main === module) {
  main(defaultDeps()).then((status) => { process.exitCode = status })
}
