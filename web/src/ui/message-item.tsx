import { useState } from 'preact/hooks';
import type { Attachment, Message } from '../protocol';
import type { PendingMessage } from '../state/chat-state';
import type { ChatStore } from '../state/chat-store';
import { clockTime, fileSize } from './format';
import { FileIcon } from './icons';

const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮'];
const PREVIEWABLE = /^image\/(png|jpeg|gif|webp)$/;

function AttachmentView({ store, attachment }: { store: ChatStore; attachment: Attachment }) {
  const url = store.rest.resolve(attachment.url);
  if (PREVIEWABLE.test(attachment.contentType))
    return (
      <a class="attachment image" href={url} target="_blank" rel="noreferrer">
        <img src={url} alt={attachment.filename} loading="lazy" />
      </a>
    );
  return (
    <a class="attachment file" href={url} download={attachment.filename} data-testid="attachment-link">
      <span class="file-icon">
        <FileIcon />
      </span>
      <span>
        {attachment.filename}
        <span class="muted small"> · {fileSize(attachment.size)}</span>
      </span>
    </a>
  );
}

/** One message: body or its deleted state, attachments, the message it answers, reactions, and its actions. */
export function MessageItem(props: {
  store: ChatStore;
  message: Message;
  mine: boolean;
  continued: boolean;
  replied: Message | undefined;
  onReply: () => void;
}) {
  const { store, message, mine } = props;
  const [editing, setEditing] = useState(false);
  const [picking, setPicking] = useState(false);
  const me = store.state.me.id;
  const act = (work: Promise<unknown>) => work.catch(() => undefined);

  const saveEdit = (event: SubmitEvent) => {
    event.preventDefault();
    const value = new FormData(event.currentTarget as HTMLFormElement).get('body');
    const body = typeof value === 'string' ? value.trim() : '';
    setEditing(false);
    if (body && body !== message.body) void act(store.edit(message, body));
  };

  return (
    <article
      class={`message ${mine ? 'mine' : 'theirs'} ${props.continued ? 'continued' : ''}`}
      data-testid="message"
      data-seq={message.seq}
    >
      {!props.continued && (
        <header class="message-meta">
          <strong>{mine ? 'You' : store.userName(message.senderId)}</strong>
          <time dateTime={message.createdAt}>{clockTime(message.createdAt)}</time>
        </header>
      )}
      <div class="bubble">
        {props.replied && (
          <blockquote class="quote">
            <strong>{store.userName(props.replied.senderId)}</strong>
            <span class="ellipsis">{props.replied.deleted ? 'Message deleted' : props.replied.body}</span>
          </blockquote>
        )}
        {message.deleted ? (
          <em class="muted" data-testid="message-deleted">
            This message was deleted
          </em>
        ) : editing ? (
          <form class="edit" onSubmit={saveEdit}>
            <input
              name="body"
              value={message.body ?? ''}
              autofocus
              aria-label="Edit message"
              onKeyDown={(event) => event.key === 'Escape' && setEditing(false)}
            />
            <button class="primary small" type="submit">
              Save
            </button>
          </form>
        ) : (
          <p class="body" data-testid="message-body">
            {message.body}
            {message.editedAt && <span class="muted small"> (edited)</span>}
          </p>
        )}
        {message.attachments.map((attachment) => (
          <AttachmentView key={attachment.key} store={store} attachment={attachment} />
        ))}
      </div>
      {Object.keys(message.reactions).length > 0 && (
        <div class="reactions">
          {Object.entries(message.reactions).map(([emoji, users]) => (
            <button
              key={emoji}
              class={`reaction ${users.includes(me) ? 'own' : ''}`}
              onClick={() => void act(store.react(message, emoji))}
              title={users.map((id) => store.userName(id)).join(', ')}
            >
              {emoji} {users.length}
            </button>
          ))}
        </div>
      )}
      {!message.deleted && (
        <div class="message-actions">
          <button class="ghost small" onClick={props.onReply}>
            Reply
          </button>
          <button class="ghost small" onClick={() => setPicking(!picking)} aria-expanded={picking}>
            React
          </button>
          {mine && (
            <>
              <button class="ghost small" onClick={() => setEditing(true)}>
                Edit
              </button>
              <button class="ghost small" onClick={() => void act(store.remove(message))}>
                Delete
              </button>
            </>
          )}
          {picking &&
            QUICK_REACTIONS.map((emoji) => (
              <button
                key={emoji}
                class="ghost small"
                aria-label={`React ${emoji}`}
                onClick={() => {
                  setPicking(false);
                  void act(store.react(message, emoji));
                }}
              >
                {emoji}
              </button>
            ))}
        </div>
      )}
    </article>
  );
}

/** A message on its way: shown at once, final when the server has it. */
export function PendingItem({ store, pending }: { store: ChatStore; pending: PendingMessage }) {
  return (
    <article class={`message mine pending ${pending.status}`} data-testid="pending-message">
      <div class="bubble">
        <p class="body">{pending.body}</p>
        {pending.attachmentNames.map((name) => (
          <div key={name} class="attachment file">
            {name}
          </div>
        ))}
      </div>
      <div class="message-meta small muted">
        {pending.status === 'sending' ? (
          'Sending…'
        ) : (
          <>
            Not sent: {pending.error}{' '}
            <button
              class="link small"
              onClick={() => store.discardPending(pending.conversationId, pending.clientMsgId)}
            >
              Dismiss
            </button>
          </>
        )}
      </div>
    </article>
  );
}
