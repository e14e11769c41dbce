import { useRef, useState } from 'preact/hooks';
import type { Message } from '../protocol';
import type { ChatStore } from '../state/chat-store';
import { fileSize } from './format';
import { FileIcon, PaperclipIcon } from './icons';

/** Renew `typing.start` this often while typing: the server lets it lapse after 6 s. */
const TYPING_RENEW_MS = 3000;

interface Staged {
  id: string;
  file: File;
  key: string | null;
  progress: number;
  previewUrl: string | null;
  failed: boolean;
}

/** Write, attach, send. Enter sends, Shift+Enter breaks the line, Escape drops the reply. */
export function Composer(props: {
  store: ChatStore;
  conversationId: string;
  replyTo: Message | null;
  onCancelReply: () => void;
  onSent: () => void;
}) {
  const { store, conversationId } = props;
  const [text, setText] = useState('');
  const [staged, setStaged] = useState<Staged[]>([]);
  const lastTyping = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const stagedRef = useRef(staged);
  stagedRef.current = staged;

  const patch = (id: string, change: Partial<Staged>) => {
    stagedRef.current = stagedRef.current.map((item) => (item.id === id ? { ...item, ...change } : item));
    setStaged(stagedRef.current);
  };

  const attach = (files: FileList | null) => {
    for (const file of Array.from(files ?? [])) {
      const item: Staged = {
        id: crypto.randomUUID(),
        file,
        key: null,
        progress: 0,
        previewUrl: file.type.startsWith('image/') ? URL.createObjectURL(file) : null,
        failed: false,
      };
      stagedRef.current = [...stagedRef.current, item];
      setStaged(stagedRef.current);
      store.rest
        .createAttachment({
          filename: file.name,
          contentType: file.type || 'application/octet-stream',
          size: file.size,
        })
        .then(async (grant) => {
          await store.rest.upload(grant, file, (progress) => patch(item.id, { progress }));
          patch(item.id, { key: grant.key, progress: 1 });
        })
        .catch(() => patch(item.id, { failed: true }));
    }
  };

  const uploading = staged.some((item) => !item.key && !item.failed);
  const ready = staged.filter((item) => item.key);

  const send = () => {
    const body = text.trim();
    if (uploading || (!body && ready.length === 0)) return;
    store.send(conversationId, {
      // PROTOCOL.md: a body is 1 to 10,000 characters, so a file alone goes with its name.
      body: body || ready.map((item) => item.file.name).join(', '),
      attachments: ready.map((item) => ({ key: item.key!, filename: item.file.name })),
      replyTo: props.replyTo?.id ?? null,
    });
    for (const item of staged) if (item.previewUrl) URL.revokeObjectURL(item.previewUrl);
    setText('');
    stagedRef.current = [];
    setStaged([]);
    lastTyping.current = 0;
    props.onSent();
  };

  const onInput = (value: string) => {
    setText(value);
    const now = Date.now();
    if (!value) {
      store.typing(conversationId, false);
      lastTyping.current = 0;
    } else if (now - lastTyping.current > TYPING_RENEW_MS) {
      store.typing(conversationId, true);
      lastTyping.current = now;
    }
  };

  return (
    <footer class="composer">
      {props.replyTo && (
        <div class="replying">
          <span class="ellipsis">
            Replying to <strong>{store.userName(props.replyTo.senderId)}</strong>: {props.replyTo.body}
          </span>
          <button class="ghost small" onClick={props.onCancelReply} aria-label="Cancel reply">
            ×
          </button>
        </div>
      )}
      {staged.length > 0 && (
        <ul class="staged">
          {staged.map((item) => (
            <li key={item.id} class={item.failed ? 'failed' : ''}>
              {item.previewUrl ? (
                <img src={item.previewUrl} alt="" />
              ) : (
                <span class="file-icon">
                  <FileIcon />
                </span>
              )}
              <span class="ellipsis">
                {item.file.name} <span class="muted small">{fileSize(item.file.size)}</span>
              </span>
              {item.failed ? (
                <span class="error small">upload failed</span>
              ) : (
                <progress
                  max={1}
                  value={item.progress}
                  data-testid="upload-progress"
                  data-done={item.key ? 'true' : 'false'}
                />
              )}
              <button
                class="ghost small"
                aria-label={`Remove ${item.file.name}`}
                onClick={() => {
                  stagedRef.current = stagedRef.current.filter((other) => other.id !== item.id);
                  setStaged(stagedRef.current);
                }}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="composer-row">
        <button
          class="ghost"
          onClick={() => fileInput.current?.click()}
          aria-label="Attach a file"
          title="Attach a file"
        >
          <PaperclipIcon />
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(event) => {
            attach(event.currentTarget.files);
            event.currentTarget.value = '';
          }}
        />
        <textarea
          rows={1}
          placeholder="Write a message"
          aria-label="Message"
          value={text}
          maxLength={10_000}
          onInput={(event) => onInput(event.currentTarget.value)}
          onBlur={() => {
            if (text) store.typing(conversationId, false);
            lastTyping.current = 0;
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey) {
              event.preventDefault();
              send();
            } else if (event.key === 'Escape') props.onCancelReply();
          }}
        />
        <button class="primary" onClick={send} disabled={uploading || (!text.trim() && ready.length === 0)}>
          Send
        </button>
      </div>
    </footer>
  );
}
