// One DKIM signing thread (node:worker_threads), started by signing-pool.ts: takes finished messages, answers each
// with its DKIM-Signature header. The key is parsed once, when the thread starts.
import { parentPort, workerData } from 'node:worker_threads';
import { dkimSignatureHeader, dkimSigner, type DkimIdentity } from './dkim-signature.js';

/** What the pool sends: one message to sign, numbered so the answer finds its sender. */
export interface SigningRequest {
  id: number;
  message: Uint8Array;
}

/** What the thread answers: the header, or why it could not sign (the message then is not sent, and is retried). */
export type SigningAnswer = { id: number; header: string } | { id: number; error: string };

const port = parentPort!;
const signer = dkimSigner(workerData as DkimIdentity);

port.on('message', ({ id, message }: SigningRequest) => {
  let answer: SigningAnswer;
  try {
    answer = { id, header: dkimSignatureHeader(Buffer.from(message.buffer, message.byteOffset, message.byteLength), signer) };
  } catch (error) {
    answer = { id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(answer);
});
