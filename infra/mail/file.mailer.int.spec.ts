import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileMailer } from './file.mailer.js';

describe('the file mailer (embedded mode)', () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it('writes the whole mail to an .eml file and logs only who it went to', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'parley-mail-'));
    folders.push(directory);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const mailer = createFileMailer({ directory, logger: pino({ level: 'trace' }, sink) });

    await mailer.send({
      to: 'ada@example.org',
      subject: 'Your code',
      text: 'Your code: 12345678',
      idempotencyKey: 'key-1',
    });
    await mailer.close();

    const [file] = await readdir(directory);
    expect(file).toMatch(/key-1\.eml$/);
    const eml = await readFile(path.join(directory, file!), 'utf8');
    expect(eml).toContain('To: ada@example.org');
    expect(eml).toContain('Message-ID: <key-1@parley.invalid>');
    expect(eml).toContain('Your code: 12345678');
    const log = lines.join('');
    expect(log).toContain('ada@example.org');
    expect(log).not.toContain('12345678');
  });
});
