import path from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import { createFileMailer } from './file.mailer.js';
import type { Mailer } from './mailer.js';
import { createSmtpMailer } from './smtp.mailer.js';

/** SMTP when `SMTP_URL` is set, else `.eml` files under `DATA_DIR/mail`. */
export function openMailer(
  config: Pick<Config, 'SMTP_URL' | 'DATA_DIR' | 'MAIL_FROM'>,
  logger: Logger,
): Mailer {
  if (config.SMTP_URL) return createSmtpMailer({ url: config.SMTP_URL, from: config.MAIL_FROM });
  return createFileMailer({
    directory: path.resolve(config.DATA_DIR, 'mail'),
    logger,
    from: config.MAIL_FROM,
  });
}
