// A minimal SMTP sink for the benchmark when Postfix's smtp-sink is not installed, run as its own process so it does
// not share an event loop with what is measured. Accepts everything, keeps nothing, reports its count over IPC.
import { SMTPServer } from 'smtp-server';

let received = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  maxClients: 1000,
  onData(stream, _session, callback) {
    stream.on('end', () => {
      received++;
      callback(null, 'OK');
    });
    stream.resume();
  },
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.server.address() as { port: number };
  process.send!({ type: 'ready', port });
});

process.on('message', (message: { type: string }) => {
  if (message.type === 'count') process.send!({ type: 'count', received });
  if (message.type === 'reset') {
    received = 0;
    process.send!({ type: 'reset', received });
  }
  if (message.type === 'stop') server.close(() => process.exit(0));
});
