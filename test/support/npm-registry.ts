import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * An npm registry on 127.0.0.1 for tests, speaking the part of the registry protocol `npm install` uses:
 * GET /<name> answers the packument (versions, dist-tags, each version's tarball URL and integrity), GET
 * /<name>/-/<file>.tgz the tarball; anything else is a 404 as the registry gives it. `requests` records
 * every path asked for, so a test can tell that a second install needed no registry at all.
 */
export interface NpmRegistry {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export interface PackedPackage {
  name: string;
  version: string;
  tarball: Buffer;
}

/** Packs a package folder as `npm pack` does, running none of its scripts. */
export async function packFolder(folder: string, into: string): Promise<PackedPackage> {
  const args = ['pack', folder, '--ignore-scripts', '--json', '--pack-destination', into];
  const { stdout } = await promisify(execFile)('npm', args, { cwd: into });
  const [info] = JSON.parse(stdout) as Array<{ name: string; version: string; filename: string }>;
  return { name: info.name, version: info.version, tarball: await readFile(join(into, info.filename)) };
}

export async function startNpmRegistry(packages: PackedPackage[]): Promise<NpmRegistry> {
  const requests: string[] = [];
  let base = '';
  const byName = new Map<string, PackedPackage[]>();
  for (const p of packages) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    requests.push(path);
    const tarball = /^\/(.+)\/-\/[^/]+-(\d[^/]*)\.tgz$/.exec(path);
    if (tarball) {
      const p = byName.get(tarball[1])?.find((v) => v.version === tarball[2]);
      if (p) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': p.tarball.length });
        res.end(p.tarball);
        return;
      }
    }
    const versions = byName.get(path.slice(1));
    if (!tarball && versions) {
      const latest = versions[versions.length - 1].version;
      const packument = {
        name: versions[0].name,
        'dist-tags': { latest },
        versions: Object.fromEntries(
          versions.map((p) => [
            p.version,
            {
              name: p.name,
              version: p.version,
              dist: {
                tarball: `${base}/${p.name}/-/${p.name.split('/').pop()}-${p.version}.tgz`,
                shasum: createHash('sha1').update(p.tarball).digest('hex'),
                integrity: `sha512-${createHash('sha512').update(p.tarball).digest('base64')}`,
              },
            },
          ]),
        ),
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(packument));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'Not found' }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        // npm keeps its connections alive: close() alone would wait for them.
        server.closeAllConnections();
      }),
  };
}
