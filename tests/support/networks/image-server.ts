// An article image on loopback: serves TINY_PNG at one URL, for adapters that talk to a real server (which serves none).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TINY_PNG } from './stand-in.js';

export interface ImageServer {
  url: string;
  close(): Promise<void>;
}

export async function startImageServer(): Promise<ImageServer> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': TINY_PNG.length }).end(TINY_PNG);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/cover.png`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
