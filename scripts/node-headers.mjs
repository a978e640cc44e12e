// Where node-gyp finds Node's headers without downloading them: the running Node's own install
// prefix (Debian's nodejs puts them in /usr/include/node; the official tarballs in <prefix>/include/node).
// Shared by build-native.mjs (source build) and prebuild.mjs (prebuildify).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The --nodedir for node-gyp, or undefined when this Node ships no headers (node-gyp then downloads them). */
export function localNodeDir() {
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}
