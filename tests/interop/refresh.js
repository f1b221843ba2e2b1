// Refreshes TUF metadata with tuf-js and downloads one target, then prints one JSON line:
//   {"ok":true,"length":N,"sha256":"..."}   or   {"ok":false,"error":"ErrorClass","message":"..."}
// Usage: node refresh.js BASE_URL METADATA_DIR TARGET_DIR TARGET_PATH
// METADATA_DIR must hold root.json (the root pinned at enrollment); tuf-js keeps its trusted metadata there between runs.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { Updater } = require('tuf-js');

async function main() {
  const [baseUrl, metadataDir, targetDir, targetPath] = process.argv.slice(2);
  if (!targetPath) {
    throw new Error('usage: node refresh.js BASE_URL METADATA_DIR TARGET_DIR TARGET_PATH');
  }
  const updater = new Updater({
    metadataBaseUrl: `${baseUrl}/metadata`,
    targetBaseUrl: `${baseUrl}/targets`,
    metadataDir,
    targetDir,
    config: { fetchRetry: 0 },
  });
  await updater.refresh();
  const info = await updater.getTargetInfo(targetPath);
  if (!info) {
    return { ok: false, error: 'TargetNotFound', message: `${targetPath} is not a target` };
  }
  const file = path.join(targetDir, targetPath.replace(/\//g, '_'));
  await updater.downloadTarget(info, file);
  const bytes = fs.readFileSync(file);
  return { ok: true, length: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
}

main()
  .then((result) => {
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exitCode = result.ok ? 0 : 1;
  })
  .catch((err) => {
    process.stdout.write(JSON.stringify({ ok: false, error: err.constructor.name, message: String(err.message) }) + '\n');
    process.exitCode = 1;
  });
