// tus-js-client (npm, the Node build) against Hoard's /api/v1/uploads, for
// tests/tus_clients.rs. tus-js-client is installed in tests/ui/node_modules.
//
//   node tus_js_upload.mjs ENDPOINT TOKEN FILE CHUNK_SIZE NAME PARENT_ID [creation-with-upload]
//
// Uploads FILE in CHUNK_SIZE chunks with metadata filename=NAME and parent_id=PARENT_ID
// (empty: none); with `creation-with-upload`, the first chunk travels in the creation POST.
// Retries are off, so any error surfaces. Prints one JSON line {"url", "bytes", "size"};
// a failure prints the server's status and body and exits 1.

import { createReadStream, statSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../ui/package.json', import.meta.url));
const { Upload } = require('tus-js-client');

const [endpoint, token, path, chunkSize, name, parentId, mode] = process.argv.slice(2);

const metadata = { filename: name };
if (parentId) metadata.parent_id = parentId;

const size = statSync(path).size;
let bytes = 0;

const url = await new Promise((resolve, reject) => {
  const upload = new Upload(createReadStream(path), {
    endpoint,
    chunkSize: Number(chunkSize),
    metadata,
    headers: { Authorization: `Bearer ${token}` },
    retryDelays: null,
    uploadDataDuringCreation: mode === 'creation-with-upload',
    onProgress(sent) {
      bytes = Math.max(bytes, sent);
    },
    onError: reject,
    onSuccess() {
      resolve(upload.url);
    },
  });
  upload.start();
}).catch((error) => {
  const response = error.originalResponse;
  const request = error.originalRequest;
  console.error(
    JSON.stringify({
      error: String(error.message ?? error),
      method: request?.getMethod?.(),
      url: request?.getURL?.(),
      status: response?.getStatus?.(),
      body: response?.getBody?.(),
    }),
  );
  process.exit(1);
});

console.log(JSON.stringify({ url, bytes, size }));
