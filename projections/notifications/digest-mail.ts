/** What a digest shows of one conversation, read at send time. */
export interface DigestSection {
  title: string;
  unreadCount: number;
  /** The newest few messages still present, oldest first. */
  excerpts: { sender: string; body: string }[];
}

/** Excerpts are a glimpse, not the message: long bodies are cut. */
export const EXCERPT_LENGTH = 140;
export const EXCERPTS_PER_CONVERSATION = 3;

export function excerptOf(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  const characters = [...flat];
  return characters.length <= EXCERPT_LENGTH ? flat : `${characters.slice(0, EXCERPT_LENGTH - 1).join('')}…`;
}

/** The digest's subject and plain-text body. */
export function renderDigest(sections: readonly DigestSection[]): { subject: string; text: string } {
  const total = sections.reduce((sum, section) => sum + section.unreadCount, 0);
  const subject = `${total} unread message${total === 1 ? '' : 's'} on Parley`;
  const lines = ['You have unread messages on Parley.', ''];
  for (const section of sections) {
    lines.push(`${section.title}: ${section.unreadCount} unread`);
    for (const excerpt of section.excerpts) lines.push(`  ${excerpt.sender}: ${excerpt.body}`);
    lines.push('');
  }
  lines.push('Mute a conversation to stop these mails for it.');
  return { subject, text: lines.join('\n') };
}
