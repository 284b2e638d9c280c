// The action's post step (`runs.post`, `post-if: always()`): the runner runs it after the
// job's steps, also when the job failed or was cancelled. With `command: collect` it
// stops the collector the main step started and uploads what it wrote (collect.js);
// for the other commands, and when the gate was off, it does nothing.
'use strict'

const { resolveBinary, defaultDeps } = require('./binary')
const { buildArgs, childEnvironment } = require('./main')
const collect = require('./collect')

/** Runs the post step; returns the exit status. */
async function post (deps) {
  const env = deps.env
  if (!env.STATE_collect_pid) return 0
  try {
    return await collect.stop({
      env,
      childEnv: childEnvironment(env),
      uploadArgs: buildArgs(env, 'upload'),
      log: deps.log,
      resolveBinary: () => resolveBinary(deps)
    })
  } catch (error) {
    deps.log(`::error::${error.message}`)
    return 1
  }
}

module.exports = { post }

if (require.main === module) {
  post(defaultDeps()).then((status) => { process.exitCode = status })
}
