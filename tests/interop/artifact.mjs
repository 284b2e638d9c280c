// The official artifact client (@actions/artifact) against whatever ACTIONS_RESULTS_URL
// names, for the interoperability tests and the upload benchmark.
//
//   node artifact.mjs upload NAME ROOT_DIR LEVEL FILE...   -> RESULT {"id","size","digest"}
//   node artifact.mjs upload-raw FILE                      -> the same, unzipped (skipArchive)
//   node artifact.mjs download ID DIR [sha256:HEX]          -> RESULT {"downloadPath","digestMismatch"}
//
// The client logs through @actions/core on stdout; the answer is the last line, after
// "RESULT ". Exits 1 with the error message when the client throws.
import { DefaultArtifactClient } from '@actions/artifact'

const [command, ...args] = process.argv.slice(2)
const client = new DefaultArtifactClient()

async function main () {
  if (command === 'upload') {
    const [name, root, level, ...files] = args
    const result = await client.uploadArtifact(name, files, root, {
      compressionLevel: Number(level)
    })
    return result
  }
  if (command === 'upload-raw') {
    const [file] = args
    const root = file.substring(0, file.lastIndexOf('/')) || '/'
    return await client.uploadArtifact('ignored', [file], root, { skipArchive: true })
  }
  if (command === 'download') {
    const [id, dir, expectedHash] = args
    return await client.downloadArtifact(Number(id), { path: dir, expectedHash })
  }
  throw new Error(`unknown command ${command}`)
}

main().then(
  (result) => { console.log(`RESULT ${JSON.stringify(result)}`) },
  (error) => { console.error(`official client failed: ${error.message}`); process.exit(1) }
)
