// `--latency-ms N`: a TCP proxy in front of the sink that holds every chunk N ms in each direction, so a connection
// sees a relay 2·N ms away (one round trip). Its own process, so its timers do not share an event loop with what is
// measured. Argument: the sink's port and the delay; it reports its own port over IPC.
import { createConnection, createServer, type Socket } from 'node:net';

const [targetPort, delayMs] = process.argv.slice(2).map(Number);

/** Forwards a's bytes to b, each chunk delayed; equal delays keep their order (timers of one duration fire FIFO). */
function delayed(from: Socket, to: Socket): void {
  from.on('data', (chunk) => setTimeout(() => to.writable && to.write(chunk), delayMs));
  from.on('end', () => setTimeout(() => to.end(), delayMs));
  from.on('error', () => to.destroy());
}

const server = createServer((client) => {
  const upstream = createConnection(targetPort, '127.0.0.1');
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  delayed(client, upstream);
  delayed(upstream, client);
});

server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
process.on('message', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
