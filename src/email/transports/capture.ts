// The capture inbox as a transport: starts the loopback SMTP server of src/email/capture-inbox.ts and sends to it
// through the SMTP pool, so captured mail is exactly what a real server would have been handed (DKIM included).
import { captureInboxDir, startCaptureInbox } from '../capture-inbox.js';
import { classifySmtpError } from '../smtp-failure.js';
import { defineTransport } from './email-transport.js';
import { openSmtpPool, smtpPoolProblems, smtpPoolSettings } from './smtp.js';

export const captureTransport = defineTransport({
  name: 'capture',
  label: 'capture inbox',
  settings: smtpPoolSettings,
  capabilities: { message: 'raw_mime', maxBatchSize: 1 },
  maxConnections: (s) => s.SMTP_POOL_SIZE,
  problems: smtpPoolProblems,
  classifyFailure: (error, s) => classifySmtpError(error, s.SMTP_THROTTLE_WAIT_MS),
  create: async (s, { dataDir }) => {
    const inbox = await startCaptureInbox(captureInboxDir(dataDir));
    const pool = openSmtpPool(inbox.url, s);
    return {
      send: (mail) => pool.send(mail),
      close: async () => {
        await pool.close();
        await inbox.close();
      },
    };
  },
});
