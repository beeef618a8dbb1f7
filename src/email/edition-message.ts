// What the batch sender sends: an edition compiled once (src/email/edition-service.ts), turned into one finished
// message per reader.

/** The reader one delivery of an edition goes to (src/email/mime-template.ts fills the message's slots from it). */
export interface Recipient {
  deliveryId: number;
  subscriberId: number;
  email: string;
  name: string | null;
}

/** The edition, compiled once; turns a recipient into the finished message. */
export interface EditionMessage {
  envelopeFrom: string;
  personalise(recipient: Recipient): { raw: Buffer; messageId: string };
}
