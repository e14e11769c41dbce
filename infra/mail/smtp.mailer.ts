import nodemailer from 'nodemailer';
import { DEFAULT_MAIL_FROM, messageIdOf, type Mailer } from './mailer.js';

export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:port` (STARTTLS when offered) or `smtps://…` (TLS from the start). */
  url: string;
  from?: string;
}

/** The SMTP engine: one pooled nodemailer transport. */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const transport = nodemailer.createTransport(options.url);
  const from = options.from ?? DEFAULT_MAIL_FROM;
  return {
    engine: 'smtp',
    async send(mail) {
      await transport.sendMail({
        from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: messageIdOf(mail.idempotencyKey),
      });
    },
    async close() {
      transport.close();
    },
  };
}
