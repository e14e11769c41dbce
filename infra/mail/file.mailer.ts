import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from '../logging/logger.js';
import { DEFAULT_MAIL_FROM, messageIdOf, type Mailer } from './mailer.js';

export interface FileMailerOptions {
  /** Folder the `.eml` files go to (embedded mode: `DATA_DIR/mail`). */
  directory: string;
  logger: Logger;
  from?: string;
}

/**
 * Embedded mode's engine, for a developer with no mail server: each mail becomes
 * an `.eml` file (open it in any mail client or a text editor) and one log line
 * naming the recipient, the subject and the file. The body never reaches the log,
 * because it may hold a secret (a password-reset code) and logs are shipped and
 * kept; the file stays on the developer's own disk, beside the embedded database.
 */
export function createFileMailer(options: FileMailerOptions): Mailer {
  // nodemailer's stream transport builds the exact message SMTP would carry.
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const from = options.from ?? DEFAULT_MAIL_FROM;
  return {
    engine: 'file',
    async send(mail) {
      const built = await transport.sendMail({
        from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: messageIdOf(mail.idempotencyKey),
      });
      await mkdir(options.directory, { recursive: true });
      const safeKey = mail.idempotencyKey.replace(/[^a-zA-Z0-9_-]/g, '_');
      const file = path.join(
        options.directory,
        `${new Date().toISOString().replace(/[:.]/g, '-')}-${safeKey}.eml`,
      );
      await writeFile(file, built.message as Buffer, { mode: 0o600 });
      options.logger.info({ to: mail.to, subject: mail.subject, file }, 'mail written to disk (no SMTP_URL)');
    },
    async close() {
      transport.close();
    },
  };
}
