/** One mail to one recipient, plain text. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /**
   * A stable key for this mail (an outbox row's id): sent as the `Message-ID`, so a
   * mail sent again after a crash carries the same id and mail clients fold the two.
   */
  idempotencyKey: string;
}

/**
 * Where mail goes. Engines: SMTP (`SMTP_URL`, nodemailer) and, in embedded mode,
 * a file engine that writes each mail to disk and logs only who it went to.
 *
 * Guarantees: `send` resolves once the engine accepted the mail (the SMTP server
 * answered 250, or the file is written) and rejects otherwise; it never retries
 * by itself. Callers that need exactly-once keep their own outbox (see
 * `projections/notifications`); a mail may still be handed over twice if the
 * process dies between acceptance and the caller recording it, which is why
 * `idempotencyKey` travels as the Message-ID.
 */
export interface Mailer {
  readonly engine: 'smtp' | 'file';
  send(mail: OutgoingMail): Promise<void>;
  close(): Promise<void>;
}

/** The Message-ID of a mail with this key; the domain part only has to be stable. */
export function messageIdOf(idempotencyKey: string): string {
  return `<${idempotencyKey}@parley.invalid>`;
}

/** The sender address Parley's mail carries. */
export const DEFAULT_MAIL_FROM = 'Parley <no-reply@parley.invalid>';
