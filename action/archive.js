// Reads one file out of a release archive held in memory: the `.tar.gz` (ustar) and
// `.zip` archives that scripts/release/package.sh makes. The action needs no npm
// dependencies and no `tar`/`unzip` on the runner (job containers may lack them); the
// archive's SHA-256 has been checked against its pin before it gets here, so these
// readers only need to be correct for well-formed archives, and stop at the end of the
// buffer on anything else.
'use strict'

const zlib = require('node:zlib')

/** The largest file this reader unpacks (the binary is a few MiB). */
const MAX_UNPACKED = 256 * 1024 * 1024

/** A NUL-terminated header field. */
function field (buffer, start, length) {
  const bytes = buffer.subarray(start, start + length)
  const end = bytes.indexOf(0)
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8')
}

/** The regular file `member` of an uncompressed ustar archive, or null. */
function tarMember (tar, member) {
  let offset = 0
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const name = field(header, 0, 100)
    const prefix = field(header, 257, 6) === 'ustar' ? field(header, 345, 155) : ''
    const size = parseInt(field(header, 124, 12).trim() || '0', 8)
    const type = field(header, 156, 1)
    const start = offset + 512
    if ((type === '0' || type === '') && (prefix ? `${prefix}/${name}` : name) === member) {
      return tar.subarray(start, start + size)
    }
    offset = start + Math.ceil(size / 512) * 512
  }
  return null
}

/** The file `member` of a zip archive (stored or deflated), or null. */
function zipMember (zip, member) {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  if (end === -1 || end + 22 > zip.length) return null
  const count = zip.readUInt16LE(end + 10)
  let entry = zip.readUInt32LE(end + 16)
  for (let i = 0; i < count && entry + 46 <= zip.length; i++) {
    if (zip.readUInt32LE(entry) !== 0x02014b50) return null
    const nameLength = zip.readUInt16LE(entry + 28)
    // Some Windows zip writers separate folders with backslashes.
    const name = zip.subarray(entry + 46, entry + 46 + nameLength).toString('utf8').replace(/\\/g, '/')
    if (name === member) return zipData(zip, entry)
    entry += 46 + nameLength + zip.readUInt16LE(entry + 30) + zip.readUInt16LE(entry + 32)
  }
  return null
}

/** The contents of the zip entry whose central directory record is at `entry`. */
function zipData (zip, entry) {
  const method = zip.readUInt16LE(entry + 10)
  const compressed = zip.readUInt32LE(entry + 20)
  const local = zip.readUInt32LE(entry + 42)
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
  const data = zip.subarray(start, start + compressed)
  if (method === 0) return data
  if (method === 8) return zlib.inflateRawSync(data, { maxOutputLength: MAX_UNPACKED })
  throw new Error(`zip compression method ${method} is not supported`)
}

/**
 * The file `member` (a path inside the archive) of the archive `name` whose bytes are
 * `bytes`; throws when the archive type is unknown or the member is missing.
 */
function extractMember (name, bytes, member) {
  let found
  if (name.endsWith('.tar.gz')) {
    found = tarMember(zlib.gunzipSync(bytes, { maxOutputLength: MAX_UNPACKED }), member)
  } else if (name.endsWith('.zip')) {
    found = zipMember(bytes, member)
  } else {
    throw new Error(`${name} is neither a .tar.gz nor a .zip archive`)
  }
  if (!found) throw new Error(`${name} has no ${member}`)
  return found
}

module.exports = { extractMember }
